/**
 * The token service: hands out access tokens, refreshes them before they expire, and makes sure
 * that for any credential exactly one refresh is in flight at a time (single-flight), whatever
 * the number of callers. A rotated token set is committed to the store before any caller sees it.
 * It owns serving (which token may go to a caller, the refresh once per rejected generation, the
 * issuer binding of logins) and the single-flight refresh itself; it delegates the timers to
 * refresh-schedule.ts, backoff and needs_login to failure-policy.ts, the clients held in memory to
 * client-credentials.ts, sets the store refused to uncommitted-sets.ts, monotonic expiry to
 * token-lifetimes.ts and revocation to logout.ts. The token endpoint (oauth4webapi, jose) is
 * loaded on the first refresh or mint, not to serve a cached token.
 */
import type { Logger } from '../logger.js';
import type { Clock } from '../../shared/clock.js';
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import type {
  ClientCredentialsSpec,
  CredentialSummary,
  ImportCredentialRequest,
  ParsedTokenRequest,
  TokenResponse,
} from '../../shared/ipc-schemas.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import type { Metrics } from '../metrics.js';
import type { FetchLike, OAuthContext } from '../oauth/token-endpoint.js';
import type { CredentialRow, NewCredential, TokenStore } from '../store/token-store.js';
import { type AuthServerEndpoints, ClientCredentials } from './client-credentials.js';
import { FailurePolicy, needsLoginError } from './failure-policy.js';
import { removeCredentials, revokeReplaced } from './logout.js';
import { MIN_REFRESH_GAP_MS, RefreshSchedule } from './refresh-schedule.js';
import { TokenLifetimes } from './token-lifetimes.js';
import { UncommittedSets, type WonSet } from './uncommitted-sets.js';

export type { AuthServerEndpoints } from './client-credentials.js';

export interface TokenServiceDeps {
  store: TokenStore;
  clock: Clock;
  oauth: OAuthContext;
  logger: Logger;
  metrics: Metrics;
  /** Finds the token endpoint of a server's authorization server (RFC 9728 + RFC 8414). */
  discoverEndpoints?: (serverUrl: string) => Promise<AuthServerEndpoints>;
  /**
   * The authorization servers a server's protected-resource metadata names now (fetched afresh),
   * or null when it publishes none; asked when the server rejects a token: a list without the
   * token's issuer means it belongs to an authorization server the server no longer trusts.
   */
  authorizationServers?: (serverUrl: string) => Promise<string[] | null>;
  random?: () => number;
}

/** Tokens are handed out only with at least this much life left, unless the caller asks otherwise. */
export const DEFAULT_MIN_TTL_MS = 10_000;
/**
 * How far the wall clock may stand behind the time a stored token was received before that
 * token's age counts as unknown (the clock was set back, or a daemon started with a clock behind)
 * and the token is replaced rather than served.
 */
const CLOCK_BEHIND_TOLERANCE_MS = 60_000;

export class TokenService {
  private readonly inflight = new Map<string, Promise<CredentialRow>>();
  private readonly refreshSchedule: RefreshSchedule;
  private readonly failures: FailurePolicy;
  private readonly clientCredentials: ClientCredentials;
  /** Token sets won from the IdP that the store could not commit yet, and their pending journal. */
  private readonly uncommitted: UncommittedSets;
  private readonly lifetimes: TokenLifetimes;
  /** Generation of each credential for which a 401 report already caused a refresh. */
  private readonly rejectionRefreshed = new Map<string, number>();
  private readonly random: () => number;

  constructor(private readonly deps: TokenServiceDeps) {
    this.random = deps.random ?? Math.random;
    this.lifetimes = new TokenLifetimes(deps.clock);
    this.uncommitted = new UncommittedSets({
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      lifetimes: this.lifetimes,
    });
    this.clientCredentials = new ClientCredentials({
      store: deps.store,
      logger: deps.logger,
      discoverEndpoints: deps.discoverEndpoints,
    });
    this.failures = new FailurePolicy({
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      metrics: deps.metrics,
      random: this.random,
    });
    this.refreshSchedule = new RefreshSchedule({
      clock: deps.clock,
      random: this.random,
      onDue: (key, serverUrl) => {
        this.refresh(key, serverUrl, 'scheduled').catch(() => {
          // refreshFailed already logged it and armed a retry where one makes sense.
        });
      },
    });
  }

  /**
   * Before anything is served: commits the token sets the pending journal kept (won while the
   * store refused them), retries once each refresh the previous daemon was killed in the middle
   * of, and arms refresh timers for every stored credential that can be refreshed.
   */
  start(): void {
    const { store, logger } = this.deps;
    this.uncommitted.replayJournal();
    for (const row of store.listCredentials()) {
      if (
        row.refreshStartedAt !== null &&
        row.state === 'valid' &&
        row.refreshToken &&
        !this.uncommitted.has(row.key)
      ) {
        // The previous daemon sent a refresh and died before committing the answer. If the IdP
        // rotated the refresh token, the new one is lost; the old one may still be accepted
        // (IdPs with a reuse grace period, or one whose answer never left): try it once, now.
        this.failures.noteCrashInterrupted(row.key);
        logger.warn(
          { key: row.key, serverUrl: row.serverUrl },
          'a refresh was interrupted by a daemon crash; retrying it',
        );
        this.refresh(row.key, row.serverUrl, 'interrupted by a daemon crash', true).catch(() => {
          // refreshFailed logged it and, on a refusal, marked the login with what happened.
        });
        continue;
      }
      this.schedule(row);
    }
  }

  /**
   * Stops the timers and lets refreshes in flight settle. Token sets still uncommitted are
   * committed now if the store takes them; if not, they must be in the pending journal, or the
   * daemon does not stop yet: it says why and keeps trying for a while.
   */
  async close(): Promise<unknown> {
    this.refreshSchedule.close();
    const settled = await Promise.allSettled([...this.inflight.values()]);
    await this.uncommitted.settle();
    return settled;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /**
   * Logins with a refresh (or a retry after a failed one) scheduled: work that keeps the daemon
   * from its idle exit. Client-credentials re-mints do not count: their secret comes with every
   * request, so minting on the next request is as good as minting for nobody now.
   */
  get scheduledLoginRefreshes(): number {
    let n = 0;
    for (const key of this.refreshSchedule.keys()) if (!this.clientCredentials.has(key)) n++;
    return n;
  }

  async getToken(req: ParsedTokenRequest): Promise<TokenResponse> {
    const serverUrl = canonicalServerUrl(req.serverUrl);
    const minTtl = req.minTtlSeconds === undefined ? DEFAULT_MIN_TTL_MS : req.minTtlSeconds * 1000;
    const row = req.clientCredentials
      ? await this.clientCredentialsToken(serverUrl, req.clientCredentials, minTtl, req.rejectedFingerprint)
      : await this.loginToken(serverUrl, minTtl, req.rejectedFingerprint);
    const left = this.lifetimes.left(row, this.deps.clock.now());
    if (left !== null && left <= 0) {
      // Whatever path led here, a token past its expiry is never handed out.
      throw new McptestError(
        'token_expired',
        `the access token for ${row.serverUrl} expired and no new one could be had`,
        {
          hint: `mcptest doctor --url ${row.serverUrl}`,
          details: { serverUrl: row.serverUrl },
        },
      );
    }
    this.deps.metrics.inc('mcptest_tokens_served_total', 'Access tokens handed to clients', {
      source: row.source,
    });
    return {
      accessToken: row.accessToken,
      tokenType: row.tokenType,
      expiresAt: row.expiresAt,
      scope: row.scope,
      fingerprint: this.fingerprintOf(row.key, row.accessToken),
      source: row.source,
    };
  }

  /** Each credential's last served token and its fingerprint: hashed once per token, not per request. */
  private readonly servedFingerprints = new Map<string, { token: string; fp: string }>();

  private fingerprintOf(key: string, token: string): string {
    const known = this.servedFingerprints.get(key);
    if (known?.token === token) return known.fp;
    const fp = fingerprint(token);
    this.servedFingerprints.set(key, { token, fp });
    return fp;
  }

  private async loginToken(
    serverUrl: string,
    minTtl: number,
    rejected: string | undefined,
  ): Promise<CredentialRow> {
    const row = this.deps.store.getCredential(serverUrl);
    if (!row) {
      throw new McptestError('no_credentials', `no login is cached for ${serverUrl}`, {
        hint: `mcptest login ${serverUrl}`,
        details: { serverUrl },
      });
    }
    if (
      rejected !== undefined &&
      row.state !== 'needs_login' &&
      rejected === fingerprint(row.accessToken) &&
      this.rejectionRefreshed.get(row.key) !== row.generation
    ) {
      await this.checkIssuer(row);
    }
    return this.freshEnough(row, minTtl, rejected);
  }

  /**
   * Before a rejected login token is refreshed: when the server's protected-resource metadata now
   * names another authorization server, the login (its tokens and its client) belongs to the old
   * one and is never used with the new one; it needs a new login, which registers there.
   * @see MCP authorization spec 2026-07-28 §"Authorization Server Binding"
   */
  private async checkIssuer(row: CredentialRow): Promise<void> {
    const current = await this.movedTo(row);
    if (current === null) return;
    const why = `its authorization server changed from ${row.issuer} to ${current}, which the server's protected-resource metadata now names, and a login with ${row.issuer} is not used with ${current}`;
    this.deps.store.markNeedsLogin(row.key, why, this.deps.clock.now());
    this.cancel(row.key);
    this.deps.logger.warn(
      { key: row.key, serverUrl: row.serverUrl, issuer: row.issuer, currentIssuer: current },
      'authorization server changed; credential needs login',
    );
    throw new McptestError('needs_login', `the login for ${row.serverUrl} needs renewing: ${why}`, {
      hint: `mcptest login ${row.serverUrl}`,
      details: { serverUrl: row.serverUrl, issuer: row.issuer, currentIssuer: current },
    });
  }

  private async clientCredentialsToken(
    serverUrl: string,
    asked: ClientCredentialsSpec,
    minTtl: number,
    rejected: string | undefined,
  ): Promise<CredentialRow> {
    const { spec, rememberScope } = await this.clientCredentials.withScope(serverUrl, asked);
    const { key, row, changed } = await this.clientCredentials.lookup(serverUrl, spec, (found) =>
      // A rejected token makes the server's metadata worth reading afresh, once per generation.
      rejected !== undefined &&
      rejected === fingerprint(found.accessToken) &&
      this.rejectionRefreshed.get(found.key) !== found.generation
        ? this.movedTo(found)
        : Promise.resolve(null),
    );
    const got =
      !row || changed
        ? await this.refresh(key, serverUrl, changed ? 'client or token endpoint changed' : 'first use')
        : await this.freshEnough(row, minTtl, rejected);
    if (rememberScope) this.clientCredentials.rememberScope(serverUrl, asked.clientId, spec.scope);
    return got;
  }

  /**
   * The authorization server a server moved to from the one `row` came from: the first its
   * metadata names, when it names some and not `row`'s issuer; else null. A server without
   * metadata, or metadata that cannot be read, says nothing about a change.
   */
  private async movedTo(row: CredentialRow): Promise<string | null> {
    if (!row.issuer || !this.deps.authorizationServers) return null;
    let named: string[] | null;
    try {
      named = await this.deps.authorizationServers(row.serverUrl);
    } catch {
      return null;
    }
    if (!named || named.length === 0) return null;
    const same = (a: string, b: string) => URL.parse(a)?.href === URL.parse(b)?.href;
    return named.some((issuer) => same(issuer, row.issuer as string)) ? null : named[0];
  }

  private async freshEnough(
    row: CredentialRow,
    minTtl: number,
    rejected: string | undefined,
  ): Promise<CredentialRow> {
    if (row.state === 'needs_login')
      throw needsLoginError(row.serverUrl, row.lastError ?? 'the refresh token was refused');
    const now = this.deps.clock.now();
    if (rejected !== undefined && rejected === fingerprint(row.accessToken)) {
      // The server refused this very token: refresh once for this generation, never a storm.
      if (this.rejectionRefreshed.get(row.key) !== row.generation || this.inflight.has(row.key)) {
        this.rejectionRefreshed.set(row.key, row.generation);
        // Skip the backoff gate only when the IdP is not known to be failing (no storm).
        const force = !this.failures.failing(row.key);
        return this.refresh(row.key, row.serverUrl, 'rejected by server', force).catch((err: unknown) => {
          // The refresh never reached a new token (IdP down or slow): the next report may try
          // again, instead of being told the refreshed token was rejected too.
          if (err instanceof McptestError && (err.details?.transient || err.code.startsWith('store_'))) {
            this.rejectionRefreshed.delete(row.key);
          }
          throw err;
        });
      }
      throw new McptestError('auth_failed', `${row.serverUrl} rejected the refreshed token too`, {
        hint: `mcptest doctor --url ${row.serverUrl}`,
      });
    }
    // A caller may ask for more life than a fresh token has; cap the wish at half the token's
    // full life so that a just-refreshed token always satisfies it (no refresh per call).
    const life = row.expiresAt === null ? 0 : row.expiresAt - row.updatedAt;
    const left = this.lifetimes.left(row, now);
    // Received "in the future" of the wall clock: the clock was set back (or this daemon started
    // with one behind), and how old the token really is cannot be told from it.
    const clockBehind = row.updatedAt - now > CLOCK_BEHIND_TOLERANCE_MS;
    // An expired token is always replaced; one merely close to expiry not sooner than the gap.
    if (
      left !== null &&
      (clockBehind ||
        left <= 0 ||
        (left < Math.min(minTtl, life / 2) && now - row.updatedAt >= MIN_REFRESH_GAP_MS))
    ) {
      try {
        return await this.refresh(row.key, row.serverUrl, clockBehind ? 'wall clock behind' : 'expiring');
      } catch (err) {
        // A transient IdP failure: keep serving the old token for as long as it is valid.
        if (err instanceof McptestError && err.details?.transient && left > 0) return row;
        throw err;
      }
    }
    return row;
  }

  /** Single-flight refresh (or client-credentials mint) of one credential. */
  refresh(key: string, serverUrl: string, reason: string, force = false): Promise<CredentialRow> {
    const running = this.inflight.get(key);
    if (running) return running;
    const flight = this.runRefresh(key, serverUrl, reason, force).finally(() => this.inflight.delete(key));
    this.inflight.set(key, flight);
    return flight;
  }

  private async runRefresh(
    key: string,
    serverUrl: string,
    reason: string,
    force: boolean,
  ): Promise<CredentialRow> {
    const { store, clock, logger, metrics } = this.deps;
    const backingOff = force ? null : this.failures.backingOff(key);
    if (backingOff) throw backingOff;
    // Loaded on the first refresh or mint: serving a cached token needs none of oauth4webapi.
    const { clientCredentialsGrant, refreshGrant } = await import('../oauth/token-endpoint.js');
    const row = store.getCredential(key);
    const started = clock.now();
    // The moment the IdP's answer arrived (its headers), to measure the answer-to-commit window.
    let answeredMono: number | null = null;
    const oauth: OAuthContext = {
      ...this.deps.oauth,
      fetch: (async (...args: Parameters<FetchLike>) => {
        const res = await this.deps.oauth.fetch(...args);
        answeredMono = this.lifetimes.mono();
        return res;
      }) as FetchLike,
    };
    let reused = false;
    try {
      const cc = this.clientCredentials.get(key);
      let saved: CredentialRow;
      if (cc && (!row || row.source === 'client_credentials')) {
        const tokens = await clientCredentialsGrant(
          { tokenEndpoint: cc.tokenEndpoint, issuer: cc.issuer },
          cc,
          { resource: cc.resource ?? serverUrl, scope: cc.scope },
          oauth,
        );
        const wonAt = clock.now();
        const wonMono = this.lifetimes.mono();
        saved = store.putCredential(this.clientCredentials.credential(key, serverUrl, cc, tokens), wonAt);
        this.lifetimes.note(saved, wonAt, wonMono);
      } else {
        if (!row) throw new McptestError('not_found', `credential for ${serverUrl} was removed`);
        if (row.source === 'client_credentials') {
          throw new McptestError('token_expired', `the client-credentials token for ${serverUrl} expired`, {
            hint: 'run the command again with the client secret in its env var',
          });
        }
        if (!row.refreshToken || !row.tokenEndpoint) {
          store.markNeedsLogin(key, 'no refresh token', clock.now());
          throw needsLoginError(row.serverUrl, 'the token expired and no refresh token was issued');
        }
        const waiting = this.uncommitted.get(key);
        let won: WonSet;
        if (waiting && waiting.generation === row.generation) {
          won = waiting;
          reused = true;
        } else {
          this.markStarted(key, row.generation);
          const tokens = await refreshGrant(
            { tokenEndpoint: row.tokenEndpoint, issuer: row.issuer },
            { clientId: row.clientId ?? '', clientSecret: row.clientSecret, authMethod: row.authMethod },
            row.refreshToken,
            { resource: row.resource },
            oauth,
          );
          won = { generation: row.generation, tokens, wonAt: clock.now(), wonMono: this.lifetimes.mono() };
        }
        // Commit first, before anything else is done with the answer: until then a crash loses
        // a refresh token the IdP may already have rotated.
        try {
          saved = store.saveRefreshed(key, row.generation, won.tokens, clock.now());
        } catch (err) {
          if (err instanceof McptestError && err.code.startsWith('store_')) {
            this.uncommitted.keep(key, won);
          }
          throw err;
        }
        this.lifetimes.note(saved, won.wonAt, won.wonMono);
        this.uncommitted.drop(key);
      }
      if (answeredMono !== null) {
        const commitMs = (this.lifetimes.mono() ?? answeredMono) - answeredMono;
        metrics.observe(
          'mcptest_refresh_commit_seconds',
          'Time from the token endpoint answer to its commit in the store',
          commitMs / 1000,
        );
        logger.debug({ key, commitMs: Math.round(commitMs * 1000) / 1000 }, 'token set committed');
      }
      this.failures.succeeded(key);
      metrics.inc('mcptest_refreshes_total', 'Token refreshes and client-credentials mints by outcome', {
        outcome: 'ok',
      });
      metrics.observe(
        'mcptest_idp_latency_seconds',
        'Latency of token endpoint requests',
        (clock.now() - started) / 1000,
      );
      logger.info(
        {
          key,
          serverUrl,
          reason,
          generation: saved.generation,
          fingerprint: fingerprint(saved.accessToken),
          expiresAt: saved.expiresAt,
        },
        reused ? 'token set kept from an earlier refresh committed' : 'token refreshed',
      );
      const left = this.lifetimes.left(saved, clock.now());
      if (reused && left !== null && left <= 0) {
        // The set kept while the store refused it has expired meanwhile: its refresh token is
        // the current one, so refresh again rather than hand out an expired token.
        return this.runRefresh(key, serverUrl, 'the kept token set expired', true);
      }
      this.schedule(saved);
      return saved;
    } catch (err) {
      throw this.refreshFailed(key, serverUrl, row, err);
    }
  }

  /** Records in the store that a refresh is on its way, so a crash before its commit is known. */
  private markStarted(key: string, generation: number): void {
    try {
      this.deps.store.markRefreshStarted(key, generation, this.deps.clock.now());
    } catch (err) {
      // The store refuses writes (full, locked): refresh all the same; the commit of the answer
      // will meet the same refusal and keep the set in the pending journal.
      this.deps.logger.warn(
        { key, err: (err as Error).message },
        'could not record the refresh in flight; refreshing all the same',
      );
    }
  }

  /** Applies the failure policy's verdict on a failed refresh: timers, and the error to answer. */
  private refreshFailed(
    key: string,
    serverUrl: string,
    row: CredentialRow | undefined,
    err: unknown,
  ): McptestError {
    const outcome = this.failures.failed({
      key,
      serverUrl,
      row,
      err,
      uncommitted: this.uncommitted.has(key),
    });
    if (outcome.kind === 'needs_login') this.cancel(key);
    if (outcome.retryAt !== null) this.refreshSchedule.arm(key, serverUrl, outcome.retryAt);
    const cc = outcome.kind === 'error' ? this.clientCredentials.get(key) : undefined;
    return cc ? this.clientCredentials.explain(outcome.error, serverUrl, cc) : outcome.error;
  }

  /** Whether a credential can be refreshed (or re-minted) without a human. */
  private refreshable(row: CredentialRow): boolean {
    return (
      row.state === 'valid' &&
      (row.source === 'client_credentials' ? this.clientCredentials.has(row.key) : row.refreshToken !== null)
    );
  }

  /** Arms the proactive refresh timer of a credential (replacing any earlier one). */
  schedule(row: CredentialRow): void {
    this.refreshSchedule.schedule(row, this.refreshable(row));
  }

  cancel(key: string): void {
    this.refreshSchedule.cancel(key);
  }

  nextRefreshes(): Array<{ key: string; serverUrl: string; at: number }> {
    const rows = new Map(this.deps.store.listCredentials().map((r) => [r.key, r]));
    return this.refreshSchedule
      .armed()
      .map(({ key, at }) => ({ key, serverUrl: rows.get(key)?.serverUrl ?? key, at }));
  }

  summaries(): CredentialSummary[] {
    const now = this.deps.clock.now();
    return this.deps.store.listCredentials().map((row) => {
      const failing = this.failures.failing(row.key);
      const state =
        row.state === 'needs_login'
          ? 'needs_login'
          : (this.lifetimes.left(row, now) ?? 1) <= 0
            ? 'expired'
            : failing
              ? 'refresh_failing'
              : 'valid';
      return {
        key: row.key,
        serverUrl: row.serverUrl,
        source: row.source,
        clientId: row.clientId,
        issuer: row.issuer,
        scope: row.scope,
        expiresAt: row.expiresAt,
        refreshable: this.refreshable(row),
        state,
        lastError: row.lastError,
        nextRefreshAt: this.refreshSchedule.nextAt(row.key),
        fingerprint: fingerprint(row.accessToken),
        updatedAt: row.updatedAt,
      };
    });
  }

  importCredential(req: ImportCredentialRequest & { tokenType: string }): CredentialSummary {
    const serverUrl = canonicalServerUrl(req.serverUrl);
    const now = this.deps.clock.now();
    const saved = this.deps.store.putCredential(
      {
        key: serverUrl,
        serverUrl,
        source: 'import',
        accessToken: req.accessToken,
        refreshToken: req.refreshToken ?? null,
        tokenType: req.tokenType,
        scope: req.scope ?? null,
        expiresAt: req.expiresIn === undefined ? null : now + req.expiresIn * 1000,
        issuer: req.issuer ?? null,
        tokenEndpoint: req.tokenEndpoint ?? null,
        revocationEndpoint: req.revocationEndpoint ?? null,
        clientId: req.clientId ?? null,
        clientSecret: req.clientSecret ?? null,
        authMethod: req.authMethod ?? null,
        resource: req.resource ?? serverUrl,
      },
      now,
    );
    this.lifetimes.note(saved, now, this.lifetimes.mono());
    this.uncommitted.drop(serverUrl);
    this.failures.clear(serverUrl);
    this.rejectionRefreshed.delete(serverUrl);
    this.schedule(saved);
    this.deps.logger.info(
      { key: saved.key, fingerprint: fingerprint(saved.accessToken) },
      'credential imported',
    );
    return this.summaries().find((s) => s.key === saved.key)!;
  }

  /** Stores a token set won by a login flow (browser or device) as the server's credential. */
  storeLogin(row: NewCredential): CredentialRow {
    const now = this.deps.clock.now();
    const replaced = this.deps.store.getCredential(row.key);
    const saved = this.deps.store.putCredential(row, now);
    if (replaced?.refreshToken && replaced.refreshToken !== row.refreshToken)
      void revokeReplaced(this.deps, replaced);
    this.lifetimes.note(saved, now, this.lifetimes.mono());
    this.uncommitted.drop(row.key);
    this.failures.clear(row.key);
    this.rejectionRefreshed.delete(row.key);
    this.schedule(saved);
    this.deps.logger.info(
      { key: saved.key, source: saved.source, fingerprint: fingerprint(saved.accessToken) },
      'login stored',
    );
    return saved;
  }

  /**
   * Removes the credentials of one server (or all), revoking them first where the authorization
   * server has a revocation endpoint (RFC 7009). A failed revocation is reported, and the local
   * copy is removed all the same: the user asked to forget it.
   */
  async logout(target: { serverUrl: string } | { all: true }, revoke: boolean) {
    const all = this.deps.store.listCredentials();
    const rows =
      'all' in target ? all : all.filter((r) => r.serverUrl === canonicalServerUrl(target.serverUrl));
    return removeCredentials(this.deps, rows, revoke, {
      settle: async (key) => {
        await this.inflight.get(key)?.catch(() => undefined);
        this.cancel(key);
      },
      forget: (key) => {
        this.clientCredentials.forget(key);
        this.uncommitted.drop(key);
        this.lifetimes.forget(key);
        this.failures.clear(key);
      },
    });
  }
}
