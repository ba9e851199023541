/**
 * What an error thrown by the MCP SDK (v2 client, or the v1 transports the bridge uses) means to
 * a user: network, HTTP status, JSON-RPC error, timeout, interruption, a server that refused the
 * protocol version asked for. Auth refusals are explained by the connection (it saw the 401/403);
 * everything else comes here.
 */
import { McptestError } from '../../shared/errors.js';
import { httpErrorMessage } from './error-body.js';
import { networkError } from './probe.js';

/** The JSON-RPC error a server answers a protocol version it does not serve with. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** The JSON-RPC error of a server that cannot ask for input the client declared no capability for. */
export const MISSING_CLIENT_CAPABILITY = -32021;

/** The HTTP status an SDK error carries: v2's `SdkHttpError` (`status`), v1's numeric `code`. */
export function httpStatusOf(err: unknown): number | null {
  const e = err as { status?: unknown; code?: unknown; data?: { status?: unknown } } | null;
  if (!e || (e as Error).name === 'McptestError') return null;
  if (typeof e.data?.status === 'number') return e.data.status;
  if (typeof e.status === 'number') return e.status;
  if (typeof e.code === 'number' && e.code >= 100 && e.code < 600) return e.code;
  return null;
}

/** A 4xx other than 401/403 on the first POST: the server may only speak HTTP+SSE. */
export function isLegacyHint(err: unknown): boolean {
  const status = httpStatusOf(err);
  return (status === 400 || status === 404 || status === 405) && unsupportedVersions(err) === null;
}

/**
 * The versions a server named when it refused ours: the data of a `-32022` error, thrown as a
 * JSON-RPC error or carried in the body of an HTTP 400. Null when `err` is no such refusal.
 */
export function unsupportedVersions(err: unknown): { supported: string[]; requested?: string } | null {
  const e = err as { code?: unknown; data?: { supported?: unknown; requested?: unknown; text?: unknown } };
  let data: { supported?: unknown; requested?: unknown } | undefined;
  if (e?.code === UNSUPPORTED_PROTOCOL_VERSION) data = e.data;
  else if (typeof e?.data?.text === 'string') {
    try {
      const body = JSON.parse(e.data.text) as { error?: { code?: unknown; data?: typeof data } };
      if (body?.error?.code === UNSUPPORTED_PROTOCOL_VERSION) data = body.error.data ?? {};
    } catch {
      return null;
    }
  }
  if (!data) return null;
  const supported = Array.isArray(data.supported)
    ? data.supported.filter((v): v is string => typeof v === 'string')
    : [];
  return { supported, requested: typeof data.requested === 'string' ? data.requested : undefined };
}

/**
 * After a 404 or 405: no MCP endpoint at that path. A bare origin most often lacks `/mcp`.
 * Null when `where` is not a URL (a stdio server).
 */
function endpointPathHint(where: string): string | null {
  const url = URL.parse(where);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null;
  return url.pathname === '/' || url.pathname === ''
    ? `no MCP endpoint at the root: try --url ${url.origin}/mcp (or /sse for a legacy server)`
    : `no MCP endpoint at ${url.pathname}: check the path in --url (MCP endpoints are often /mcp, or /sse for legacy servers)`;
}

/**
 * An McptestError the SDK wrapped (the authenticated fetch refusing a redirect during the
 * `server/discover` probe comes back as the cause of the SDK's negotiation error).
 */
function ownError(err: unknown): McptestError | null {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e; depth++) {
    if (e instanceof McptestError) return e;
    const next = e as { cause?: unknown; data?: { cause?: unknown } };
    e = next.cause ?? next.data?.cause;
  }
  return null;
}

/** `MCP error -32602: bad` once, whichever SDK wrapped the message (and how often). */
function rpcMessage(code: number, message: string): string {
  const once = message.replace(/^(MCP error -?\d+: )(?:MCP error -?\d+: )+/, '$1');
  return /^MCP error -?\d+: /.test(once) ? once : `MCP error ${code}: ${once}`;
}

/**
 * Non-auth failures: network, HTTP status, JSON-RPC error, timeout. `where` names the server in
 * the message; `doctor` is the command line that diagnoses it.
 */
export function explainError(err: unknown, where: string, doctor: string): McptestError {
  const ours = ownError(err);
  if (ours) return ours;
  const e = err as { name?: string; code?: unknown; message?: string; data?: unknown };
  const message = e?.message ?? String(err);
  if (e?.name === 'AbortError' || /aborted|interrupted/i.test(message)) {
    return new McptestError('cancelled', `interrupted while talking to ${where}`, { cause: err });
  }
  if (e?.code === 'INPUT_REQUIRED_ROUNDS_EXCEEDED') {
    const rounds = (e.data as { rounds?: unknown } | undefined)?.rounds;
    return new McptestError(
      'input_required',
      `${where} kept asking for input: ${typeof rounds === 'number' ? `${rounds} rounds` : 'too many rounds'} of input_required without a result (mcptest stops there)`,
      { hint: doctor, details: { rounds }, cause: err },
    );
  }
  if (e?.code === -32001 || e?.code === 'REQUEST_TIMEOUT' || /timed out/i.test(message)) {
    const ms = (e?.data as { timeout?: unknown } | undefined)?.timeout;
    const limit = typeof ms === 'number' ? `within ${ms / 1000} s` : 'in time';
    return new McptestError(
      'timeout',
      `${where} did not answer ${limit} (${message}); raise the limit with --timeout SECONDS, or timeout_ms in a suite`,
      { hint: doctor, details: typeof ms === 'number' ? { timeoutMs: ms } : undefined, cause: err },
    );
  }
  if (e?.code === MISSING_CLIENT_CAPABILITY) {
    const needs = Object.keys(
      (e.data as { requiredCapabilities?: Record<string, unknown> } | undefined)?.requiredCapabilities ?? {},
    );
    const kind = needs[0] ?? /elicitation|sampling|roots/.exec(message)?.[0] ?? 'elicitation';
    const example =
      kind === 'sampling'
        ? `--answer sampling='{"text":"..."}'`
        : kind === 'roots'
          ? `--answer roots='[{"uri":"file:///workspace"}]'`
          : `--answer elicitation='{"action":"accept","content":{...}}'`;
    return new McptestError(
      'input_required',
      `${where} needs the client capability ${needs.length ? needs.join(', ') : kind} to ask for input (${rpcMessage(MISSING_CLIENT_CAPABILITY, message)}); mcptest declares it only when an answer is given: ${example} with mcptest call, or answers: in a suite test`,
      { hint: example, details: { rpcCode: e.code, requiredCapabilities: needs }, cause: err },
    );
  }
  const status = httpStatusOf(err);
  if (status === null && typeof e?.code === 'number' && e.code < 0) {
    return new McptestError(
      'server_error',
      `${where} answered with a JSON-RPC error: ${rpcMessage(e.code, message)}`,
      { details: { rpcCode: e.code }, cause: err },
    );
  }
  if (status !== null) {
    return new McptestError(
      'server_error',
      `${where} answered HTTP ${status}: ${httpErrorMessage(message)}`,
      {
        hint: status === 404 || status === 405 ? (endpointPathHint(where) ?? doctor) : doctor,
        details: { status },
        cause: err,
      },
    );
  }
  if (e?.code === 'CONNECTION_CLOSED' || /connection closed/i.test(message)) {
    return new McptestError('server_error', `${where} closed the connection (${message})`, {
      hint: doctor,
      cause: err,
    });
  }
  const cause = (err as { cause?: { code?: string } })?.cause;
  if (cause?.code || /fetch failed|ECONN|ENOTFOUND|socket/i.test(message)) return networkError(where, err);
  return new McptestError('server_error', `talking to ${where} failed: ${message}`, {
    hint: doctor,
    cause: err,
  });
}
