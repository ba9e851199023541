/**
 * The human report of `mcptest conformance`: a line per scenario (`✓ tools-list [2026-07-28]
 * 4 passed`), the failed and warned checks under it, the scenarios a requirement set does not
 * score apart, and a summary line per revision.
 */
import { printable } from '../format.js';
import type { Palette } from '../runner/reporters/human.js';
import type { ConformanceReport, RevisionReport, ScenarioResult, Totals } from './report.js';

function counts(s: ScenarioResult): string {
  const parts = [`${s.checks.passed} passed`];
  if (s.checks.failed) parts.push(`${s.checks.failed} failed`);
  if (s.checks.warnings) parts.push(`${s.checks.warnings} warning${s.checks.warnings === 1 ? '' : 's'}`);
  return parts.join(', ');
}

export function scenarioLine(s: ScenarioResult, c: Palette): string {
  const mark = s.status === 'pass' ? c.green('✓') : s.status === 'fail' ? c.red('✗') : c.yellow('!');
  const note = s.scored ? '' : ` ${c.dim(`[not scored: ${s.notScoredReason}]`)}`;
  const lines = [`  ${mark} ${s.name} [${s.revision}]${note} ${c.dim(`(${counts(s)})`)}`];
  for (const f of s.failures) {
    const tag = f.status === 'failure' ? c.red('fail') : c.yellow('warn');
    lines.push(`      ${tag} ${printable(f.name)}${f.message ? `: ${printable(f.message)}` : ''}`);
  }
  if (s.note) lines.push(`      ${c.dim(`note: ${s.note}`)}`);
  return `${lines.join('\n')}\n`;
}

function totalsText(t: Totals): string {
  const warned = t.warned ? `, ${t.warned} with warnings` : '';
  return `${t.passed} of ${t.scenarios} pass, ${t.failed} fail${warned} (checks: ${t.checks.passed} passed, ${t.checks.failed} failed, ${t.checks.warnings} warning${t.checks.warnings === 1 ? '' : 's'})`;
}

/** `2026-07-28: 12 of 37 pass, 25 fail (checks: ...); not scored: 13 run, 11 failing`. */
export function revisionSummary(r: RevisionReport, c: Palette): string {
  const unscored = r.scenarios.filter((s) => !s.scored);
  const rest = unscored.length
    ? `; not scored: ${unscored.length} run, ${unscored.filter((s) => s.status === 'fail').length} failing`
    : '';
  const mark = r.scoredTotals.failed > 0 ? c.red('✗') : c.green('✓');
  return `${mark} ${c.bold(r.revision)}: ${totalsText(r.scoredTotals)}${rest}\n`;
}

function revisionBlock(r: RevisionReport, c: Palette): string {
  const scored = r.scenarios.filter((s) => s.scored);
  const unscored = r.scenarios.filter((s) => !s.scored);
  let text = `${c.bold(`Requirement set ${r.revision}`)} (${scored.length} scored scenario${scored.length === 1 ? '' : 's'})\n`;
  text += scored.map((s) => scenarioLine(s, c)).join('');
  if (unscored.length) {
    text += `  ${c.dim(`not scored for ${r.revision} (extensions, pending, later additions):`)}\n`;
    text += unscored.map((s) => scenarioLine(s, c)).join('');
  }
  return text;
}

export function renderHuman(report: ConformanceReport, c: Palette): string {
  const blocks = report.revisions.map((r) => revisionBlock(r, c)).join('\n');
  const summary = report.revisions.map((r) => revisionSummary(r, c)).join('');
  return `${blocks}\n${summary}`;
}
