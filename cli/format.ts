/** Small text helpers for human output: tables, times, durations. */

/** A plain-text table; cells may quote an IdP or a server (a last error), so they are made printable. */
export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows.map((r) => r.map((cell) => printable(cell ?? '')))];
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

/**
 * Text that came from a server (tool names and descriptions, results, error messages) made safe
 * for a terminal: control characters other than newline and tab, and the bidirectional overrides
 * that reorder what is shown, become visible `\xNN` / `\u{NNNN}` escapes. A hostile server then
 * cannot move the cursor, retitle the window, write the clipboard (OSC 52) or disguise text.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}

/** Greedy word wrap to lines of at most `width` columns; words (and `quoted spans`) longer than a line stay whole. */
export function wrapText(text: string, width = 75): string {
  const lines: string[] = [];
  let line = '';
  // A `backquoted command` is one word: a pasted command must not be broken across lines.
  for (const word of text.match(/[^\s`]*`[^`]*`\S*|\S+/g) ?? []) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
