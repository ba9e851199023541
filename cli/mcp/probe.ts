/**
 * One raw MCP `initialize` POST, outside the SDK, to learn how an endpoint answers: its status
 * and WWW-Authenticate challenge. The auth error uses it when no token can be sent; doctor uses
 * it for its HTTP layer.
 */
import { McptestError } from '../../shared/errors.js';
import { VERSION } from '../../shared/version.js';

export interface ProbeResult {
  status: number;
  wwwAuthenticate: string | null;
  contentType: string | null;
  /** Location of a redirect, which is never followed here. */
  location: string | null;
  elapsedMs: number;
}

/** The JSON-RPC `initialize` request a probe sends. */
export function initializeMessage(): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'mcptest-probe', version: VERSION },
    },
  };
}

/** POSTs `initialize` to `url` (with `token` as Bearer when given) and reads the answer's head. */
export async function probeEndpoint(
  url: string,
  options: {
    token?: string | null;
    headers?: Record<string, string>;
    timeoutMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<ProbeResult> {
  const started = Date.now();
  const headers: Record<string, string> = {
    ...options.headers,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(initializeMessage()),
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    throw networkError(url, err);
  }
  await res.body?.cancel().catch(() => undefined);
  // A stateful server made a session for the probe: end it, as every connection does.
  const session = res.headers.get('mcp-session-id');
  if (session) {
    await fetch(url, {
      method: 'DELETE',
      headers: { ...headers, 'mcp-session-id': session },
      redirect: 'manual',
      signal,
    })
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  }
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    contentType: res.headers.get('content-type'),
    location: res.headers.get('location'),
    elapsedMs: Date.now() - started,
  };
}

/** Turns a fetch failure (DNS, TCP, TLS, timeout) into a connection_failed error naming the cause. */
export function networkError(url: string, err: unknown): McptestError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new McptestError('timeout', `no answer from ${url} in time`, {
      hint: `mcptest doctor --url ${url}`,
      cause: err,
    });
  }
  const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new McptestError('connection_failed', `cannot reach ${url} (${why})`, {
    hint: `mcptest doctor --url ${url}`,
    details: { errno: cause?.code ?? null },
    cause: err,
  });
}
