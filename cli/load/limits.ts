/**
 * The flag values of `mcptest load`: durations (`500ms`, `30s`, `2m`), a rate (`50`, `50/s`,
 * `300/m`), a percentage (`1%`, `0.5`), each refused with the form it expects.
 */
import { McptestError } from '../../shared/errors.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of `30s`, `500ms`, `2m`, `1h`; a bare number is seconds, or ms when `bare` says so. */
export function parseDuration(value: string, flag: string, bare: 's' | 'ms' = 's'): number {
  const m = DURATION.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[(m[2] ?? bare).toLowerCase()] : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new McptestError('invalid_request', `${flag} ${value} is not a duration`, {
      hint: `${flag} 30s (or 500ms, 2m, 1h)`,
    });
  }
  return ms;
}

/** Requests per second of `50`, `50/s`, `300/m`. */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?$/i.exec(value.trim());
  const per = m ? UNIT_MS[(m[2] ?? 's').toLowerCase()] / 1_000 : Number.NaN;
  const rate = m ? Number(m[1]) / per : Number.NaN;
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new McptestError('invalid_request', `--rate ${value} is not a rate`, {
      hint: '--rate 50/s (requests per second over all workers; or 300/m)',
    });
  }
  return rate;
}

/** A fraction (0..1) of `1%` or `0.01`. */
export function parseFraction(value: string, flag: string): number {
  const text = value.trim();
  const pct = text.endsWith('%');
  const n = Number(pct ? text.slice(0, -1) : text);
  const fraction = pct ? n / 100 : n;
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new McptestError('invalid_request', `${flag} ${value} is not a share of the requests`, {
      hint: `${flag} 1% (or 0.01)`,
    });
  }
  return fraction;
}

/** A positive whole number, at most `max` when given. */
export function parseCount(value: string, flag: string, max?: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new McptestError('invalid_request', `${flag} ${value} is not a positive whole number`, {
      hint: `${flag} 50`,
    });
  }
  if (max !== undefined && n > max) {
    throw new McptestError('invalid_request', `${flag} takes 1 to ${max}, not ${value}`, {
      hint: `${flag} 50`,
    });
  }
  return n;
}
