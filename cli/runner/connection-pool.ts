/**
 * The connections of one suite run. A connection is opened on first use for each server, revision
 * and set of answers (the answers are the connection's: tests that answer alike share one), and
 * closed when the run ends. Each (server, revision) pair has one {@link ServerResult}: the
 * first connection decides it, and once it failed the pair is not tried again (the failure is
 * reported once, and a refusing server is not asked again and again).
 *
 * Tests share a connection; a test whose asks or notifications are checked holds it alone (an
 * exclusive hold), so what the server asks or sends during the test is that test's.
 */
import path from 'node:path';
import type { McptestError } from '../../shared/errors.js';
import type { Answers, Ask, ProtocolChoice, ProtocolEra, ServerTarget } from '../mcp/target.js';
import type { SurfaceSource } from '../surface/record.js';
import { answersKey } from './answers.js';
import type { LoadedSuite } from './load-suite.js';
import { errorInfo, isAuthError, type RunEvent, type ServerResult } from './report.js';
import type { ServerSpec } from './suite-schema.js';
import { type TapTransport, tapTransport, type WireTap } from './wire-tap.js';

/** The slice of the SDK `Client` the runner uses. */
export interface RunnerClient {
  request(
    req: { method: string; params?: Record<string, unknown> },
    schema: any,
    options?: any,
  ): Promise<any>;
  listTools(params?: { cursor?: string }, options?: any): Promise<{ tools: ToolInfo[]; nextCursor?: string }>;
  /** The transport the client speaks over (tapped for raw results and notifications). */
  readonly transport?: unknown;
  /** Opens a 2026-07-28 `subscriptions/listen` stream. */
  listen?(filter: Record<string, unknown>, options?: any): Promise<{ close(): Promise<void> }>;
}

export interface ToolInfo {
  name: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

/** The slice of an `McpConnection` the runner uses. */
export interface RunnerConnection {
  client: RunnerClient;
  /** Turns a failed request into an McptestError (the auth error when the server refused us). */
  explain?(err: unknown): McptestError;
  close(): Promise<void>;
  /** The era and version the connection negotiated. */
  era?: ProtocolEra;
  protocolVersion?: string;
  /** How it travels (a 2026-07-28 HTTP call carries its `Mcp-Param-*` headers). */
  transport?: 'streamable-http' | 'sse' | 'stdio';
  /** What the server asked for on this connection so far, in order. */
  asks?: Ask[];
  /** What the server said of itself, for `snapshot:` tests (an `McpConnection` has them all). */
  serverInfo?: { name?: string; title?: string; version?: string };
  capabilities?: Record<string, unknown>;
  discover?: SurfaceSource['discover'];
}

export type Connector = (
  target: ServerTarget,
  io: {
    env: NodeJS.ProcessEnv;
    vars?: NodeJS.ProcessEnv;
    passEnv?: readonly string[];
    cwd: string;
    signal?: AbortSignal;
    /** What the connection answers when the server asks (a test's `answers:`). */
    answers?: Answers;
  },
) => Promise<RunnerConnection>;

export interface RunDeps {
  connect: Connector;
  env: NodeJS.ProcessEnv;
  /** Where the env vars a server's auth names are read; `env` when absent. */
  vars?: NodeJS.ProcessEnv;
  /** Variables a stdio server gets besides the safe set (see ConnectIo.passEnv). */
  passEnv?: readonly string[];
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/** The YAML server entry as a connect target; relative paths resolve from the suite's folder. */
export function serverTarget(spec: ServerSpec, suiteDir: string, timeoutMs: number): ServerTarget {
  const oauth = spec.auth?.oauth;
  return {
    ...(spec.url ? { url: spec.url } : {}),
    ...(spec.command
      ? {
          command: spec.command,
          args: spec.args ?? [],
          cwd: path.resolve(suiteDir, spec.cwd ?? '.'),
          ...(spec.env ? { env: spec.env } : {}),
        }
      : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.auth?.bearer_token_env ? { bearerTokenEnv: spec.auth.bearer_token_env } : {}),
    ...(oauth
      ? {
          oauth: {
            grant: oauth.grant,
            clientId: oauth.client_id,
            ...(oauth.client_secret_env ? { clientSecretEnv: oauth.client_secret_env } : {}),
            ...(oauth.token_url ? { tokenUrl: oauth.token_url } : {}),
            ...(oauth.scope ? { scope: oauth.scope } : {}),
            ...(oauth.resource ? { resource: oauth.resource } : {}),
            ...(oauth.auth_method ? { authMethod: oauth.auth_method } : {}),
            ...(oauth.private_key_file
              ? { privateKeyFile: path.resolve(suiteDir, oauth.private_key_file) }
              : {}),
            ...(oauth.private_key_env ? { privateKeyEnv: oauth.private_key_env } : {}),
          },
        }
      : {}),
    timeoutMs: spec.timeout_ms ?? timeoutMs,
  };
}

export function describeTarget(spec: ServerSpec): string {
  return spec.url ?? [spec.command, ...(spec.args ?? [])].join(' ');
}

/** A test's hold on a connection; `overlapped` turns true when another test ran beside it. */
export interface Hold {
  overlapped: boolean;
  release(): void;
}

/** An open connection of the pool. */
export interface PooledConnection {
  conn: RunnerConnection;
  /** The transport's tap; null when the connection exposes no transport. */
  tap: WireTap | null;
  /** What the server asked on this connection so far (the connection layer's record). */
  asks: readonly Ask[] | undefined;
  /** Waits for the connection, alone (`exclusive`) or beside other shared holds. */
  hold(exclusive: boolean): Promise<Hold>;
  /**
   * Makes sure the server's change notifications reach this connection: a 2026-07-28 connection
   * opens one `subscriptions/listen` for the list changes (once); a 2025 one gets them unasked.
   */
  listen(timeoutMs: number): Promise<void>;
}

/** Holds of one connection: shared ones together, an exclusive one alone, first come first served. */
function holdQueue(): (exclusive: boolean) => Promise<Hold> {
  const active = new Set<Hold>();
  let exclusiveActive = false;
  const queue: Array<{ exclusive: boolean; grant: () => void }> = [];
  const pump = () => {
    while (queue.length) {
      const head = queue[0];
      if (exclusiveActive || (head.exclusive && active.size > 0)) return;
      queue.shift();
      head.grant();
    }
  };
  return (exclusive) =>
    new Promise<Hold>((resolve) => {
      queue.push({
        exclusive,
        grant: () => {
          const hold: Hold = {
            overlapped: active.size > 0,
            release: () => {
              if (!active.delete(hold)) return;
              if (exclusive) exclusiveActive = false;
              pump();
            },
          };
          for (const other of active) other.overlapped = true;
          active.add(hold);
          if (exclusive) exclusiveActive = true;
          resolve(hold);
        },
      });
      pump();
    });
}

export interface ConnectionPool {
  /** The connection of `server` at `protocol` answering with `answers`; throws the connect failure. */
  get(server: string, protocol: ProtocolChoice, answers: Answers): Promise<PooledConnection>;
  /** The result of each (server, revision) pair, in suite order. */
  results(): ServerResult[];
  /** The pair's result (for a test's era and version). */
  result(server: string, protocol: ProtocolChoice): ServerResult;
  /** Marks the pair's server as having refused our credentials. */
  markAuthFailed(server: string, protocol: ProtocolChoice): void;
  closeAll(): Promise<void>;
}

export function connectionPool(
  loaded: LoadedSuite,
  pairs: ReadonlyArray<{ server: string; protocol: ProtocolChoice }>,
  timeoutMs: number,
  deps: RunDeps,
): ConnectionPool {
  const pairKey = (server: string, protocol: string) => `${server}\u0000${protocol}`;
  const slots = new Map<string, { result: ServerResult; settled: boolean; failure: unknown }>();
  for (const { server, protocol } of pairs) {
    slots.set(pairKey(server, protocol), {
      result: {
        name: server,
        target: describeTarget(loaded.suite.servers[server]),
        protocol,
        era: null,
        protocolVersion: null,
        connected: false,
        connectMs: null,
        error: null,
        authFailed: false,
      },
      settled: false,
      failure: null,
    });
  }
  const slotOf = (server: string, protocol: ProtocolChoice) => {
    const slot = slots.get(pairKey(server, protocol));
    if (!slot) throw new Error(`no server ${server} at ${protocol} in the plan`);
    return slot;
  };
  const open = new Map<string, Promise<PooledConnection>>();

  const connect = async (server: string, protocol: ProtocolChoice, answers: Answers) => {
    const slot = slotOf(server, protocol);
    const target: ServerTarget = {
      ...serverTarget(loaded.suite.servers[server], loaded.dir, timeoutMs),
      protocol,
    };
    const t0 = performance.now();
    let conn: RunnerConnection;
    try {
      conn = await deps.connect(target, {
        env: deps.env,
        vars: deps.vars,
        passEnv: deps.passEnv,
        cwd: loaded.dir,
        signal: deps.signal,
        answers,
      });
    } catch (err) {
      if (!slot.settled) {
        slot.settled = true;
        slot.failure = err;
        slot.result.connectMs = Math.round(performance.now() - t0);
        slot.result.error = errorInfo(err);
        slot.result.authFailed = isAuthError(err);
        deps.onEvent?.({ type: 'server', server: slot.result });
      }
      throw err;
    }
    if (!slot.settled) {
      slot.settled = true;
      slot.result.connected = true;
      slot.result.connectMs = Math.round(performance.now() - t0);
      slot.result.era = conn.era ?? null;
      slot.result.protocolVersion = conn.protocolVersion ?? null;
      deps.onEvent?.({ type: 'server', server: slot.result });
    }
    const transport = conn.client.transport as TapTransport | undefined;
    const tap = transport && typeof transport.send === 'function' ? tapTransport(transport) : null;
    let listening: Promise<void> | null = null;
    const pooled: PooledConnection = {
      conn,
      tap,
      get asks() {
        return conn.asks;
      },
      hold: holdQueue(),
      listen(limitMs) {
        if (conn.era !== 'modern') return Promise.resolve();
        listening ??= (async () => {
          if (typeof conn.client.listen !== 'function') {
            throw new Error('this connection cannot open subscriptions/listen');
          }
          const subscription = await conn.client.listen(
            { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true },
            { timeout: limitMs, signal: deps.signal },
          );
          subscriptions.push(subscription);
        })();
        listening.catch(() => {
          listening = null; // the next test that needs it tries again
        });
        return listening;
      },
    };
    return pooled;
  };

  const subscriptions: Array<{ close(): Promise<void> }> = [];
  return {
    get(server, protocol, answers) {
      const slot = slotOf(server, protocol);
      if (slot.failure) return Promise.reject(slot.failure);
      const key = `${pairKey(server, protocol)}\u0000${answersKey(answers)}`;
      let pending = open.get(key);
      if (!pending) {
        pending = connect(server, protocol, answers);
        pending.catch(() => undefined);
        open.set(key, pending);
      }
      return pending;
    },
    results: () => [...slots.values()].map((s) => s.result),
    result: (server, protocol) => slotOf(server, protocol).result,
    markAuthFailed(server, protocol) {
      slotOf(server, protocol).result.authFailed = true;
    },
    async closeAll() {
      await Promise.all(subscriptions.map((s) => s.close().catch(() => undefined)));
      await Promise.all([...open.values()].map((p) => p.then((c) => c.conn.close()).catch(() => undefined)));
    },
  };
}
