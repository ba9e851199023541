/**
 * How much life a served token has left. By the wall clock, and for a token this process
 * received, by the monotonic clock too (the smaller wins): a wall clock set back does not make a
 * token look younger than the IdP's `expires_in` says it is. Owns the monotonic deadline of each
 * token this process received.
 */
import type { Clock } from '../../shared/clock.js';
import type { CredentialRow } from '../store/token-store.js';

export class TokenLifetimes {
  /** When each token's IdP lifetime ends on the monotonic clock, for tokens this process received. */
  private readonly deadlines = new Map<string, { generation: number; at: number }>();

  constructor(private readonly clock: Clock) {}

  /** The monotonic clock's reading now, or null when the clock has none. */
  mono(): number | null {
    return this.clock.monotonic?.() ?? null;
  }

  /**
   * Records when a token this process just received ends, on the monotonic clock (`receivedAt`
   * wall time and `receivedMono` monotonic time of the IdP's answer; null: not received here).
   */
  note(row: CredentialRow, receivedAt: number, receivedMono: number | null): void {
    if (row.expiresAt === null || receivedMono === null) {
      this.deadlines.delete(row.key);
      return;
    }
    this.deadlines.set(row.key, {
      generation: row.generation,
      at: receivedMono + (row.expiresAt - receivedAt),
    });
  }

  /**
   * Milliseconds of life a token has left (null: no expiry given): by the wall clock, and for a
   * token this process received, by the monotonic clock too; the smaller wins.
   */
  left(row: CredentialRow, now: number): number | null {
    if (row.expiresAt === null) return null;
    let left = row.expiresAt - now;
    const deadline = this.deadlines.get(row.key);
    const mono = this.mono();
    if (deadline && deadline.generation === row.generation && mono !== null)
      left = Math.min(left, deadline.at - mono);
    return left;
  }

  forget(key: string): void {
    this.deadlines.delete(key);
  }
}
