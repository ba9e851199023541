/**
 * The JUnit XML report of `mcptest conformance`: a `<testsuite>` per revision, a `<testcase>`
 * per scenario (`classname` the revision, `name` the scenario with its revision label), a
 * `<failure>` listing the failed checks; a scenario with warnings only passes with its warnings
 * in `<system-out>`. The counts are the report's totals.
 */
import { xmlEscape } from '../runner/reporters/junit.js';
import type { ConformanceReport, RevisionReport, ScenarioResult } from './report.js';

function testcase(s: ScenarioResult): string {
  const open = `    <testcase classname="conformance.${xmlEscape(s.revision)}" name="${xmlEscape(`${s.name} [${s.revision}]`)}"`;
  const failed = s.failures.filter((f) => f.status === 'failure');
  const warned = s.failures.filter((f) => f.status === 'warning');
  if (failed.length === 0 && warned.length === 0 && s.scored && !s.note) return `${open}/>\n`;
  let body = '';
  if (failed.length) {
    const first = failed[0];
    const text = failed.map((f) => `${f.name}: ${f.message}`).join('\n');
    body += `      <failure message="${xmlEscape(`${first.name}: ${first.message}`)}" type="${s.scored ? 'conformance' : 'not-scored'}">${xmlEscape(text)}</failure>\n`;
  }
  const notes = [
    ...(s.scored ? [] : [`not scored for ${s.revision}: ${s.notScoredReason}`]),
    ...warned.map((f) => `warning ${f.name}: ${f.message}`),
    ...(s.note ? [`note: ${s.note}`] : []),
  ];
  if (notes.length) body += `      <system-out>${xmlEscape(notes.join('\n'))}</system-out>\n`;
  return `${open}>\n${body}    </testcase>\n`;
}

function testsuite(r: RevisionReport, timestamp: string): string {
  return (
    `  <testsuite name="conformance ${xmlEscape(r.revision)}" tests="${r.totals.scenarios}" failures="${r.totals.failed}" errors="0" skipped="0" timestamp="${xmlEscape(timestamp)}">\n` +
    r.scenarios.map(testcase).join('') +
    '  </testsuite>\n'
  );
}

export function renderJunit(report: ConformanceReport): string {
  const t = report.totals;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="mcptest conformance ${xmlEscape(report.server)}" tests="${t.scenarios}" failures="${t.failed}" errors="0" skipped="0" time="${(report.durationMs / 1000).toFixed(3)}">\n` +
    report.revisions.map((r) => testsuite(r, report.startedAt)).join('') +
    '</testsuites>\n'
  );
}
