/**
 * The human reporter: a progress line per test as it finishes, failure details indented under
 * it, a server's connection or auth failure printed in full once, the era and version each
 * server's connection speaks, and a `N passed, N failed` summary. A test of a protocol matrix is
 * tagged with its revision (`echo [2026-07-28]`). Colour only when asked for (a TTY without NO_COLOR).
 */
import { printable } from '../../format.js';
import { COVERAGE_KINDS, type KindCoverage, kindLabel, ratio } from '../coverage.js';
import type { RunEvent, ServerResult, SuiteReport, TestResult } from '../run-suite.js';

export interface Palette {
  green: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
  dim: (s: string) => string;
  bold: (s: string) => string;
}

const code = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const COLOURS: Palette = {
  green: code(32, 39),
  red: code(31, 39),
  yellow: code(33, 39),
  dim: code(2, 22),
  bold: code(1, 22),
};
export const PLAIN: Palette = {
  green: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  dim: (s) => s,
  bold: (s) => s,
};

/** Colour when writing to a terminal and NO_COLOR is unset (https://no-color.org). */
export function wantsColour(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** The warnings (schema checks in warn mode) and notes (snapshots written) under a test line. */
function asides(r: TestResult, c: Palette): string {
  const lines = [
    ...(r.warnings ?? []).map((w) =>
      indent(c.yellow(printable(`warning: ${w.assertion}: ${w.message}`)), '      '),
    ),
    ...(r.notes ?? []).map((n) => `      ${c.dim(printable(`note: ${n}`))}`),
  ];
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function humanTestLine(r: TestResult, c: Palette): string {
  const ms = c.dim(`(${r.durationMs} ms)`);
  const name = r.label;
  if (r.status === 'passed') return `  ${c.green('✓')} ${name} ${ms}\n${asides(r, c)}`;
  if (r.status === 'skipped') return `  ${c.yellow('-')} ${name} ${c.dim('(skipped)')}\n`;
  const lines = [`  ${c.red('✗')} ${name} ${ms}`];
  // Failure messages quote what the server answered: its control characters are escaped.
  for (const f of r.failures) lines.push(indent(printable(`${f.assertion}: ${f.message}`), '      '));
  if (r.error) {
    lines.push(indent(printable(r.error.message), '      '));
    if (r.error.hint && !r.error.message.includes(r.error.hint) && !r.error.message.startsWith('not run:')) {
      lines.push(`      hint: ${printable(r.error.hint)}`);
    }
  }
  return `${lines.join('\n')}\n${asides(r, c)}`;
}

/** `server "api"`, with ` at REVISION` when a revision was asked for. */
function serverName(s: ServerResult): string {
  return `server "${s.name}"${s.protocol && s.protocol !== 'auto' ? ` at ${s.protocol}` : ''}`;
}

/** The era a server's connection speaks, once connected: `server "api": 2026-07-28 (modern era)`. */
export function humanServerEra(s: ServerResult, c: Palette): string {
  if (!s.connected || !s.era) return '';
  return `  ${c.dim(`${serverName(s)}: ${s.protocolVersion ?? 'unknown version'} (${s.era} era)`)}\n`;
}

export function humanServerFailure(s: ServerResult, c: Palette): string {
  if (!s.error) return '';
  const title = s.authFailed
    ? `auth failed for ${serverName(s)} (${s.target}):`
    : `cannot use ${serverName(s)} (${s.target}):`;
  const lines = [c.red(c.bold(title)), indent(printable(s.error.message), '  ')];
  if (s.error.hint && !s.error.message.includes(s.error.hint))
    lines.push(`  hint: ${printable(s.error.hint)}`);
  return `${lines.join('\n')}\n`;
}

export function humanSummary(report: SuiteReport, c: Palette): string {
  const { passed, failed, skipped } = report.summary;
  const parts = [c.green(`${passed} passed`), failed ? c.red(`${failed} failed`) : `${failed} failed`];
  if (skipped) parts.push(c.yellow(`${skipped} skipped`));
  return `${parts.join(', ')} ${c.dim(`(${(report.durationMs / 1000).toFixed(1)} s)`)}\n`;
}

/** The closing line of a run of several suites. */
export function humanTotal(reports: SuiteReport[], c: Palette): string {
  const passed = reports.reduce((n, r) => n + r.summary.passed, 0);
  const failed = reports.reduce((n, r) => n + r.summary.failed, 0);
  const skipped = reports.reduce((n, r) => n + r.summary.skipped, 0);
  const seconds = reports.reduce((n, r) => n + r.durationMs, 0) / 1000;
  const parts = [c.green(`${passed} passed`), failed ? c.red(`${failed} failed`) : `${failed} failed`];
  if (skipped) parts.push(c.yellow(`${skipped} skipped`));
  return `${c.bold('all suites:')} ${parts.join(', ')} in ${reports.length} suite${reports.length === 1 ? '' : 's'} ${c.dim(`(${seconds.toFixed(1)} s)`)}\n`;
}

function header(file: string, total: number, c: Palette): string {
  return `${c.bold(`mcptest run ${file}`)} ${c.dim(`(${total} test${total === 1 ? '' : 's'})`)}\n`;
}

/** Live rendering: call with each event, writes as the run goes (test lines in plan order). */
export function humanLive(write: (s: string) => void, c: Palette): (e: RunEvent) => void {
  return (e) => {
    if (e.type === 'start') write(header(e.suite.file, e.total, c));
    else if (e.type === 'server') write(humanServerFailure(e.server, c) + humanServerEra(e.server, c));
    else if (e.type === 'test') write(humanTestLine(e.result, c));
  };
}

/** How many untested names a coverage line lists before `… and N more`. */
const UNTESTED_SHOWN = 10;

function untestedList(k: KindCoverage): string {
  const shown = k.untested.slice(0, UNTESTED_SHOWN).map(printable).join(', ');
  const more = k.untested.length - UNTESTED_SHOWN;
  return more > 0 ? `${shown}, … and ${more} more` : shown;
}

/**
 * The coverage block of `run --coverage`: per server, `tools 12/15 (80%): untested a, b, …`
 * per kind it offers, then every threshold shortfall. Empty without coverage.
 */
export function humanCoverage(report: SuiteReport, c: Palette): string {
  const cov = report.coverage;
  if (!cov) return '';
  const lines: string[] = [];
  for (const s of cov.servers) {
    const at = s.listedAt ? ` (listed at ${s.listedAt})` : '';
    lines.push(c.bold(`coverage of server "${s.server}"${at}:`));
    if (s.error) lines.push(`  ${c.red(printable(s.error))}`);
    const offered = COVERAGE_KINDS.filter((k) => s.kinds[k]);
    for (const kind of offered) {
      const k = s.kinds[kind] as KindCoverage;
      if (k.offered === 0) {
        lines.push(`  ${kindLabel(kind)}: none listed`);
        continue;
      }
      const text = `${kindLabel(kind)} ${ratio(k)}`;
      lines.push(
        k.untested.length ? `  ${c.yellow(text)}: untested ${untestedList(k)}` : `  ${c.green(text)}`,
      );
    }
    const absent = COVERAGE_KINDS.filter((k) => !s.kinds[k]);
    if (!s.error && absent.length)
      lines.push(`  ${c.dim(`not offered: ${absent.map(kindLabel).join(', ')}`)}`);
  }
  if (cov.thresholds) {
    const spec = COVERAGE_KINDS.filter((k) => cov.thresholds?.[k] !== undefined)
      .map((k) => `${k}=${cov.thresholds?.[k]}`)
      .join(',');
    if (cov.passed) lines.push(c.green(`coverage meets --min-coverage ${spec}`));
    else {
      lines.push(c.red(c.bold(`coverage below --min-coverage ${spec}:`)));
      for (const line of cov.shortfalls) lines.push(`  ${c.red(printable(line))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The whole report at once (for --output FILE). */
export function renderHuman(report: SuiteReport, c: Palette = PLAIN): string {
  let out = header(report.suite.file, report.summary.total, c);
  for (const s of report.servers) out += humanServerFailure(s, c) + humanServerEra(s, c);
  for (const t of report.tests) out += humanTestLine(t, c);
  return out + humanSummary(report, c) + humanCoverage(report, c);
}
