/**
 * The daemon's registry of logins that wait for a human: device-code logins (RFC 8628) and
 * browser logins (authorization code + PKCE). Generic over kinds: each kind is a {@link LoginFlow}
 * that starts a login, re-arms it after a daemon restart and cleans up when it ends; the registry
 * keeps the record, persists it in the store's `pending_logins` table (so polling resumes after a
 * restart), expires it, wakes long-polling waiters and counts pending logins for the idle exit.
 *
 * How a flow uses it (browser-login.ts does the same as device-login.ts):
 * ```ts
 * const info = registry.create({ kind: 'browser', serverUrl, scope, expiresAt,
 *   info: { authorizationUrl, redirectUri },   // public: returned over IPC
 *   data: { codeVerifier, state, ... } });      // secret: store only, never logged or returned
 * // later, from the loopback listener or a paste-back:
 * registry.complete(info.id);                    // after ctx.tokens.storeLogin(...)
 * registry.fail(info.id, new McptestError('login_denied', '...', { hint: '...' }));
 * ```
 * Secrets (device_code, PKCE verifier, client secret) live in `data`: the store is 0600 and only
 * the daemon reads it. They never appear in {@link LoginInfo}, logs or errors.
 *
 * build-daemon.ts builds the registry with the daemon; the flows (and the discovery, registration
 * and OAuth exchanges they use) are loaded on first use through `loadFlows`, so a daemon that only
 * hands out tokens never loads them. Routes await {@link LoginRegistry.ready} before anything else.
 */
import { randomUUID } from 'node:crypto';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import type { LoginInfo, LoginStartRequest } from '../../shared/ipc-schemas.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PendingLoginRow, TokenStore } from '../store/token-store.js';

/** What the registry uses of the daemon (the daemon's context holds the registry, not the reverse). */
export interface LoginRegistryDeps {
  store: TokenStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export type LoginKind = 'device' | 'browser';
export type LoginState = LoginInfo['status'];
/** The parsed start request (defaults applied). */
export type ParsedLoginStartRequest = Omit<LoginStartRequest, 'force'> & { force: boolean };

/** The public, per-kind fields of a login (returned over IPC). Never secrets. */
export type LoginPublicFields = Pick<
  LoginInfo,
  | 'verificationUri'
  | 'verificationUriComplete'
  | 'userCode'
  | 'intervalSeconds'
  | 'authorizationUrl'
  | 'redirectUri'
>;

/** A login as the registry holds it: public info plus the flow's secret data. */
export interface LoginRecord {
  info: LoginInfo;
  /** The flow's secret state (device_code, PKCE verifier, client secret...). Never logged. */
  data: Record<string, unknown>;
}

/**
 * One kind of login. The registry calls `start` for `POST /v1/logins`, `resume` for every pending
 * login of the kind found in the store when the daemon starts, `stop` whenever a login of the kind
 * leaves `pending` (complete, failed, cancelled, expired) and `callback` for a paste-back.
 */
export interface LoginFlow {
  readonly kind: LoginKind;
  /** Starts a login and returns it; must call {@link LoginRegistry.create}. */
  start(req: ParsedLoginStartRequest, registry: LoginRegistry): Promise<LoginInfo>;
  /**
   * Re-arms a pending login after a daemon restart (its record as stored). Without `resume`,
   * pending logins of the kind fail with `login_expired` on restart (their listener is gone).
   */
  resume?(record: LoginRecord, registry: LoginRegistry): void;
  /** Stops timers, pollers and listeners of a login that left `pending`. Must not throw. */
  stop?(id: string): void | Promise<void>;
  /** Completes a browser login from the final redirected URL a human pasted. */
  callback?(record: LoginRecord, url: string, registry: LoginRegistry): Promise<void>;
}

export interface CreateLoginInput {
  kind: LoginKind;
  serverUrl: string;
  scope: string | null;
  /** When the device code or authorization request stops being usable (ms since epoch). */
  expiresAt: number;
  info?: LoginPublicFields;
  data?: Record<string, unknown>;
}

/** Finished logins stay answerable (for `mcptest login --wait ID`) this long, then go. */
const KEEP_FINISHED_MS = 60 * 60 * 1000;

export class LoginRegistry {
  private readonly records = new Map<string, LoginRecord>();
  /** The kinds of login, once loaded; every pending login's flow is in it. */
  private readonly flows = new Map<LoginKind, LoginFlow>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly expiryTimers = new Map<string, unknown>();
  private flowsLoaded: Promise<void> | undefined;
  private resumed: Promise<void> | undefined;
  private closed = false;

  /**
   * @param loadFlows the kinds of login this daemon runs, loaded (by dynamic import) the first
   *   time a login starts or a stored pending login is resumed.
   */
  constructor(
    private readonly ctx: LoginRegistryDeps,
    private readonly loadFlows: () => Promise<readonly LoginFlow[]>,
  ) {}

  /** Whether the store holds logins of an earlier daemon, which {@link ready} picks up. */
  hasStoredLogins(): boolean {
    return this.ctx.store.listPendingLogins().length > 0;
  }

  /**
   * Resolves once the logins in the store are loaded (at most once per daemon): every login route
   * awaits it, and build-daemon.ts starts it just after the daemon is ready when the store holds
   * any. Loads the flows only when a stored login is pending.
   */
  ready(): Promise<void> {
    this.resumed ??= this.resumeAll().catch((err) => {
      this.resumed = undefined;
      throw err;
    });
    return this.resumed;
  }

  /** Loads the kinds of login, once. */
  private loadKinds(): Promise<void> {
    this.flowsLoaded ??= this.loadFlows().then(
      (flows) => {
        for (const flow of flows) this.flows.set(flow.kind, flow);
      },
      (err) => {
        this.flowsLoaded = undefined;
        throw err;
      },
    );
    return this.flowsLoaded;
  }

  /**
   * Loads logins from the store: pending ones whose time is up are marked expired, the others are
   * handed to their flow's `resume` (device polling re-arms). Finished ones older than an hour
   * are deleted.
   */
  private async resumeAll(): Promise<void> {
    if (this.closed) return;
    const rows = this.ctx.store.listPendingLogins();
    if (rows.some((row) => row.status === 'pending')) await this.loadKinds();
    if (this.closed) return;
    const now = this.ctx.clock.now();
    for (const row of rows) {
      const record = fromRow(row);
      if (record.info.status !== 'pending') {
        if (now - row.updatedAt > KEEP_FINISHED_MS) this.ctx.store.deletePendingLogin(row.id);
        else this.records.set(row.id, record);
        continue;
      }
      this.records.set(row.id, record);
      const flow = this.flows.get(record.info.kind);
      if (record.info.expiresAt <= now) {
        this.fail(row.id, expiredError(record.info));
      } else if (!flow?.resume) {
        this.fail(
          row.id,
          new McptestError(
            'login_expired',
            `the ${record.info.kind} login for ${record.info.serverUrl} was interrupted by a daemon restart`,
            { hint: loginHint(record.info) },
          ),
        );
      } else {
        this.armExpiry(record.info);
        this.ctx.logger.info({ loginId: row.id, kind: record.info.kind }, 'login resumed after restart');
        try {
          flow.resume(record, this);
        } catch (err) {
          this.fail(row.id, toMcptestError(err));
        }
      }
    }
  }

  /** Starts a login of the requested kind (`POST /v1/logins`). */
  async start(req: ParsedLoginStartRequest): Promise<LoginInfo> {
    await this.ready();
    await this.loadKinds();
    const flow = this.flows.get(req.kind);
    if (!flow) {
      throw new McptestError('invalid_request', `this daemon cannot run ${req.kind} logins yet`, {
        hint:
          req.kind === 'browser' ? `mcptest login --device --url ${req.serverUrl}` : 'mcptest daemon status',
      });
    }
    try {
      return await flow.start(req, this);
    } catch (err) {
      const e = toMcptestError(err);
      this.ctx.metrics.inc('mcptest_logins_total', 'Logins by kind and outcome', {
        kind: req.kind,
        outcome: 'start_failed',
      });
      throw e;
    }
  }

  /** Records a new pending login and persists it. Called by a flow's `start`. */
  create(input: CreateLoginInput): LoginInfo {
    const now = this.ctx.clock.now();
    const info: LoginInfo = {
      id: randomUUID(),
      serverUrl: input.serverUrl,
      kind: input.kind,
      status: 'pending',
      createdAt: now,
      expiresAt: input.expiresAt,
      scope: input.scope,
      ...stripUndefined(input.info ?? {}),
    };
    const record: LoginRecord = { info, data: input.data ?? {} };
    this.records.set(info.id, record);
    this.persist(record);
    this.armExpiry(info);
    this.ctx.metrics.inc('mcptest_logins_total', 'Logins by kind and outcome', {
      kind: info.kind,
      outcome: 'started',
    });
    this.ctx.logger.info(
      { loginId: info.id, kind: info.kind, serverUrl: info.serverUrl, expiresAt: info.expiresAt },
      'login started',
    );
    return info;
  }

  /** Changes a pending login's public fields or secret data (e.g. a new interval after slow_down). */
  update(id: string, change: { info?: LoginPublicFields; data?: Record<string, unknown> }): void {
    const record = this.records.get(id);
    if (record?.info.status !== 'pending') return;
    if (change.info) record.info = { ...record.info, ...stripUndefined(change.info) };
    if (change.data) record.data = { ...record.data, ...change.data };
    this.persist(record);
  }

  /** Marks a login complete (after the flow stored the credential with ctx.tokens.storeLogin). */
  complete(id: string): void {
    this.finish(id, 'complete');
  }

  /** Marks a login failed with an error the waiting CLI will print. */
  fail(id: string, error: McptestError): void {
    this.finish(id, 'failed', error);
  }

  /**
   * Cancels a login (`DELETE /v1/logins/:id`, Ctrl-C in the CLI, or a newer login replacing it,
   * whose `reason` the waiting CLI prints).
   */
  cancel(id: string, reason?: string): LoginInfo {
    const record = this.require(id);
    if (record.info.status === 'pending') {
      this.finish(
        id,
        'cancelled',
        new McptestError(
          'login_cancelled',
          reason ?? `the login for ${record.info.serverUrl} was cancelled`,
          { hint: loginHint(record.info) },
        ),
      );
    }
    return this.require(id).info;
  }

  /** Delivers a pasted redirect URL to the login's flow (`POST /v1/logins/:id/callback`). */
  async callback(id: string, url: string): Promise<LoginInfo> {
    await this.ready();
    const record = this.require(id);
    if (record.info.status !== 'pending') return record.info;
    const flow = this.flows.get(record.info.kind);
    if (!flow?.callback) {
      throw new McptestError('invalid_request', `a ${record.info.kind} login takes no pasted redirect URL`, {
        hint: `mcptest login --wait ${id}`,
      });
    }
    await flow.callback(record, url, this);
    return this.require(id).info;
  }

  /** A login's public info. Throws not_found for an unknown id. */
  get(id: string): LoginInfo {
    return this.require(id).info;
  }

  /** The full record, secret data included: for flows only, never for IPC answers. */
  record(id: string): LoginRecord | undefined {
    return this.records.get(id);
  }

  list(): LoginInfo[] {
    return [...this.records.values()].map((r) => r.info).sort((a, b) => a.createdAt - b.createdAt);
  }

  pendingCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.info.status === 'pending') n += 1;
    return n;
  }

  /**
   * Resolves with the login once it leaves `pending`, or as it is when `ms` pass (long-poll).
   * Uses real timers on purpose: it bounds an IPC request, not protocol timing.
   */
  async wait(id: string, ms: number): Promise<LoginInfo> {
    const info = this.get(id);
    if (info.status !== 'pending' || ms <= 0) return info;
    await new Promise<void>((resolve) => {
      let set = this.waiters.get(id);
      if (!set) {
        set = new Set();
        this.waiters.set(id, set);
      }
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
    return this.get(id);
  }

  private finish(id: string, status: Exclude<LoginState, 'pending'>, error?: McptestError): void {
    const record = this.records.get(id);
    if (record?.info.status !== 'pending') return;
    record.info = {
      ...record.info,
      status,
      ...(error
        ? { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } }
        : {}),
    };
    // Secrets are useless once the login ended; drop them from the store.
    record.data = {};
    if (!this.closed) this.persist(record);
    const timer = this.expiryTimers.get(id);
    if (timer !== undefined) this.ctx.clock.clearTimeout(timer);
    this.expiryTimers.delete(id);
    const outcome =
      status === 'failed'
        ? error?.code === 'login_expired'
          ? 'expired'
          : error?.code === 'login_denied'
            ? 'denied'
            : 'failed'
        : status;
    this.ctx.metrics.inc('mcptest_logins_total', 'Logins by kind and outcome', {
      kind: record.info.kind,
      outcome,
    });
    this.ctx.logger.info(
      { loginId: id, kind: record.info.kind, status, error: error?.code, message: error?.message },
      'login finished',
    );
    void Promise.resolve()
      .then(() => this.flows.get(record.info.kind)?.stop?.(id))
      .catch((err) =>
        this.ctx.logger.warn({ loginId: id, err: (err as Error).message }, 'login cleanup failed'),
      );
    for (const wake of [...(this.waiters.get(id) ?? [])]) wake();
    this.waiters.delete(id);
  }

  private armExpiry(info: LoginInfo): void {
    const delay = Math.max(0, info.expiresAt - this.ctx.clock.now());
    const timer = this.ctx.clock.setTimeout(() => {
      this.expiryTimers.delete(info.id);
      const record = this.records.get(info.id);
      if (record?.info.status === 'pending') this.fail(info.id, expiredError(record.info));
    }, delay);
    this.expiryTimers.set(info.id, timer);
  }

  private persist(record: LoginRecord): void {
    const { info, data } = record;
    const { id, serverUrl, kind, status, createdAt, expiresAt } = info;
    this.ctx.store.putPendingLogin({
      id,
      serverUrl,
      kind,
      status,
      data: { info, secret: data },
      error: info.error ? JSON.stringify(info.error) : null,
      createdAt,
      expiresAt,
      updatedAt: this.ctx.clock.now(),
    });
  }

  private require(id: string): LoginRecord {
    const record = this.records.get(id);
    if (!record) {
      throw new McptestError('not_found', `no login with id ${id}`, { hint: 'mcptest auth status' });
    }
    return record;
  }

  /** Stops every timer, poller and listener; pending logins stay pending in the store. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.expiryTimers.values()) this.ctx.clock.clearTimeout(timer);
    this.expiryTimers.clear();
    // Pending logins stay pending in the store; the next daemon resumes them.
    for (const record of this.records.values()) {
      if (record.info.status === 'pending') {
        await Promise.resolve(this.flows.get(record.info.kind)?.stop?.(record.info.id)).catch(
          () => undefined,
        );
      }
    }
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    this.waiters.clear();
  }
}

function fromRow(row: PendingLoginRow): LoginRecord {
  const stored = row.data as { info?: LoginInfo; secret?: Record<string, unknown> };
  const info: LoginInfo = {
    id: row.id,
    serverUrl: row.serverUrl,
    kind: row.kind,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    scope: null,
    ...(stored.info ?? {}),
    status: row.status,
  };
  return { info, data: stored.secret ?? {} };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The command that starts a login like this one again. */
export function loginHint(info: Pick<LoginInfo, 'kind' | 'serverUrl'>): string {
  return info.kind === 'device'
    ? `mcptest login --device --url ${info.serverUrl}`
    : `mcptest login ${info.serverUrl}`;
}

function expiredError(info: LoginInfo): McptestError {
  const what = info.kind === 'device' ? 'device code' : 'authorization request';
  return new McptestError(
    'login_expired',
    `the ${what} for ${info.serverUrl} expired before the login was approved; re-run the command for a fresh ${info.kind === 'device' ? 'code' : 'URL'}`,
    { hint: loginHint(info) },
  );
}
