/**
 * The daemon's log file as the logger's destination that can never hold up serving tokens. Lines are
 * written asynchronously, one write at a time, from a bounded queue. When the file cannot be
 * written (a full disk: ENOSPC, a quota, an I/O error) lines are dropped and counted instead of
 * retried: SonicBoom, pino's own destination, retries a failed flush forever (a full log file
 * system hung the daemon with its locks held) and throws an async write error it cannot handle.
 * It is said once on stderr; the next line that gets through, a second or more later, is
 * preceded by a line saying how many were dropped.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface LogFileOptions {
  /** Where the one notice that lines are being dropped goes; stderr by default. */
  warn?: (text: string) => void;
  now?: () => number;
  /** How long after a failure the file is tried again (ms). */
  retryMs?: number;
  /** Lines waiting for a slow disk beyond this many bytes are dropped too. */
  maxQueuedBytes?: number;
}

/** Written to fd 2 directly: a failing stderr (the same full disk) must not throw either. */
function stderrOnce(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // nowhere left to say it
  }
}

export class LogFile {
  private fd: number | null = null;
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  /** Lines lost since the last line that reached the file. */
  private dropped = 0;
  /** Why the file cannot be written, from the first failure until a write succeeds again. */
  private broken: string | null = null;
  /** While broken, lines are dropped without trying the file until then. */
  private retryAt = 0;
  /** A write failed after part of a line reached the file: the next line starts a new one. */
  private torn = false;
  private waiters: Array<() => void> = [];
  private readonly warn: (text: string) => void;
  private readonly now: () => number;
  private readonly retryMs: number;
  private readonly maxQueuedBytes: number;
  private readonly onExit = () => this.flushSync();

  constructor(
    private readonly file: string,
    options: LogFileOptions = {},
  ) {
    this.warn = options.warn ?? stderrOnce;
    this.now = options.now ?? Date.now;
    this.retryMs = options.retryMs ?? 1000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.open();
    // What is still queued when the process exits is written once, synchronously, never retried.
    process.once('exit', this.onExit);
  }

  /** The logger's write: never throws, never waits. */
  write(line: string): void {
    if (this.broken !== null && this.now() < this.retryAt) {
      this.dropped += 1;
      return;
    }
    if (this.fd === null) this.open();
    if (this.fd === null || this.queuedBytes + line.length > this.maxQueuedBytes) {
      this.dropped += 1;
      return;
    }
    this.queue.push(line);
    this.queuedBytes += line.length;
    if (!this.writing) this.drain();
  }

  /** Calls back once what is queued has been written or dropped (`logger.flush(cb)`). */
  flush(cb?: (err?: Error) => void): void {
    if (!this.writing) cb?.();
    else if (cb) this.waiters.push(() => cb());
  }

  /** One synchronous attempt at what is queued; a failure drops it. */
  flushSync(): void {
    if (this.writing || this.fd === null || this.queue.length === 0) return;
    const lines = this.queue.length;
    const buf = Buffer.from(this.withNote(this.takeQueue()));
    let written = 0;
    try {
      while (written < buf.length) {
        const n = fs.writeSync(this.fd, buf, written);
        if (n <= 0) throw Object.assign(new Error('no progress writing the log'), { code: 'EIO' });
        written += n;
      }
      this.dropped = 0;
      this.broken = null;
    } catch (err) {
      if (written > 0) this.untear(written);
      this.fail(err as NodeJS.ErrnoException, lines);
    }
  }

  /** Closes the file (what is queued is tried once first). */
  close(): void {
    this.flushSync();
    process.off('exit', this.onExit);
    if (this.fd !== null) fs.close(this.fd, () => undefined);
    this.fd = null;
  }

  private open(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.fd = fs.openSync(this.file, 'a', 0o600);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException, 0);
    }
  }

  private takeQueue(): string {
    const text = this.queue.join('');
    this.queue = [];
    this.queuedBytes = 0;
    return text;
  }

  /** The queued text, after a line saying how many lines were lost before it, if any were. */
  private withNote(text: string): string {
    const start = this.torn ? '\n' : '';
    this.torn = false;
    if (this.dropped === 0) return `${start}${text}`;
    const msg = `${this.dropped} log lines dropped: the log file could not be written (${this.broken ?? 'too slow'})`;
    const note = JSON.stringify({
      level: 40,
      time: this.now(),
      pid: process.pid,
      dropped: this.dropped,
      msg,
    });
    return `${start}${note}\n${text}`;
  }

  private drain(): void {
    if (this.queue.length === 0 || this.fd === null) {
      this.dropped += this.queue.length;
      this.takeQueue();
      this.writing = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
      return;
    }
    this.writing = true;
    const lines = this.queue.length;
    const noted = this.dropped;
    this.writeAll(Buffer.from(this.withNote(this.takeQueue())), lines, noted, 0);
  }

  private writeAll(buf: Buffer, lines: number, noted: number, written: number): void {
    fs.write(this.fd as number, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        if (written > 0) this.untear(written);
        // The lines the note counted stay counted; the note itself is no log line.
        this.fail(err, lines);
        this.drain();
        return;
      }
      if (n < buf.length) {
        this.writeAll(buf.subarray(n), lines, noted, written + n);
        return;
      }
      this.dropped -= noted;
      this.broken = null;
      this.drain();
    });
  }

  /**
   * Part of a chunk reached the file before the disk filled: it is cut off again (its lines are
   * counted as dropped), so the file stays whole JSON lines; failing that, the next line starts
   * on a line of its own.
   */
  private untear(written: number): void {
    try {
      const fd = this.fd as number;
      fs.ftruncateSync(fd, Math.max(0, fs.fstatSync(fd).size - written));
    } catch {
      this.torn = true;
    }
  }

  private fail(err: NodeJS.ErrnoException, lines: number): void {
    this.dropped += lines + this.queue.length;
    this.takeQueue();
    this.retryAt = this.now() + this.retryMs;
    if (this.broken !== null) return;
    this.broken = err.code ?? err.message;
    this.warn(
      `mcptest auth daemon: cannot write its log ${this.file} (${this.broken}); dropping log lines until it can be written again\n`,
    );
  }
}
