/**
 * Token sets won from the IdP that the store could not commit (locked, full). The IdP may have
 * rotated the refresh token already, so the next attempt commits the kept set instead of asking
 * again with a refresh token that is now rotated out (which would cost the whole grant). Owns
 * those sets in memory and their copy in the pending journal (fsync'ed, replayed at start), and
 * the graceful stop that does not leave before they are safe.
 */
import type { Logger } from '../logger.js';
import type { Clock } from '../../shared/clock.js';
import type { IssuedTokens } from '../oauth/token-endpoint.js';
import type { JournaledSet } from '../store/pending-journal.js';
import type { TokenStore } from '../store/token-store.js';
import type { TokenLifetimes } from './token-lifetimes.js';

/** At a graceful stop, how long to keep trying to save token sets neither committed nor journaled. */
const STOP_RETRY_MS = 500;
const STOP_RETRIES = 20;

/** A token set won from the IdP that the store has not committed yet. */
export interface WonSet {
  generation: number;
  tokens: IssuedTokens;
  /** Wall time of the IdP's answer. */
  wonAt: number;
  /** Monotonic time of the IdP's answer, when won by this process. */
  wonMono: number | null;
}

export interface UncommittedSetsDeps {
  store: TokenStore;
  clock: Clock;
  logger: Logger;
  /** Told of each set committed, so that its token's monotonic deadline is known. */
  lifetimes: TokenLifetimes;
}

export class UncommittedSets {
  private readonly sets = new Map<string, WonSet>();
  /** Whether every set kept is also in the pending journal (fsync'ed). */
  private journaled = true;
  /** Whether the pending journal holds sets (so that it needs clearing). */
  private journalHolds = false;

  constructor(private readonly deps: UncommittedSetsDeps) {}

  get size(): number {
    return this.sets.size;
  }

  has(key: string): boolean {
    return this.sets.has(key);
  }

  get(key: string): WonSet | undefined {
    return this.sets.get(key);
  }

  /** Keeps a set the store refused, in memory and in the pending journal. */
  keep(key: string, won: WonSet): void {
    this.sets.set(key, won);
    this.persist();
  }

  /** Forgets the set kept for a credential (committed, replaced or removed), if any. */
  drop(key: string): void {
    if (this.sets.delete(key)) this.persist();
  }

  /**
   * At start: takes in the sets the pending journal kept (won while the store refused them) and
   * commits those the store takes now.
   */
  replayJournal(): void {
    const { store, logger } = this.deps;
    if (store.journal.unavailable) {
      logger.warn(
        { reason: store.journal.unavailable },
        'no pending journal: a won token set the store refuses is kept in memory only',
      );
    }
    const found = store.journal.pending();
    if (found.length === 0) return;
    for (const set of found) {
      this.sets.set(set.key, {
        generation: set.generation,
        tokens: set.tokens,
        wonAt: set.wonAt,
        wonMono: null,
      });
    }
    this.journaled = true;
    this.journalHolds = true;
    const committed = this.commit();
    logger.info(
      { keys: found.map((s) => s.key), committed, left: this.sets.size },
      'replayed the pending journal into the store',
    );
  }

  /**
   * At a graceful stop: commits the sets still kept if the store takes them; if not, they must be
   * in the pending journal, or this does not return yet: it says why and keeps trying for a while.
   */
  async settle(): Promise<void> {
    const { store, logger } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const waiting = this.sets.size;
      const committed = this.commit();
      if (committed > 0)
        logger.info({ committed, waiting }, 'committed token sets kept from earlier refreshes');
      if (this.sets.size === 0) return;
      if (!this.journaled) this.persist();
      const keys = [...this.sets.keys()];
      if (this.journaled) {
        logger.warn(
          { keys, journal: store.journal.file },
          `stopping with ${keys.length} token set(s) the store could not commit; they are kept in the pending journal and the next start commits them`,
        );
        return;
      }
      if (attempt === 0) {
        logger.error(
          { keys, dbPath: store.dbPath },
          `not stopping yet: ${keys.length} token set(s) won from the IdP could be written neither to the store nor to the pending journal, and the login(s) would be lost with them; retrying for ${(STOP_RETRIES * STOP_RETRY_MS) / 1000}s (free space: df -h ${store.dbPath})`,
        );
      }
      if (attempt >= STOP_RETRIES) {
        logger.error(
          { keys },
          `stopping without ${keys.length} token set(s) won from the IdP: the login(s) will need mcptest login`,
        );
        return;
      }
      // A real, ref'd timer: the daemon must not run out of things to wait for and exit here.
      await new Promise((resolve) => setTimeout(resolve, STOP_RETRY_MS));
    }
  }

  /** Commits what it can of the kept sets; returns how many it committed. */
  private commit(): number {
    const { store, clock, lifetimes } = this.deps;
    let committed = 0;
    let changed = false;
    for (const [key, won] of [...this.sets]) {
      try {
        const row = store.getCredential(key);
        if (!row || row.generation !== won.generation) {
          // Committed already (before a crash that kept the journal), replaced, or logged out.
          this.sets.delete(key);
          changed = true;
          continue;
        }
        const saved = store.saveRefreshed(key, won.generation, won.tokens, clock.now());
        this.sets.delete(key);
        changed = true;
        committed++;
        lifetimes.note(saved, won.wonAt, won.wonMono);
      } catch {
        // Still refused: kept (and journaled) for the next attempt.
      }
    }
    if (changed) this.persist();
    return committed;
  }

  /** Writes the kept sets to the pending journal (an empty list clears it). */
  private persist(): void {
    const { store, logger } = this.deps;
    const sets: JournaledSet[] = [...this.sets].map(([key, won]) => ({
      key,
      generation: won.generation,
      tokens: won.tokens,
      wonAt: won.wonAt,
    }));
    if (sets.length === 0 && !this.journalHolds) {
      this.journaled = true;
      return;
    }
    try {
      store.journal.write(sets);
      this.journaled = true;
      this.journalHolds = sets.length > 0;
    } catch (err) {
      this.journaled = sets.length === 0;
      logger.error(
        { keys: sets.map((s) => s.key), journal: store.journal.file, err: (err as Error).message },
        'the pending journal could not be written: a won token set is held in memory only',
      );
    }
  }
}
