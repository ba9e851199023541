/** Small text helpers for human output: tables, times, durations. */

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return `${all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('  ')).join('\n')}\n`;
}

/** "in 4m 10s", "12s ago", or "never". */
export function relativeTime(at: number | null, now = Date.now()): string {
  if (at === null) return 'never';
  const d = at - now;
  const s = duration(Math.abs(d));
  return d >= 0 ? `in ${s}` : `${s} ago`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function isoTime(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}
