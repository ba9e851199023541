/**
 * The failure policy of refreshes and client-credentials mints: what a failed token request
 * means for its credential. A transient IdP failure backs off (exponential, jittered) and keeps
 * the old token while it is worth keeping; a refusal (invalid_grant and other OAuth errors) marks
 * a login `needs_login`; anything else is reported as it is. It owns the backoff of each
 * credential and the memory of refreshes a crash of the previous daemon cut off; timers are the
 * caller's: an outcome says when to retry and whether to stop.
 */
import type { Logger } from '../logger.js';
import type { Clock } from '../../shared/clock.js';
import { McptestError } from '../../shared/errors.js';
import type { Metrics } from '../metrics.js';
import type { CredentialRow, TokenStore } from '../store/token-store.js';

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;

/**
 * How long to wait after the `failures`-th transient failure in a row: doubling from 1 s up to
 * 60 s, times a jitter factor between 0.8 and 1.2 (`random` in [0, 1)).
 */
export function backoffDelay(failures: number, random: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS) * (0.8 + 0.4 * random);
}

/** The error of a login a human must renew. */
export function needsLoginError(serverUrl: string, why: string): McptestError {
  return new McptestError('needs_login', `the login for ${serverUrl} needs renewing: ${why}`, {
    hint: `mcptest login ${serverUrl}`,
    details: { serverUrl },
  });
}

export interface FailurePolicyDeps {
  store: TokenStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  random: () => number;
}

/** What a failed token request leads to, for the caller to act on. */
export interface FailureOutcome {
  /**
   * `transient`: backing off, the old token is kept; `needs_login`: the login is marked and must
   * not be retried; `error`: any other failure, reported as it is.
   */
  kind: 'transient' | 'needs_login' | 'error';
  error: McptestError;
  /** When to retry in the background (wall time), or null for no retry. */
  retryAt: number | null;
}

export interface FailedRequest {
  key: string;
  serverUrl: string;
  /** The credential as it was before the request, if any. */
  row: CredentialRow | undefined;
  err: unknown;
  /** Whether a token set won for this credential still waits for its commit. */
  uncommitted: boolean;
}

interface Backoff {
  failures: number;
  retryAt: number;
  error: McptestError;
}

const REFRESHES = 'mcptest_refreshes_total';
const REFRESHES_HELP = 'Token refreshes and client-credentials mints by outcome';

export class FailurePolicy {
  private readonly backoff = new Map<string, Backoff>();
  /** Credentials whose last refresh was cut off by a crash of the previous daemon. */
  private readonly crashInterrupted = new Set<string>();

  constructor(private readonly deps: FailurePolicyDeps) {}

  /** Whether the last token request of a credential failed transiently (it is backing off). */
  failing(key: string): boolean {
    return this.backoff.has(key);
  }

  /**
   * The error to answer with instead of asking the IdP again, while a credential backs off; null
   * when a request may be sent now.
   */
  backingOff(key: string): McptestError | null {
    const gate = this.backoff.get(key);
    const now = this.deps.clock.now();
    if (!gate || gate.retryAt <= now) return null;
    const wait = Math.ceil((gate.retryAt - now) / 1000);
    return new McptestError(gate.error.code, `${gate.error.message} (next attempt in ${wait}s)`, {
      hint: gate.error.hint,
      details: gate.error.details,
    });
  }

  /** Remembers that this credential's refresh was interrupted by a crash (retried once at start). */
  noteCrashInterrupted(key: string): void {
    this.crashInterrupted.add(key);
  }

  /** A token request succeeded: no backoff, no crash left to tell of. */
  succeeded(key: string): void {
    this.backoff.delete(key);
    this.crashInterrupted.delete(key);
  }

  /** Forgets the backoff of a credential (replaced or removed). */
  clear(key: string): void {
    this.backoff.delete(key);
  }

  /**
   * Decides what a failed refresh or mint means, records it in the store (last error,
   * `needs_login`) and in the metrics, logs it, and returns the error to answer with.
   */
  failed({ key, serverUrl, row, err, uncommitted }: FailedRequest): FailureOutcome {
    const { store, clock, logger, metrics } = this.deps;
    const e =
      err instanceof McptestError
        ? err
        : new McptestError('internal', String((err as Error)?.message ?? err), { cause: err });
    const now = clock.now();
    if (row && row.source !== 'client_credentials' && !uncommitted) {
      // The refresh this process sent has an outcome (no token set): no crash to tell of.
      try {
        store.clearRefreshStarted(key);
      } catch {
        // the store refuses writes; the marker stays, and says at most one thing too many
      }
    }
    if (e.details?.transient) {
      const failures = (this.backoff.get(key)?.failures ?? 0) + 1;
      const delay = backoffDelay(failures, this.deps.random());
      this.backoff.set(key, { failures, retryAt: now + delay, error: e });
      metrics.inc(REFRESHES, REFRESHES_HELP, { outcome: 'transient_error' });
      logger.warn(
        { key, serverUrl, failures, retryInMs: Math.round(delay), err: e.message },
        'token refresh failed; backing off',
      );
      let retryAt: number | null = null;
      if (row) {
        store.setLastError(key, e.message, now);
        // Retry in the background only while the old token is still worth saving.
        if (row.expiresAt !== null && row.expiresAt > now + delay) retryAt = now + delay;
      }
      return { kind: 'transient', error: e, retryAt };
    }
    const oauthError = e.details?.oauthError;
    if (row && row.source !== 'client_credentials' && (oauthError || e.code === 'needs_login')) {
      // invalid_grant (revoked, expired or rotated-out refresh token) and other refusals: a
      // human must log in again. Stop retrying.
      if (this.crashInterrupted.delete(key) && oauthError) {
        const message = `a refresh was interrupted by a daemon crash (the IdP's answer never reached the store) and the IdP did not accept the previous refresh token again: ${e.message}`;
        store.markNeedsLogin(key, message, now);
        metrics.inc(REFRESHES, REFRESHES_HELP, { outcome: 'needs_login' });
        logger.warn(
          { key, serverUrl, oauthError, err: e.message },
          'refresh after a crash refused; credential needs login',
        );
        const error = new McptestError(
          'needs_login',
          `the login for ${serverUrl} can no longer be refreshed: ${message}`,
          {
            hint: `mcptest login ${serverUrl}`,
            details: { serverUrl, oauthError },
          },
        );
        return { kind: 'needs_login', error, retryAt: null };
      }
      store.markNeedsLogin(key, e.message, now);
      metrics.inc(REFRESHES, REFRESHES_HELP, { outcome: 'needs_login' });
      logger.warn({ key, serverUrl, oauthError, err: e.message }, 'refresh refused; credential needs login');
      if (e.code === 'needs_login') return { kind: 'needs_login', error: e, retryAt: null };
      const hint =
        oauthError === 'invalid_client' ? `mcptest login ${serverUrl} --force` : `mcptest login ${serverUrl}`;
      const error = new McptestError(
        'needs_login',
        `the login for ${serverUrl} can no longer be refreshed: ${e.message}`,
        {
          hint,
          details: { serverUrl, oauthError },
        },
      );
      return { kind: 'needs_login', error, retryAt: null };
    }
    metrics.inc(REFRESHES, REFRESHES_HELP, { outcome: 'error' });
    // `error` is the IdP's OAuth error code (RFC 6749 §5.2), `code` mcptest's own.
    logger.warn(
      { key, serverUrl, code: e.code, error: oauthError ?? null, err: e.message },
      'token request failed',
    );
    // A store that just refused a write would only block for its busy timeout again.
    if (row && !e.code.startsWith('store_')) store.setLastError(key, e.message, now);
    return { kind: 'error', error: e, retryAt: null };
  }
}
