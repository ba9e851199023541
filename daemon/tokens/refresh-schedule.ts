/**
 * The refresh schedule: when a token is refreshed ahead of its expiry, and the one timer per
 * credential that does it (a proactive refresh, or the retry after a failed one). It owns the
 * timers and nothing else: what a due timer does is the `onDue` callback it is given.
 */
import type { Clock } from '../../shared/clock.js';
import type { CredentialRow } from '../store/token-store.js';

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

export interface RefreshScheduleDeps {
  clock: Clock;
  random: () => number;
  /** Called when a credential's timer is due (its timer is gone by then). */
  onDue: (key: string, serverUrl: string) => void;
}

/** One refresh timer per credential, on the injected clock. */
export class RefreshSchedule {
  private readonly timers = new Map<string, { handle: unknown; at: number }>();
  private closed = false;

  constructor(private readonly deps: RefreshScheduleDeps) {}

  /**
   * Arms the proactive refresh of a credential (replacing any earlier timer), or cancels its timer
   * when it cannot be refreshed or carries no expiry.
   */
  schedule(row: CredentialRow, refreshable: boolean): void {
    if (this.closed) return;
    const now = this.deps.clock.now();
    const delay = refreshable ? refreshDelay(row, now, this.deps.random()) : null;
    if (delay === null) {
      this.cancel(row.key);
      return;
    }
    this.arm(row.key, row.serverUrl, now + delay);
  }

  /** Arms a credential's timer for wall time `at` (replacing any earlier one). */
  arm(key: string, serverUrl: string, at: number): void {
    if (this.closed) return;
    this.cancel(key);
    const handle = this.deps.clock.setTimeout(() => {
      this.timers.delete(key);
      this.deps.onDue(key, serverUrl);
    }, at - this.deps.clock.now());
    this.timers.set(key, { handle, at });
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) this.deps.clock.clearTimeout(t.handle);
    this.timers.delete(key);
  }

  /** When a credential's timer fires (wall time), or null when none is armed. */
  nextAt(key: string): number | null {
    return this.timers.get(key)?.at ?? null;
  }

  /** Every armed timer, soonest first. */
  armed(): Array<{ key: string; at: number }> {
    return [...this.timers.entries()].map(([key, t]) => ({ key, at: t.at })).sort((a, b) => a.at - b.at);
  }

  /** Keys of the credentials with a timer armed. */
  keys(): IterableIterator<string> {
    return this.timers.keys();
  }

  /** Cancels every timer; nothing is armed afterwards. */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t.handle);
    this.timers.clear();
  }
}
