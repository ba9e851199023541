/**
 * The live progress line of `mcptest run` on a terminal, on stderr and rewritten in place:
 * `mcptest 12/40 · 1 failed · 3.4 s · running: echo, slow +2`. Only when stderr is a terminal,
 * not in CI (`CI` set), without NO_COLOR and not on TERM=dumb; every other run stays plain.
 * Output meant to stay (test lines, messages) goes through {@link Progress.around}, which takes
 * the line away before it and draws it again after.
 */
import { printable } from '../../format.js';
import type { RunEvent } from '../report.js';

/** Columns the line keeps within, so that it never wraps (a wrapped line cannot be rewritten). */
const WIDTH = 79;
/** How often the elapsed time is redrawn while nothing else happens. */
const TICK_MS = 1000;

const CLEAR = '\r\x1b[2K';

/** True when `mcptest run` should show the live line: a terminal, not CI, no NO_COLOR, not dumb. */
export function wantsProgress(stderrIsTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!stderrIsTTY) return false;
  const ci = env.CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

export interface Progress {
  onEvent(e: RunEvent): void;
  /** A writer whose output does not collide with the line: cleared before, redrawn after. */
  around(write: (s: string) => void): (s: string) => void;
  /** Takes the line away for good (the end of the run). */
  stop(): void;
}

/** The line's text: counts, failures, elapsed time, the tests running now. */
export function progressText(
  state: { done: number; total: number; failed: number; elapsedMs: number; running: string[] },
  width: number = WIDTH,
): string {
  const parts = [`mcptest ${state.done}/${state.total}`];
  if (state.failed > 0) parts.push(`${state.failed} failed`);
  parts.push(`${(state.elapsedMs / 1000).toFixed(1)} s`);
  let text = parts.join(' · ');
  if (state.running.length > 0) {
    const names = state.running.map((n) => printable(n).replace(/\s+/g, ' '));
    let shown = names.length;
    const line = (k: number) =>
      `${text} · running: ${names.slice(0, k).join(', ')}${k < names.length ? ` +${names.length - k}` : ''}`;
    while (shown > 1 && line(shown).length > width) shown -= 1;
    text = line(shown);
  }
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The live line, written with `write` (stderr). */
export function liveProgress(write: (s: string) => void, now: () => number = Date.now): Progress {
  let total = 0;
  let done = 0;
  let failed = 0;
  let started = now();
  const running = new Map<number, string>();
  let shown = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (total === 0) return;
    const text = progressText({
      done,
      total,
      failed,
      elapsedMs: now() - started,
      running: [...running.values()],
    });
    write(`${CLEAR}${text}`);
    shown = true;
  };
  const clear = () => {
    if (shown) write(CLEAR);
    shown = false;
  };
  return {
    onEvent(e) {
      if (e.type === 'start') {
        total = e.total;
        done = 0;
        failed = 0;
        running.clear();
        started = now();
        if (!timer) {
          timer = setInterval(draw, TICK_MS);
          timer.unref();
        }
      } else if (e.type === 'running') running.set(e.index, e.label);
      else if (e.type === 'finished') {
        running.delete(e.index);
        done += 1;
        if (e.result.status === 'failed') failed += 1;
      } else return;
      draw();
    },
    around(out) {
      return (s) => {
        clear();
        out(s);
        draw();
      };
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
      total = 0;
    },
  };
}
