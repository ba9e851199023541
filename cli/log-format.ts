import { printable } from './format.js';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

/**
 * One daemon log line (JSON) as `time LEVEL message key=value ...`, for a human. Log lines quote IdPs and
 * servers (an `error_description`, a URL): control characters are shown escaped, so reading the
 * log cannot clear the screen or write the clipboard.
 */
export function formatLogLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line);
  } catch {
    return oneLine(line);
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString() : '';
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const extras = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return oneLine([time, level.padEnd(5), String(rec.msg ?? ''), ...extras].join(' '));
}

/** Printable, and one record per line: a newline inside a value cannot forge a log line. */
function oneLine(text: string): string {
  return printable(text).replace(/\n/g, '\\n');
}
