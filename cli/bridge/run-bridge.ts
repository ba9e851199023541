/**
 * `mcptest bridge URL`: an MCP server on stdio that forwards every JSON-RPC message unchanged to
 * a remote Streamable HTTP server (or a legacy HTTP+SSE one, as connect.ts falls back), and every
 * message of the server back to stdout. Raw forwarding, not a Client/Server pair: requests,
 * notifications, server-initiated requests and their responses all pass through as they are.
 *
 * The remote side uses the connection layer's authenticated fetch: a token asked from the
 * daemon per request, sent to the server's origin only, and after a 401 the rejected
 * fingerprint reported and the request sent once more. Stdout carries JSON-RPC alone.
 * @see MCP spec 2025-11-25 "Transports" (stdio; Streamable HTTP §Session Management)
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import { buildAuthError } from '../mcp/auth-error.js';
import { authFailure, makeAuthFetch, type Refusal } from '../mcp/auth-fetch.js';
import { isLegacyHint } from '../mcp/explain-error.js';
import { resolveTokenSource, type TokenSource } from '../mcp/credentials.js';
import { type TargetFlags, targetFromOptions } from '../mcp/target-options.js';
import type { CliIo } from '../io.js';
import { describeMessage, errorResponse, requestId } from './messages.js';

export type BridgeFlags = TargetFlags & { verbose?: boolean };

/** How long the session's DELETE may hold the exit after the host left. */
const TERMINATE_LIMIT_MS = 5_000;

/** Resolves when the host is gone: stdin ended, SIGTERM, or Ctrl-C. */
function hostGone(stdin: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => () => {
      stdin.off('end', onEnd).off('close', onEnd);
      process.off('SIGTERM', onTerm);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onEnd = done('stdin closed');
    const onTerm = done('SIGTERM');
    const onAbort = done('interrupted');
    stdin.once('end', onEnd).once('close', onEnd);
    process.once('SIGTERM', onTerm);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Why no request can go out, or null when the source has a token to send. A missing login
 * names both login commands: a host cannot open the browser for the bridge.
 */
function unusable(source: TokenSource, serverUrl: string): McptestError | null {
  if (!source.missing) return null;
  const e = buildAuthError(authFailure(source, serverUrl, null, null, null, false));
  if (source.input !== 'login' && source.input !== 'none') return e;
  return new McptestError(
    e.code,
    `${e.message} Without a browser here: \`mcptest login --device ${serverUrl}\`. Then restart this server in the host.`,
    { hint: `mcptest login ${serverUrl}`, details: e.details },
  );
}

/** Runs the bridge until the host closes stdin; then ends the server's session. */
export async function runBridge(flags: BridgeFlags, io: CliIo): Promise<void> {
  const target = targetFromOptions(flags);
  const url = target.url as string;
  assertSecureUrl(url, 'server URL');
  const serverUrl = canonicalServerUrl(url);
  const endpoint = new URL(url);
  endpoint.hash = '';
  const log = (line: string) => io.stderr(`mcptest bridge: ${line}\n`);
  const trace = flags.verbose ? log : () => undefined;

  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const host = new StdioServerTransport();
  const gone = hostGone(process.stdin, io.signal);
  const toHost = (message: JSONRPCMessage) => {
    trace(`<- ${describeMessage(message)}`);
    host.send(message).catch((err) => log(`cannot write to the host: ${(err as Error).message}`));
  };
  host.onerror = (err) => log(`unreadable message from the host: ${err.message}`);

  let source: TokenSource | null = null;
  let refused: McptestError | null = null;
  try {
    source = await resolveTokenSource(target, serverUrl, io);
    // Without a login the server is still asked (it may need none); its 401 gets the login
    // command. A token env var named but unset is refused at once.
    if (source.missing === 'env_unset') refused = unusable(source, serverUrl);
  } catch (err) {
    refused = toMcptestError(err);
  }

  if (refused || !source) {
    // Answer instead of hanging: every request gets the error, the host shows its message.
    const error = refused ?? new McptestError('internal', 'no token source');
    log(`${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}`);
    host.onmessage = (message) => {
      trace(`-> ${describeMessage(message)}`);
      const id = requestId(message);
      if (id !== null) toHost(errorResponse(id, error));
    };
    await host.start();
    await gone;
    await host.close();
    await source?.close();
    return;
  }

  const state: { refusal: Refusal | null } = { refusal: null };
  const authFetch = makeAuthFetch(endpoint, source, state, target.headers ?? {});
  const failure = (err: unknown): McptestError => {
    const r = state.refusal;
    if (r && source) {
      state.refusal = null;
      const e = buildAuthError(
        authFailure(source, serverUrl, r.status, r.wwwAuthenticate, r.fingerprint, r.fingerprint !== null),
      );
      return unusable(source, serverUrl) ?? e;
    }
    return toMcptestError(err);
  };

  const { StreamableHTTPClientTransport } = await import(
    '@modelcontextprotocol/sdk/client/streamableHttp.js'
  );
  const streamable = new StreamableHTTPClientTransport(endpoint, { fetch: authFetch });
  let remote: Transport = streamable;
  let initializeId: string | number | null = null;
  let initialized = false;
  const wire = (t: Transport) => {
    t.onmessage = (message) => {
      // The SDK's Client sets the negotiated version on its transport; here the bridge does.
      if (!initialized && 'result' in message && message.id === initializeId) {
        initialized = true;
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === 'string') t.setProtocolVersion?.(version);
      }
      toHost(message);
    };
    t.onerror = (err) => log(`${serverUrl}: ${err.message}`);
  };
  wire(streamable);
  await streamable.start();

  /** The 2024-11-05 HTTP+SSE transport, when the server refused the Streamable HTTP initialize. */
  const fallBack = async (): Promise<Transport> => {
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
    const sse = new SSEClientTransport(endpoint, { fetch: authFetch });
    wire(sse);
    await sse.start();
    log(`${serverUrl} does not speak Streamable HTTP; using the legacy HTTP+SSE transport`);
    return sse;
  };

  const forward = async (message: JSONRPCMessage) => {
    const id = requestId(message);
    const isInitialize = id !== null && 'method' in message && message.method === 'initialize';
    if (isInitialize) initializeId = id;
    try {
      try {
        await remote.send(message);
      } catch (err) {
        if (!isInitialize || remote !== streamable || state.refusal || !isLegacyHint(err)) throw err;
        remote = await fallBack();
        await remote.send(message);
      }
    } catch (err) {
      const e = failure(err);
      log(`could not forward ${describeMessage(message)}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}`);
      if (id !== null) toHost(errorResponse(id, e));
    }
  };
  host.onmessage = (message) => {
    trace(`-> ${describeMessage(message)}`);
    void forward(message);
  };
  await host.start();

  const why = await gone;
  trace(`${why}: ending the session`);
  await host.close();
  if (remote === streamable && streamable.sessionId !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, TERMINATE_LIMIT_MS);
    });
    await Promise.race([streamable.terminateSession().catch(() => undefined), limit]);
    clearTimeout(timer);
  }
  await remote.close().catch(() => undefined);
  await source.close();
}
