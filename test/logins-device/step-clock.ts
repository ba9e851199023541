import type { Clock } from '../../shared/clock.js';

/**
 * A fake clock that jumps: every timer fires on the next turn of the event loop, moving `now()`
 * forward by its delay, and is recorded in `delays`. `beforeFire(n)` runs before the n-th timer
 * (1-based) fires, so a test can approve a device code "while" the engine waits. Timers longer
 * than `maxStepMs` (login expiry, token refresh) are held and never fire: only the polling steps.
 */
export class StepClock implements Clock {
  t = 1_800_000_000_000;
  readonly delays: number[] = [];
  beforeFire?: (n: number) => Promise<void> | void;

  constructor(readonly maxStepMs = 120_000) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = { cancelled: false };
    if (ms > this.maxStepMs) return handle;
    this.delays.push(ms);
    const n = this.delays.length;
    setImmediate(async () => {
      await this.beforeFire?.(n);
      if (handle.cancelled) return;
      this.t += ms;
      fn();
    });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    if (handle) (handle as { cancelled: boolean }).cancelled = true;
  }
}
