/**
 * Connecting to a server over HTTP: Streamable HTTP with the era the target asks for (the SDK's
 * `server/discover` probe and `initialize` fallback under `auto`), the legacy HTTP+SSE transport
 * when the server only speaks that, and the end of a 2025-era session on close (DELETE with
 * `Mcp-Session-Id`). Every request goes through the authenticated fetch (auth-fetch.ts) and the
 * step-up wrapper (step-up.ts); a 403 on the connect-time probe, which the SDK sends outside its
 * request funnel, steps up here and connects again.
 * @see MCP spec 2025-11-25 "Transports" (Streamable HTTP, backwards compatibility), 2026-07-28 "Transports"
 */
import type { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McptestError } from '../../shared/errors.js';
import type { Refusal } from './auth-fetch.js';
import { type Negotiated, negotiated, newClient, protocolError } from './era.js';
import { isLegacyHint } from './explain-error.js';
import type { StepUpRunner } from './step-up.js';
import { withStepUp } from './step-up.js';
import type { Ask, ConnectIo, ServerTarget } from './target.js';

export interface HttpConnection extends Negotiated {
  client: Client;
  transport: 'streamable-http' | 'sse';
  close(): Promise<void>;
}

export interface HttpConnectDeps {
  target: ServerTarget;
  io: ConnectIo;
  endpoint: URL;
  serverUrl: string;
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  state: { refusal: Refusal | null };
  stepUp: StepUpRunner | null;
  asks: Ask[];
  explain(err: unknown): McptestError;
  timeoutMs: number;
}

/** Connects (and steps up after a 403 on the probe); throws the explained error. */
export async function connectHttp(deps: HttpConnectDeps): Promise<HttpConnection> {
  const attempt = () => connectOnce(deps);
  try {
    // The probe of one attempt is not a request the step-up wrapper sees; a 403 on it steps up
    // and connects again.
    return await (deps.stepUp ? deps.stepUp.run(attempt) : attempt());
  } catch (err) {
    throw deps.explain(err);
  }
}

async function connectOnce(deps: HttpConnectDeps): Promise<HttpConnection> {
  const { target, io, endpoint, state, timeoutMs } = deps;
  const { StreamableHTTPClientTransport, SSEClientTransport } = await import('@modelcontextprotocol/client');
  const options = { timeout: timeoutMs, signal: io.signal };
  const fresh = async () => withStepUp(await newClient(target, io, deps.asks, deps.serverUrl), deps.stepUp);
  let client = await fresh();
  let kind: HttpConnection['transport'] = 'streamable-http';
  const transport = new StreamableHTTPClientTransport(endpoint, { fetch: deps.fetch });
  const session = endSessionOnClose(transport, timeoutMs);
  try {
    try {
      await client.connect(transport, options);
    } catch (err) {
      if (state.refusal || !isLegacyHint(err) || target.protocol === '2026-07-28') throw err;
      // The server refused the Streamable HTTP POST: try the 2024-11-05 HTTP+SSE transport.
      await client.close().catch(() => undefined);
      await session.ended();
      client = await fresh();
      const sse = new SSEClientTransport(endpoint, { fetch: deps.fetch });
      kind = 'sse';
      try {
        await client.connect(sse, options);
      } catch (sseErr) {
        if (state.refusal) throw sseErr;
        throw err; // the Streamable HTTP failure says more than the fallback's
      }
    }
  } catch (err) {
    // Keep the refusal from before the session's DELETE, which gets an answer of its own.
    const refused = state.refusal;
    await client.close().catch(() => undefined);
    await session.ended();
    state.refusal = refused;
    throw (refused ? null : await pinnedRefusal(err, deps)) ?? err;
  }
  return {
    client,
    transport: kind,
    ...negotiated(client),
    close: async () => {
      await client.close().catch(() => undefined);
      await session.ended();
    },
  };
}

/**
 * The error for a server that refused the pinned `--protocol`: for a pinned modern era refused by
 * a 2025-only server, a plain `initialize` on a fresh connection learns the version it speaks.
 */
async function pinnedRefusal(err: unknown, deps: HttpConnectDeps): Promise<McptestError | null> {
  const first = protocolError(err, deps.target, deps.serverUrl, 'tools');
  if (!first || deps.target.protocol !== '2026-07-28') return first;
  if ((first.details?.supported as string[] | undefined)?.length) return first;
  try {
    const legacy = await connectOnce({ ...deps, target: { ...deps.target, protocol: 'auto' }, stepUp: null });
    const version = legacy.era === 'legacy' ? legacy.protocolVersion : undefined;
    await legacy.close();
    return protocolError(err, deps.target, deps.serverUrl, 'tools', version) ?? first;
  } catch {
    return first;
  }
}

/** The end of a Streamable HTTP session, run once by whichever close comes first. */
interface SessionEnd {
  /** Resolves when the DELETE was answered (or gave up) and the transport is closed. */
  ended(): Promise<void>;
}

/**
 * Makes every close of `transport` end the server's session first: a DELETE with
 * `Mcp-Session-Id` (a 405 means the server keeps none; a modern connection has no session), bounded
 * by `timeoutMs` (at most 5 s) so a hung server cannot hold the exit. The SDK closes the
 * transport itself when initialize fails, and its close aborts every request still in flight:
 * hence the DELETE runs inside close.
 * @see MCP spec 2025-11-25 "Transports" §Session Management
 */
function endSessionOnClose(transport: StreamableHTTPClientTransport, timeoutMs: number): SessionEnd {
  const close = transport.close.bind(transport);
  let closing: Promise<void> | null = null;
  const end = async () => {
    if (transport.sessionId !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(timeoutMs, 5_000));
      });
      await Promise.race([transport.terminateSession().catch(() => undefined), bound]);
      clearTimeout(timer);
    }
    await close();
  };
  transport.close = () => {
    closing ??= end();
    return closing;
  };
  return { ended: () => closing ?? Promise.resolve() };
}
