import type { Clock } from '../../shared/clock.js';

interface FakeTimer {
  at: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `jump(ms)` moves time without firing anything (the machine
 * slept: timers are overdue); `fireDue()` then fires every overdue timer, late and in order, the
 * way Node fires them when a laptop wakes. `advance(ms)` does both. `setWallBy(ms)` moves the
 * wall clock alone (someone set it, or NTP stepped it): the monotonic reading stays. `elapse(ms,
 * settle)` lets time pass the way it does on a machine that stays awake: each timer fires at its
 * own time, and what it started settles before time moves on.
 */
export class FakeClock implements Clock {
  private readonly timers = new Set<FakeTimer>();
  private mono = 0;

  constructor(public t = Date.now()) {}

  now(): number {
    return this.t;
  }

  monotonic(): number {
    return this.mono;
  }

  setWallBy(ms: number): void {
    this.t += ms;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), fn, cancelled: false };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as FakeTimer | undefined;
    if (!timer) return;
    timer.cancelled = true;
    this.timers.delete(timer);
  }

  jump(ms: number): void {
    this.t += ms;
    this.mono += ms;
  }

  /** Fires every timer now due; returns how many fired. */
  fireDue(): number {
    const due = [...this.timers].filter((t) => t.at <= this.t).sort((a, b) => a.at - b.at);
    for (const timer of due) {
      this.timers.delete(timer);
      if (!timer.cancelled) timer.fn();
    }
    return due.length;
  }

  advance(ms: number): number {
    this.jump(ms);
    return this.fireDue();
  }

  /**
   * Moves time forward by `ms` as it passes: to each timer due within `ms` in turn (timers armed
   * meanwhile included), firing it at its own time and awaiting `settle()` (the work it started,
   * such as a refresh at the IdP) before moving on. Returns how many timers fired.
   */
  async elapse(ms: number, settle: () => Promise<void>): Promise<number> {
    const end = this.t + ms;
    let fired = 0;
    for (;;) {
      const next = Math.min(...[...this.timers].map((t) => t.at));
      if (!(next <= end)) break;
      if (next > this.t) this.jump(next - this.t);
      fired += this.fireDue();
      await settle();
      if (fired > 10_000) throw new Error('FakeClock.elapse: timers keep re-arming at the same time');
    }
    if (end > this.t) this.jump(end - this.t);
    return fired;
  }

  /** Times of the timers still armed. */
  pending(): number[] {
    return [...this.timers].map((t) => t.at).sort((a, b) => a - b);
  }
}
