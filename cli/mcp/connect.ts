/**
 * The one way mcptest connects to an MCP server, used by every surface (tools, call, doctor, the
 * suite runner, the agent server). HTTP targets use Streamable HTTP (falling back to the legacy
 * HTTP+SSE transport when the server only speaks that); stdio targets spawn the server.
 *
 * Tokens are attached by a custom fetch, never by the SDK's OAuthClientProvider: the daemon owns
 * OAuth. The fetch asks its token source per request, sends the token to the server's origin
 * only, refuses redirects to other origins, and after a 401 on a daemon-supplied token reports
 * the rejected fingerprint and retries once with the fresh token. A 403 `insufficient_scope` on a
 * cached login steps up (step-up.ts): a browser approval of the wider scope when a human can
 * give one, then the request once more; else `step_up_required` with the exact login command.
 * @see MCP spec 2025-11-25 "Transports" (Streamable HTTP, backwards compatibility) and "Authorization"
 */
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Implementation, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import { VERSION } from '../../shared/version.js';
import { type AuthFailure, buildAuthError, stateForResponse } from './auth-error.js';
import { resolveTokenSource, type TokenSource } from './credentials.js';
import { stdioServerEnv } from './stdio-env.js';
import { insufficientScope } from './scope-challenge.js';
import type { Ask, ConnectIo, ProtocolEra, ServerTarget } from './target.js';
import { networkError, probeEndpoint } from './probe.js';
import { splitCommandLine } from './command-line.js';
import { targetFlags } from './target-options.js';
import { approveStepUp, browserAvailable, MAX_STEP_UPS, stepUpRequiredError } from './step-up.js';
import { declineServerRequests } from './server-requests.js';
import { httpErrorMessage } from './error-body.js';

export type AuthSource = 'bearer_token_env' | 'client_credentials' | 'login' | 'none';

export interface McpConnection {
  client: Client;
  target: ServerTarget;
  /** Canonical server URL; null for stdio. */
  serverUrl: string | null;
  authSource: AuthSource;
  transport: 'streamable-http' | 'sse' | 'stdio';
  serverInfo: Implementation | undefined;
  capabilities: ServerCapabilities | undefined;
  protocolVersion: string | undefined;
  /** The era this connection speaks: `modern` (2026-07-28, stateless) or `legacy` (initialize). */
  era: ProtocolEra;
  /** The server's `server/discover` answer (modern era, or a dual-era server probed by `auto`). */
  discover: DiscoverInfo | undefined;
  /** What the server asked for on this connection so far, in order (see `ConnectIo.answers`). */
  asks: Ask[];
  /**
   * Turns an error thrown by `client` (a 401/403 on a later request, a JSON-RPC error, a network
   * failure) into an McptestError: the auth error when the server refused us.
   */
  explain(err: unknown): McptestError;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The parts of a `server/discover` result mcptest shows and asserts on. */
export interface DiscoverInfo {
  supportedVersions: string[];
  capabilities: Record<string, unknown>;
  serverInfo?: { name: string; version: string; title?: string };
  extensions?: Record<string, unknown>;
  instructions?: string;
}

/** The last 401/403 the server answered on this connection. */
export interface Refusal {
  status: number;
  wwwAuthenticate: string | null;
  fingerprint: string | null;
}

/** Connects and initializes; throws the auth error, connection_failed, server_error or timeout. */
export async function connectToServer(target: ServerTarget, io: ConnectIo): Promise<McpConnection> {
  if (target.command) return connectStdio(target, io);
  if (!target.url) {
    throw new McptestError('invalid_request', 'no server given: pass --url URL or --command CMD', {
      hint: 'mcptest tools --url https://mcp.example.com/mcp',
    });
  }
  assertSecureUrl(target.url, 'server URL');
  const serverUrl = canonicalServerUrl(target.url);
  const endpoint = new URL(target.url);
  endpoint.hash = '';
  const source = await resolveTokenSource(target, serverUrl, io);
  const failure = (status: number | null, www: string | null, fp: string | null, tokenSent: boolean) =>
    buildAuthError(authFailure(source, serverUrl, status, www, fp, tokenSent));

  if (source.missing === 'env_unset') {
    // Nothing to send; still ask the server, so the error says what it advertises.
    await source.close();
    const probe = await probeEndpoint(endpoint.href, {
      headers: target.headers,
      timeoutMs: target.timeoutMs,
      signal: io.signal,
    }).catch(() => null);
    const refused = probe && (probe.status === 401 || probe.status === 403);
    throw failure(refused ? probe.status : null, refused ? probe.wwwAuthenticate : null, null, false);
  }

  const state: { refusal: Refusal | null } = { refusal: null };
  const stepUps: StepUps = { count: 0, pending: null, replaced: new Set() };
  const authFetch = makeAuthFetch(endpoint, source, state, target.headers ?? {});
  const explain = (err: unknown): McptestError => {
    if (state.refusal) {
      const r = state.refusal;
      state.refusal = null;
      if (r.status === 403 && source.input === 'login') {
        const stepUp = stepUpRequiredError(
          serverUrl,
          r.wwwAuthenticate,
          source.grantedScope ?? null,
          stepUps.count,
        );
        if (stepUp) return stepUp;
      }
      return failure(r.status, r.wwwAuthenticate, r.fingerprint, r.fingerprint !== null);
    }
    return explainError(err, serverUrl, `mcptest doctor --url ${serverUrl}`);
  };

  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const options = { timeout: target.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: io.signal };
  const stepUpAware = (c: Client) =>
    withStepUp(declineServerRequests(c), serverUrl, source, state, stepUps, io);
  let client = stepUpAware(new Client({ name: 'mcptest', version: VERSION }));
  let kind: McpConnection['transport'] = 'streamable-http';
  let negotiated: { version?: string } = {};
  let session: SessionEnd | null = null;
  try {
    const { StreamableHTTPClientTransport } = await import(
      '@modelcontextprotocol/sdk/client/streamableHttp.js'
    );
    const transport = new StreamableHTTPClientTransport(endpoint, { fetch: authFetch });
    negotiated = watchProtocolVersion(transport);
    session = endSessionOnClose(transport, target.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      await client.connect(transport, options);
    } catch (err) {
      if (state.refusal || !isLegacyHint(err)) throw err;
      // The server refused the Streamable HTTP POST: try the 2024-11-05 HTTP+SSE transport.
      await client.close().catch(() => undefined);
      const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
      client = stepUpAware(new Client({ name: 'mcptest', version: VERSION }));
      const sse = new SSEClientTransport(endpoint, { fetch: authFetch });
      negotiated = watchProtocolVersion(sse);
      kind = 'sse';
      try {
        await client.connect(sse, options);
      } catch (sseErr) {
        if (state.refusal) throw sseErr;
        throw err; // the Streamable HTTP failure says more than the fallback's
      }
    }
  } catch (err) {
    // Read the refusal before the session's DELETE gets an answer of its own.
    const e = explain(err);
    await client.close().catch(() => undefined);
    await session?.ended();
    await source.close();
    throw e;
  }
  return {
    client,
    target,
    serverUrl,
    authSource: source.input,
    transport: kind,
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    protocolVersion: negotiated.version,
    era: 'legacy',
    discover: undefined,
    asks: [],
    explain,
    close: async () => {
      await client.close().catch(() => undefined);
      await session?.ended();
      await source.close();
    },
  };
}

/** The end of a Streamable HTTP session, run once by whichever close comes first. */
interface SessionEnd {
  /** Resolves when the DELETE was answered (or gave up) and the transport is closed. */
  ended(): Promise<void>;
}

/**
 * Makes every close of `transport` end the server's session first: a DELETE with
 * `Mcp-Session-Id` (a 405 means the server keeps none), bounded by `timeoutMs` (at most 5 s) so
 * a hung server cannot hold the exit. The SDK closes the transport itself when initialize fails,
 * and its close aborts every request still in flight: hence the DELETE runs inside close.
 * @see MCP spec 2025-11-25 "Transports" §Session Management
 */
function endSessionOnClose(
  transport: { sessionId?: string; terminateSession(): Promise<void>; close(): Promise<void> },
  timeoutMs: number,
): SessionEnd {
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

export function authFailure(
  source: TokenSource,
  serverUrl: string,
  status: number | null,
  www: string | null,
  fp: string | null,
  tokenSent: boolean,
): AuthFailure {
  const fallback = source.missing ?? 'no_credentials';
  return {
    serverUrl,
    status,
    wwwAuthenticate: www,
    input: source.input,
    state: status === null ? fallback : stateForResponse(status, www, tokenSent, fallback),
    envVar: source.envVar,
    clientId: source.clientId,
    tokenUrl: source.tokenUrl,
    fingerprint: fp ?? undefined,
    reason: source.reason,
  };
}

function watchProtocolVersion(transport: Transport): { version?: string } {
  const seen: { version?: string } = {};
  const original = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version: string) => {
    seen.version = version;
    original?.(version);
  };
  return seen;
}

/** A 4xx other than 401/403 on the first POST: the server may only speak HTTP+SSE. */
export function isLegacyHint(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return (
    (err as Error)?.name !== 'McptestError' &&
    typeof code === 'number' &&
    (code === 400 || code === 404 || code === 405)
  );
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The fetch handed to the SDK transports. Bearer only to `endpoint`'s origin, redirects never
 * followed here (same-origin ones are followed by the SDK through this fetch again; others are
 * refused), one retry after a 401 with a fresh daemon token.
 */
export function makeAuthFetch(
  endpoint: URL,
  source: TokenSource,
  state: { refusal: Refusal | null },
  extraHeaders: Record<string, string>,
): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extraHeaders))
      if (!headers.has(name)) headers.set(name, value);
    headers.delete('authorization');
    const sameOrigin = url.origin === endpoint.origin;
    const send = async (token: string | null) => {
      if (token) headers.set('authorization', `Bearer ${token}`);
      let res: Response;
      try {
        res = await fetch(url, { ...init, headers, redirect: 'manual' });
      } catch (err) {
        if ((err as Error)?.name === 'AbortError') throw err;
        throw networkError(url.href, err);
      }
      refuseCrossOriginRedirect(url, res);
      return res;
    };
    if (!sameOrigin) return send(null);
    let token = await source.current();
    let res = await send(token);
    if (res.status === 401 && token) {
      const fresh = await source.renew(token);
      if (fresh && fresh !== token) {
        await res.body?.cancel().catch(() => undefined);
        token = fresh;
        res = await send(token);
      }
    }
    if (res.status === 401 || res.status === 403) {
      state.refusal = {
        status: res.status,
        wwwAuthenticate: res.headers.get('www-authenticate'),
        fingerprint: token ? fingerprint(token) : null,
      };
    } else if (res.ok) {
      state.refusal = null;
    }
    return res;
  };
}

function refuseCrossOriginRedirect(from: URL, res: Response): void {
  if (res.status < 300 || res.status > 399) return;
  const location = res.headers.get('location');
  if (!location) return;
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return;
  }
  if (to.origin === from.origin) return;
  void res.body?.cancel().catch(() => undefined);
  throw new McptestError(
    'connection_failed',
    `${from.origin} redirected to another origin (${to.origin}); mcptest does not follow redirects off the server's origin, so credentials never leave it`,
    {
      hint: `mcptest doctor --url ${to.origin}${to.pathname}`,
      details: { from: from.origin, to: to.origin },
    },
  );
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
 * Non-auth failures: network, HTTP status, JSON-RPC error, timeout. `where` names the server in
 * the message; `doctor` is the command line that diagnoses it.
 */
function explainError(err: unknown, where: string, doctor: string): McptestError {
  if (err instanceof McptestError) return err;
  const e = err as { name?: string; code?: unknown; message?: string };
  const message = e?.message ?? String(err);
  if (e?.name === 'AbortError' || /aborted|interrupted/i.test(message)) {
    return new McptestError('cancelled', `interrupted while talking to ${where}`, { cause: err });
  }
  if (e?.code === -32001 || /timed out/i.test(message)) {
    const ms = (err as { data?: { timeout?: unknown } })?.data?.timeout;
    const limit = typeof ms === 'number' ? `within ${ms / 1000} s` : 'in time';
    return new McptestError(
      'timeout',
      `${where} did not answer ${limit} (${message}); raise the limit with --timeout SECONDS, or timeout_ms in a suite`,
      { hint: doctor, details: typeof ms === 'number' ? { timeoutMs: ms } : undefined, cause: err },
    );
  }
  if (e?.name === 'McpError' || (typeof e?.code === 'number' && e.code < 0)) {
    // Servers built on the SDK wrap an McpError's message again: say "MCP error -32602:" once.
    const once = message.replace(/^(MCP error -?\d+: )(?:MCP error -?\d+: )+/, '$1');
    return new McptestError('server_error', `${where} answered with a JSON-RPC error: ${once}`, {
      details: { rpcCode: e.code },
      cause: err,
    });
  }
  if (typeof e?.code === 'number') {
    return new McptestError(
      'server_error',
      `${where} answered HTTP ${e.code}: ${httpErrorMessage(message)}`,
      {
        hint: e.code === 404 || e.code === 405 ? (endpointPathHint(where) ?? doctor) : doctor,
        details: { status: e.code },
        cause: err,
      },
    );
  }
  const cause = (err as { cause?: { code?: string } })?.cause;
  if (cause?.code || /fetch failed|ECONN|ENOTFOUND|socket/i.test(message)) return networkError(where, err);
  return new McptestError('server_error', `talking to ${where} failed: ${message}`, {
    hint: doctor,
    cause: err,
  });
}

async function connectStdio(target: ServerTarget, io: ConnectIo): Promise<McpConnection> {
  const cwd = target.cwd ?? io.cwd;
  const { command, args } = splitCommandLine(target.command as string, target.args ?? [], cwd);
  const where = [command, ...args].join(' ');
  const doctor = `mcptest doctor ${targetFlags(target)}`;
  const vars = io.vars ?? io.env;
  const unset = target.passEnv?.find((name) => vars[name] === undefined);
  if (unset) {
    throw new McptestError(
      'invalid_request',
      `--env ${unset}: ${unset} is not set in mcptest's environment`,
      {
        hint: `export ${unset}=...; or give the value: --env ${unset}=VALUE`,
      },
    );
  }
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const transport = new StdioClientTransport({
    command,
    args,
    // The safe set, the variables passed by name (--allow-env, --env KEY), --env KEY=VALUE and
    // the suite's `env:`; nothing else of ours.
    env: stdioServerEnv(io.env, {
      vars: io.vars,
      passed: [...(io.passEnv ?? []), ...(target.passEnv ?? [])],
      extra: target.env,
    }),
    cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const negotiated = watchProtocolVersion(transport);
  const child = watchChild(transport);
  const client = declineServerRequests(new Client({ name: 'mcptest', version: VERSION }));
  const explain = (err: unknown) => {
    const e = explainError(err, `stdio server \`${where}\``, doctor);
    if (stderr.trim() && e.code !== 'server_error') {
      return new McptestError(e.code, `${e.message}; its stderr ends: ${stderr.trim().slice(-500)}`, {
        hint: e.hint,
        details: e.details,
      });
    }
    return e;
  };
  try {
    await client.connect(transport, { timeout: target.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: io.signal });
  } catch (err) {
    await client.close().catch(() => undefined);
    // The SDK's close waits for the server to leave after stdin ends; a server that never
    // answered may not: it would outlive mcptest with PPID 1.
    await stopProcess(child.process);
    const errno = (err as NodeJS.ErrnoException)?.code;
    if (errno === 'ENOENT' || errno === 'EACCES') {
      throw new McptestError('connection_failed', `cannot start stdio server \`${where}\` (${errno})`, {
        hint: 'check --command: give a program on PATH or a path to an executable',
        cause: err,
      });
    }
    const e = explainError(err, `stdio server \`${where}\``, doctor);
    const exited = /connection closed/i.test(e.message);
    // The server's own last words say most when it exits early: let its stderr drain first.
    // 'end' comes as soon as the child closes stderr; the timer only bounds a child that handed
    // its stderr to a process still running, and is generous for loaded machines.
    const childStderr = transport.stderr as (NodeJS.ReadableStream & { readableEnded?: boolean }) | null;
    if (exited && childStderr && !childStderr.readableEnded) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        childStderr.once('end', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const tail = stderr.trim().slice(-500);
    throw new McptestError(
      e.code === 'server_error' ? 'connection_failed' : e.code,
      `stdio server \`${where}\` ${exited ? 'exited before it initialized' : `did not initialize: ${e.message}`}${tail ? `; its stderr ends: ${tail}` : ''}`,
      {
        hint: exited ? `run it by hand to see why: ${targetFlags(target, 'shell')}` : e.hint,
        cause: err,
      },
    );
  }
  return {
    client,
    target,
    serverUrl: null,
    authSource: 'none',
    transport: 'stdio',
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    protocolVersion: negotiated.version,
    era: 'legacy',
    discover: undefined,
    asks: [],
    explain,
    close: async () => {
      await client.close().catch(() => undefined);
      await stopProcess(child.process);
    },
  };
}

/**
 * The process `transport` spawns, kept after the transport forgets it. The SDK keeps it in a
 * private field (1.x); its `pid` getter goes null as soon as close starts.
 */
function watchChild(transport: { start(): Promise<void> }): { process: ChildProcess | null } {
  const seen: { process: ChildProcess | null } = { process: null };
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    seen.process = (transport as unknown as { _process?: ChildProcess })._process ?? null;
  };
  return seen;
}

/** True once `child` has exited, within `ms`. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, a second to leave, then SIGKILL: no spawned server outlives its connection. */
async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || (await exited(child, 0))) return;
  child.kill('SIGTERM');
  if (await exited(child, 1_000)) return;
  child.kill('SIGKILL');
  await exited(child, 1_000);
}

/** Step-ups made on one connection, and the one in progress (concurrent requests share it). */
interface StepUps {
  count: number;
  pending: Promise<boolean> | null;
  /** Fingerprints of tokens a step-up has replaced: a late 403 on one of them just retries. */
  replaced: Set<string>;
}

/**
 * How this connection can step up after a 403 `insufficient_scope`, or null when it cannot by
 * itself: a cached login steps up in the browser when a human can approve; client credentials
 * re-mint with the wider scope (no human needed); a bearer_token_env token cannot.
 */
function stepUpFor(
  serverUrl: string,
  source: TokenSource,
  io: ConnectIo,
): ((wwwAuthenticate: string) => Promise<boolean>) | null {
  if (source.input === 'login' && io.interactive) {
    return async (www) => {
      if (!browserAvailable(io.env)) return false;
      await approveStepUp(serverUrl, www, source.grantedScope ?? null, io);
      return true;
    };
  }
  const widen = source.widenScope;
  if (widen) {
    return async (www) => {
      const union = await widen(www);
      if (union === null) return false;
      io.stderr?.(
        `${serverUrl} needs scope \`${insufficientScope(www)?.required}\`; minted a client-credentials token for \`${union}\`; retrying the request.\n`,
      );
      return true;
    };
  }
  return null;
}

/**
 * Wraps `client.request` (every request, `initialize` included, goes through it): after a 403
 * `insufficient_scope`, when this connection can step up (see {@link stepUpFor}), run one
 * step-up and send the request again, at most MAX_STEP_UPS step-ups per connection. The retry
 * is a fresh request with its own timeout, so the SDK's request timeout never runs while a
 * human approves.
 */
function withStepUp(
  client: Client,
  serverUrl: string,
  source: TokenSource,
  state: { refusal: Refusal | null },
  stepUps: StepUps,
  io: ConnectIo,
): Client {
  const stepUp = stepUpFor(serverUrl, source, io);
  if (!stepUp) return client;
  const request = client.request.bind(client);
  const stepped = async (...args: Parameters<typeof request>) => {
    // Bounded: each pass either starts a step-up (at most MAX_STEP_UPS) or waits for one.
    for (let pass = 0; ; pass++) {
      try {
        return await request(...args);
      } catch (err) {
        const r = state.refusal;
        if (pass > 2 * MAX_STEP_UPS + 1) throw err;
        const canRetry =
          r?.status === 403 &&
          r.wwwAuthenticate !== null &&
          insufficientScope(r.wwwAuthenticate) !== null &&
          !io.signal?.aborted;
        if (!canRetry || !r?.wwwAuthenticate) throw err;
        if (!stepUps.pending && r.fingerprint && stepUps.replaced.has(r.fingerprint)) {
          // Refused with a token an earlier step-up already replaced: send again with the new one.
          state.refusal = null;
          continue;
        }
        if (!stepUps.pending) {
          if (stepUps.count >= MAX_STEP_UPS) throw err;
          stepUps.count++;
          const replaced = r.fingerprint;
          stepUps.pending = stepUp(r.wwwAuthenticate)
            .then((stepped) => {
              if (!stepped)
                stepUps.count--; // nothing was approved or minted: not a step-up
              else if (replaced) stepUps.replaced.add(replaced);
              return stepped;
            })
            .finally(() => {
              stepUps.pending = null;
            });
        }
        let stepped: boolean;
        try {
          stepped = await stepUps.pending; // a denied, cancelled or timed-out approval throws its own error
        } catch (stepErr) {
          state.refusal = null;
          throw stepErr;
        }
        if (!stepped) throw err; // nothing to step up to: the 403 itself is the answer
        state.refusal = null;
      }
    }
  };
  client.request = stepped as typeof client.request;
  return client;
}
