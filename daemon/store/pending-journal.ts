/**
 * The pending journal: a small file beside the database (`auth/pending.journal`, 0600) holding
 * the token sets won from the IdP that SQLite could not commit (a full disk, a locked file). The
 * IdP may already have rotated the refresh token, so such a set is the only way back into the
 * grant. The file is sized when the store opens, so that writing into it later needs no new
 * blocks: on a disk that has just filled up, the set still reaches stable storage (fsync'ed).
 * The daemon replays it into the store at start, before it serves anything.
 *
 * Layout: two slots of {@link SLOT_BYTES}; each write goes to the slot not holding the newest
 * record, so a write torn by a crash leaves the previous record readable. A slot is a header
 * (magic, sequence number, payload length, SHA-256 of the payload) and a JSON payload.
 * Nothing here is ever logged: the payload holds tokens.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { McptestError } from '../../shared/errors.js';

/** A won token set, as handed to `TokenStore.saveRefreshed`. */
export interface JournaledSet {
  key: string;
  /** The generation the set replaces: replayed only while the store is still at it. */
  generation: number;
  tokens: {
    accessToken: string;
    refreshToken: string | null;
    tokenType: string;
    scope: string | null;
    expiresAt: number | null;
  };
  wonAt: number;
}

const MAGIC = 0x4d544a31; // "MTJ1"
const HEADER_BYTES = 4 + 8 + 4 + 32;
/** Room for a few dozen token sets of JWT size. */
export const SLOT_BYTES = 64 * 1024;
const FILE_BYTES = 2 * SLOT_BYTES;

interface Slot {
  seq: number;
  sets: JournaledSet[];
}

function unsafe(file: string, what: string): McptestError {
  return new McptestError('store_unsafe', `${file} is ${what}; it was refused and left as it is`, {
    hint: `put a regular file of your own there: mv ${file} ${file}.moved`,
  });
}

function readSlot(buf: Buffer): Slot | null {
  if (buf.length < HEADER_BYTES || buf.readUInt32BE(0) !== MAGIC) return null;
  const seq = Number(buf.readBigUInt64BE(4));
  const length = buf.readUInt32BE(12);
  if (length > buf.length - HEADER_BYTES) return null;
  const payload = buf.subarray(HEADER_BYTES, HEADER_BYTES + length);
  if (!createHash('sha256').update(payload).digest().equals(buf.subarray(16, HEADER_BYTES))) return null;
  try {
    const sets = JSON.parse(payload.toString('utf8')) as JournaledSet[];
    return Array.isArray(sets) ? { seq, sets } : null;
  } catch {
    return null;
  }
}

export class PendingJournal {
  private seq = 0;
  private slot = 1;

  private constructor(
    readonly file: string,
    /** Why the journal cannot be used (it could not be created), or null. */
    readonly unavailable: string | null,
    private readonly found: JournaledSet[],
  ) {}

  /**
   * Opens the journal, creating and sizing it when missing. A symlink or a non-regular file is
   * refused (`store_unsafe`); a journal that cannot be created (the disk is full already) is
   * reported through `unavailable`, and the daemon runs without it.
   */
  static open(file: string): PendingJournal {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(file);
    } catch {
      // missing: created below
    }
    if (st?.isSymbolicLink()) throw unsafe(file, 'a symbolic link');
    if (st && !st.isFile()) throw unsafe(file, 'not a regular file');
    let newest: Slot | null = null;
    let slotIndex = 1;
    if (st) {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        fs.fchmodSync(fd, 0o600);
        for (let i = 0; i < 2; i++) {
          const buf = Buffer.alloc(SLOT_BYTES);
          const n = fs.readSync(fd, buf, 0, SLOT_BYTES, i * SLOT_BYTES);
          const slot = readSlot(buf.subarray(0, n));
          if (slot && (!newest || slot.seq > newest.seq)) {
            newest = slot;
            slotIndex = i;
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    let unavailable: string | null = null;
    if (!st || st.size !== FILE_BYTES) {
      try {
        PendingJournal.allocate(file, newest);
        if (newest) slotIndex = 0;
      } catch (err) {
        unavailable = `cannot create ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      }
    }
    const journal = new PendingJournal(file, unavailable, newest?.sets ?? []);
    journal.seq = newest?.seq ?? 0;
    journal.slot = slotIndex;
    return journal;
  }

  /** Writes the file whole, every block of it, so that later writes need no new ones. */
  private static allocate(file: string, keep: Slot | null): void {
    const fd = fs.openSync(
      file,
      fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW,
      0o600,
    );
    try {
      fs.fchmodSync(fd, 0o600);
      const whole = Buffer.alloc(FILE_BYTES);
      if (keep) encode(keep).copy(whole, 0);
      fs.writeSync(fd, whole, 0, FILE_BYTES, 0);
      fs.ftruncateSync(fd, FILE_BYTES);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The sets found at open, to replay into the store. */
  pending(): JournaledSet[] {
    return this.found;
  }

  /**
   * Replaces the journal's content with `sets` (fsync'ed before it returns). Throws when the
   * journal is unavailable, was removed, or the sets do not fit.
   */
  write(sets: JournaledSet[]): void {
    if (this.unavailable) throw new Error(this.unavailable);
    const next: Slot = { seq: this.seq + 1, sets };
    const buf = encode(next);
    // Opened by path each time: a journal removed under the daemon is found missing here rather
    // than written into a file nobody will read. No O_CREAT: a new file would need new blocks.
    const fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW);
    try {
      if (fs.fstatSync(fd).size < FILE_BYTES) throw new Error(`${this.file} is shorter than it was made`);
      const slot = 1 - this.slot;
      fs.writeSync(fd, buf, 0, buf.length, slot * SLOT_BYTES);
      fs.fdatasyncSync(fd);
      this.seq = next.seq;
      this.slot = slot;
    } finally {
      fs.closeSync(fd);
    }
  }
}

function encode(slot: Slot): Buffer {
  const payload = Buffer.from(JSON.stringify(slot.sets), 'utf8');
  if (payload.length > SLOT_BYTES - HEADER_BYTES) {
    throw new Error(`${slot.sets.length} token sets do not fit the pending journal`);
  }
  const buf = Buffer.alloc(HEADER_BYTES + payload.length);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeBigUInt64BE(BigInt(slot.seq), 4);
  buf.writeUInt32BE(payload.length, 12);
  createHash('sha256').update(payload).digest().copy(buf, 16);
  payload.copy(buf, HEADER_BYTES);
  return buf;
}
