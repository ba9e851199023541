/**
 * The token service: hands out access tokens, refreshes them before they expire, and makes sure
 * that for any credential exactly one refresh is in flight at a time (single-flight), whatever
 * the number of callers. A rotated token set is committed to the store before any caller sees it.
 */
import type { Logger } from 'pino';
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
import {
  clientCredentialsGrant,
  type IssuedTokens,
  type OAuthContext,
  refreshGrant,
  revokeToken,
} from '../oauth/token-endpoint.js';
import type { CredentialRow, TokenStore } from '../store/token-store.js';

/** Where to send token requests for a server, found by discovery. */
export interface AuthServerEndpoints {
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint?: string | null;
}

export interface TokenServiceDeps {
  store: TokenStore;
  clock: Clock;
  oauth: OAuthContext;
  logger: Logger;
  metrics: Metrics;
  /** Finds the token endpoint of a server's authorization server (RFC 9728 + RFC 8414). */
  discoverEndpoints?: (serverUrl: string) => Promise<AuthServerEndpoints>;
  random?: () => number;
}

/** Tokens are handed out only with at least this much life left, unless the caller asks otherwise. */
export const DEFAULT_MIN_TTL_MS = 10_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

interface Backoff {
  failures: number;
  retryAt: number;
  error: McptestError;
}

export function clientCredentialsKey(serverUrl: string, clientId: string, scope: string | undefined): string {
  return `${serverUrl}#client_credentials:${clientId}:${scope ?? ''}`;
}

/**
 * The least time between two token requests for one credential, however short-lived the IdP's
 * tokens: a token living a second is replaced about once a second, never once per caller.
 */
export const MIN_REFRESH_GAP_MS = 1_000;

/** When to refresh a token proactively: ahead of expiry by a tenth of its life (30 s to 5 min). */
export function refreshDelay(
  row: Pick<CredentialRow, 'expiresAt' | 'updatedAt'>,
  now: number,
  random: number,
): number | null {
  if (row.expiresAt === null) return null;
  const lifetime = Math.max(0, row.expiresAt - row.updatedAt);
  const margin = Math.min(Math.max(lifetime * 0.1, 30_000), 300_000, lifetime / 2);
  const jitter = random * margin * 0.2;
  return Math.max(0, row.expiresAt - margin - jitter - now, row.updatedAt + MIN_REFRESH_GAP_MS - now);
}

export class TokenService {
  private readonly inflight = new Map<string, Promise<CredentialRow>>();
  private readonly timers = new Map<string, { handle: unknown; at: number }>();
  private readonly backoff = new Map<string, Backoff>();
  /** Client-credentials inputs, secrets included: memory only, never the store. */
  private readonly clientCredentials = new Map<
    string,
    ClientCredentialsSpec & { tokenEndpoint: string; issuer: string | null }
  >();
  /**
   * Token sets won from the IdP that the store could not commit (locked, full): the IdP may have
   * rotated the refresh token already, so the next attempt commits this set instead of asking
   * again with a refresh token that is now rotated out (which would cost the whole grant).
   */
  private readonly uncommitted = new Map<string, { generation: number; tokens: IssuedTokens }>();
  /** Generation of each credential for which a 401 report already caused a refresh. */
  private readonly rejectionRefreshed = new Map<string, number>();
  private readonly random: () => number;
  private closed = false;

  constructor(private readonly deps: TokenServiceDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** Arms refresh timers for every stored credential that can be refreshed. */
  start(): void {
    for (const row of this.deps.store.listCredentials()) this.schedule(row);
  }

  close(): Promise<unknown> {
    this.closed = true;
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t.handle);
    this.timers.clear();
    return Promise.allSettled([...this.inflight.values()]);
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
    for (const key of this.timers.keys()) if (!this.clientCredentials.has(key)) n++;
    return n;
  }

  async getToken(req: ParsedTokenRequest): Promise<TokenResponse> {
    const serverUrl = canonicalServerUrl(req.serverUrl);
    const minTtl = req.minTtlSeconds === undefined ? DEFAULT_MIN_TTL_MS : req.minTtlSeconds * 1000;
    const row = req.clientCredentials
      ? await this.clientCredentialsToken(serverUrl, req.clientCredentials, minTtl, req.rejectedFingerprint)
      : await this.loginToken(serverUrl, minTtl, req.rejectedFingerprint);
    this.deps.metrics.inc('mcptest_tokens_served_total', 'Access tokens handed to clients', {
      source: row.source,
    });
    return {
      accessToken: row.accessToken,
      tokenType: row.tokenType,
      expiresAt: row.expiresAt,
      scope: row.scope,
      fingerprint: fingerprint(row.accessToken),
      source: row.source,
    };
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
    return this.freshEnough(row, minTtl, rejected);
  }

  private async clientCredentialsToken(
    serverUrl: string,
    spec: ClientCredentialsSpec,
    minTtl: number,
    rejected: string | undefined,
  ): Promise<CredentialRow> {
    const key = clientCredentialsKey(serverUrl, spec.clientId, spec.scope);
    const known = this.clientCredentials.get(key);
    const changed =
      known !== undefined &&
      (known.clientSecret !== spec.clientSecret ||
        known.privateKey !== spec.privateKey ||
        known.authMethod !== spec.authMethod);
    if (!known || changed || (spec.tokenUrl && spec.tokenUrl !== known.tokenEndpoint)) {
      const endpoints = spec.tokenUrl
        ? { tokenEndpoint: spec.tokenUrl, issuer: null as string | null }
        : await this.discover(serverUrl);
      this.clientCredentials.set(key, {
        ...spec,
        tokenEndpoint: endpoints.tokenEndpoint,
        issuer: endpoints.issuer,
      });
    }
    const row = this.deps.store.getCredential(key);
    if (!row || changed) return this.refresh(key, serverUrl, changed ? 'client secret changed' : 'first use');
    return this.freshEnough(row, minTtl, rejected);
  }

  private async discover(serverUrl: string): Promise<{ tokenEndpoint: string; issuer: string | null }> {
    if (!this.deps.discoverEndpoints) {
      throw new McptestError(
        'discovery_failed',
        `no token URL given for ${serverUrl} and discovery is unavailable`,
        {
          hint: 'set auth.oauth.token_url in the suite, or --token-url on the command line',
        },
      );
    }
    const found = await this.deps.discoverEndpoints(serverUrl);
    return { tokenEndpoint: found.tokenEndpoint, issuer: found.issuer };
  }

  private async freshEnough(
    row: CredentialRow,
    minTtl: number,
    rejected: string | undefined,
  ): Promise<CredentialRow> {
    if (row.state === 'needs_login')
      throw this.needsLogin(row, row.lastError ?? 'the refresh token was refused');
    const now = this.deps.clock.now();
    if (rejected !== undefined && rejected === fingerprint(row.accessToken)) {
      // The server refused this very token: refresh once for this generation, never a storm.
      if (this.rejectionRefreshed.get(row.key) !== row.generation || this.inflight.has(row.key)) {
        this.rejectionRefreshed.set(row.key, row.generation);
        // Skip the backoff gate only when the IdP is not known to be failing (no storm).
        const force = !this.backoff.has(row.key);
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
    // An expired token is always replaced; one merely close to expiry not sooner than the gap.
    if (
      row.expiresAt !== null &&
      row.expiresAt - now < Math.min(minTtl, life / 2) &&
      (row.expiresAt <= now || now - row.updatedAt >= MIN_REFRESH_GAP_MS)
    ) {
      try {
        return await this.refresh(row.key, row.serverUrl, 'expiring');
      } catch (err) {
        // A transient IdP failure: keep serving the old token for as long as it is valid.
        if (err instanceof McptestError && err.details?.transient && row.expiresAt > now) return row;
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
    const gate = this.backoff.get(key);
    if (gate && !force && gate.retryAt > clock.now()) {
      const wait = Math.ceil((gate.retryAt - clock.now()) / 1000);
      throw new McptestError(gate.error.code, `${gate.error.message} (next attempt in ${wait}s)`, {
        hint: gate.error.hint,
        details: gate.error.details,
      });
    }
    const row = store.getCredential(key);
    const started = clock.now();
    try {
      const cc = this.clientCredentials.get(key);
      let saved: CredentialRow;
      if (cc && (!row || row.source === 'client_credentials')) {
        const tokens = await clientCredentialsGrant(
          { tokenEndpoint: cc.tokenEndpoint, issuer: cc.issuer },
          cc,
          { resource: cc.resource ?? serverUrl, scope: cc.scope },
          this.deps.oauth,
        );
        saved = store.putCredential(this.clientCredentialsRow(key, serverUrl, cc, tokens), clock.now());
      } else {
        if (!row) throw new McptestError('not_found', `credential for ${serverUrl} was removed`);
        if (row.source === 'client_credentials') {
          throw new McptestError('token_expired', `the client-credentials token for ${serverUrl} expired`, {
            hint: 'run the command again with the client secret in its env var',
          });
        }
        if (!row.refreshToken || !row.tokenEndpoint) {
          store.markNeedsLogin(key, 'no refresh token', clock.now());
          throw this.needsLogin(row, 'the token expired and no refresh token was issued');
        }
        const waiting = this.uncommitted.get(key);
        const tokens =
          waiting && waiting.generation === row.generation
            ? waiting.tokens
            : await refreshGrant(
                { tokenEndpoint: row.tokenEndpoint, issuer: row.issuer },
                { clientId: row.clientId ?? '', clientSecret: row.clientSecret, authMethod: row.authMethod },
                row.refreshToken,
                { resource: row.resource },
                this.deps.oauth,
              );
        this.uncommitted.delete(key);
        try {
          saved = store.saveRefreshed(key, row.generation, tokens, clock.now());
        } catch (err) {
          if (err instanceof McptestError && err.code.startsWith('store_')) {
            this.uncommitted.set(key, { generation: row.generation, tokens });
          }
          throw err;
        }
      }
      this.backoff.delete(key);
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
        'token refreshed',
      );
      this.schedule(saved);
      return saved;
    } catch (err) {
      throw this.refreshFailed(key, serverUrl, row, err);
    }
  }

  private refreshFailed(
    key: string,
    serverUrl: string,
    row: CredentialRow | undefined,
    err: unknown,
  ): McptestError {
    const { store, clock, logger, metrics } = this.deps;
    const e =
      err instanceof McptestError
        ? err
        : new McptestError('internal', String((err as Error)?.message ?? err), { cause: err });
    const now = clock.now();
    if (e.details?.transient) {
      const failures = (this.backoff.get(key)?.failures ?? 0) + 1;
      const delay =
        Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS) * (0.8 + 0.4 * this.random());
      this.backoff.set(key, { failures, retryAt: now + delay, error: e });
      metrics.inc('mcptest_refreshes_total', 'Token refreshes and client-credentials mints by outcome', {
        outcome: 'transient_error',
      });
      logger.warn(
        { key, serverUrl, failures, retryInMs: Math.round(delay), err: e.message },
        'token refresh failed; backing off',
      );
      if (row) {
        store.setLastError(key, e.message, now);
        // Retry in the background only while the old token is still worth saving.
        if (row.expiresAt !== null && row.expiresAt > now + delay) this.arm(key, serverUrl, now + delay);
      }
      return e;
    }
    const oauthError = e.details?.oauthError;
    if (row && row.source !== 'client_credentials' && (oauthError || e.code === 'needs_login')) {
      // invalid_grant (revoked, expired or rotated-out refresh token) and other refusals: a
      // human must log in again. Stop retrying.
      store.markNeedsLogin(key, e.message, now);
      this.cancel(key);
      metrics.inc('mcptest_refreshes_total', 'Token refreshes and client-credentials mints by outcome', {
        outcome: 'needs_login',
      });
      logger.warn({ key, serverUrl, oauthError, err: e.message }, 'refresh refused; credential needs login');
      if (e.code === 'needs_login') return e;
      const hint =
        oauthError === 'invalid_client' ? `mcptest login ${serverUrl} --force` : `mcptest login ${serverUrl}`;
      return new McptestError(
        'needs_login',
        `the login for ${serverUrl} can no longer be refreshed: ${e.message}`,
        {
          hint,
          details: { serverUrl, oauthError },
        },
      );
    }
    metrics.inc('mcptest_refreshes_total', 'Token refreshes and client-credentials mints by outcome', {
      outcome: 'error',
    });
    logger.warn({ key, serverUrl, code: e.code, err: e.message }, 'token request failed');
    // A store that just refused a write would only block for its busy timeout again.
    if (row && !e.code.startsWith('store_')) store.setLastError(key, e.message, now);
    const cc = this.clientCredentials.get(key);
    return cc ? this.explainClientCredentials(e, serverUrl, cc) : e;
  }

  /** Names the client id and the secret's env var in client-credentials refusals. */
  private explainClientCredentials(
    e: McptestError,
    serverUrl: string,
    cc: ClientCredentialsSpec,
  ): McptestError {
    const secret = cc.secretEnv ? `the secret in env var \`${cc.secretEnv}\`` : 'its secret';
    const doctor = `mcptest doctor --url ${serverUrl} --client-id ${cc.clientId}${cc.secretEnv ? ` --client-secret-env ${cc.secretEnv}` : ''}`;
    if (e.code === 'invalid_client') {
      return new McptestError(
        'invalid_client',
        `the authorization server refused client \`${cc.clientId}\` with ${secret} (${e.message})`,
        { hint: `check the client id and ${secret}; diagnose with: ${doctor}`, details: e.details },
      );
    }
    if (e.code === 'invalid_scope') {
      return new McptestError(
        'invalid_scope',
        `the authorization server refused scope "${cc.scope ?? ''}" for client \`${cc.clientId}\` (${e.message})`,
        {
          hint: `ask for a scope the client is allowed (--scope / auth.oauth.scope); diagnose with: ${doctor}`,
          details: e.details,
        },
      );
    }
    return e;
  }

  private needsLogin(row: CredentialRow, why: string): McptestError {
    return new McptestError('needs_login', `the login for ${row.serverUrl} needs renewing: ${why}`, {
      hint: `mcptest login ${row.serverUrl}`,
      details: { serverUrl: row.serverUrl },
    });
  }

  private clientCredentialsRow(
    key: string,
    serverUrl: string,
    cc: ClientCredentialsSpec & { tokenEndpoint: string; issuer: string | null },
    tokens: IssuedTokens,
  ): Omit<CredentialRow, 'generation' | 'createdAt' | 'updatedAt' | 'state' | 'lastError'> {
    return {
      key,
      serverUrl,
      source: 'client_credentials',
      accessToken: tokens.accessToken,
      refreshToken: null,
      tokenType: tokens.tokenType,
      scope: tokens.scope ?? cc.scope ?? null,
      expiresAt: tokens.expiresAt,
      issuer: cc.issuer,
      tokenEndpoint: cc.tokenEndpoint,
      revocationEndpoint: null,
      clientId: cc.clientId,
      clientSecret: null,
      authMethod: cc.authMethod,
      resource: cc.resource ?? serverUrl,
    };
  }

  /** Arms the proactive refresh timer of a credential (replacing any earlier one). */
  schedule(row: CredentialRow): void {
    if (this.closed) return;
    const refreshable =
      row.state === 'valid' &&
      (row.source === 'client_credentials' ? this.clientCredentials.has(row.key) : row.refreshToken !== null);
    const delay = refreshable ? refreshDelay(row, this.deps.clock.now(), this.random()) : null;
    if (delay === null) {
      this.cancel(row.key);
      return;
    }
    this.arm(row.key, row.serverUrl, this.deps.clock.now() + delay);
  }

  private arm(key: string, serverUrl: string, at: number): void {
    if (this.closed) return;
    this.cancel(key);
    const handle = this.deps.clock.setTimeout(() => {
      this.timers.delete(key);
      this.refresh(key, serverUrl, 'scheduled').catch(() => {
        // refreshFailed already logged it and armed a retry where one makes sense.
      });
    }, at - this.deps.clock.now());
    this.timers.set(key, { handle, at });
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) this.deps.clock.clearTimeout(t.handle);
    this.timers.delete(key);
  }

  nextRefreshes(): Array<{ key: string; serverUrl: string; at: number }> {
    const rows = new Map(this.deps.store.listCredentials().map((r) => [r.key, r]));
    return [...this.timers.entries()]
      .map(([key, t]) => ({ key, serverUrl: rows.get(key)?.serverUrl ?? key, at: t.at }))
      .sort((a, b) => a.at - b.at);
  }

  summaries(): CredentialSummary[] {
    const now = this.deps.clock.now();
    return this.deps.store.listCredentials().map((row) => {
      const b = this.backoff.get(row.key);
      const state =
        row.state === 'needs_login'
          ? 'needs_login'
          : row.expiresAt !== null && row.expiresAt <= now
            ? 'expired'
            : b
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
        refreshable:
          row.state === 'valid' &&
          (row.source === 'client_credentials'
            ? this.clientCredentials.has(row.key)
            : row.refreshToken !== null),
        state,
        lastError: row.lastError,
        nextRefreshAt: this.timers.get(row.key)?.at ?? null,
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
    this.backoff.delete(serverUrl);
    this.rejectionRefreshed.delete(serverUrl);
    this.schedule(saved);
    this.deps.logger.info(
      { key: saved.key, fingerprint: fingerprint(saved.accessToken) },
      'credential imported',
    );
    return this.summaries().find((s) => s.key === saved.key)!;
  }

  /** Stores a token set won by a login flow (browser or device) as the server's credential. */
  storeLogin(
    row: Omit<CredentialRow, 'generation' | 'createdAt' | 'updatedAt' | 'state' | 'lastError'>,
  ): CredentialRow {
    const saved = this.deps.store.putCredential(row, this.deps.clock.now());
    this.backoff.delete(row.key);
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
    const rows =
      'all' in target
        ? this.deps.store.listCredentials()
        : this.deps.store
            .listCredentials()
            .filter((r) => r.serverUrl === canonicalServerUrl(target.serverUrl));
    const removed = [];
    for (const row of rows) {
      let revoked = false;
      let revokeError: string | null = null;
      if (revoke && row.revocationEndpoint) {
        try {
          const token = row.refreshToken ?? row.accessToken;
          await revokeToken(
            row.revocationEndpoint,
            { tokenEndpoint: row.tokenEndpoint ?? row.revocationEndpoint, issuer: row.issuer },
            { clientId: row.clientId ?? '', clientSecret: row.clientSecret, authMethod: row.authMethod },
            token,
            row.refreshToken ? 'refresh_token' : 'access_token',
            this.deps.oauth,
          );
          revoked = true;
        } catch (err) {
          revokeError = (err as Error).message;
        }
      }
      await this.inflight.get(row.key)?.catch(() => undefined);
      this.cancel(row.key);
      this.deps.store.deleteCredential(row.key);
      this.clientCredentials.delete(row.key);
      this.uncommitted.delete(row.key);
      this.backoff.delete(row.key);
      this.deps.logger.info({ key: row.key, revoked, revokeError }, 'credential removed');
      removed.push({ serverUrl: row.serverUrl, key: row.key, revoked, revokeError });
    }
    return { removed };
  }
}
