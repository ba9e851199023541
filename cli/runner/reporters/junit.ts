/**
 * The JUnit XML reporter, in the shape CI systems read (Jenkins, GitLab, GitHub test reporters):
 * `testsuites > testsuite > testcase` with `failure` for failed assertions, `error` for tests
 * that could not run (connection, auth, timeout) and `skipped` for tests not reached after
 * `--bail`; a test's warnings (schema checks in warn mode) and notes (snapshots written) go to its
 * `system-out`.
 */
import type { SuiteReport, TestResult } from '../run-suite.js';

/** Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(t: TestResult): string {
  const open = `    <testcase classname="${xmlEscape(t.server)}" name="${xmlEscape(t.label ?? t.name)}" time="${seconds(t.durationMs)}"`;
  // Warnings (schema checks in warn mode) and notes never fail a test: CI shows them as output.
  const asides = [
    ...(t.warnings ?? []).map((w) => `warning: ${w.assertion}: ${w.message}`),
    ...(t.notes ?? []).map((n) => `note: ${n}`),
  ];
  const out = asides.length ? `      <system-out>${xmlEscape(asides.join('\n'))}</system-out>\n` : '';
  if (t.status === 'passed') return out ? `${open}>\n${out}    </testcase>\n` : `${open}/>\n`;
  if (t.status === 'skipped')
    return `${open}>\n      <skipped message="not run after --bail"/>\n    </testcase>\n`;
  let body = '';
  if (t.failures.length) {
    const first = t.failures[0];
    const text = t.failures.map((f) => `${f.assertion}: ${f.message}`).join('\n');
    body += `      <failure message="${xmlEscape(`${first.assertion}: ${first.message}`)}" type="assertion">${xmlEscape(text)}</failure>\n`;
  }
  if (t.error) {
    const text = t.error.hint ? `${t.error.message}\nhint: ${t.error.hint}` : t.error.message;
    body += `      <error message="${xmlEscape(t.error.message.split('\n')[0])}" type="${xmlEscape(t.error.code)}">${xmlEscape(text)}</error>\n`;
  }
  return `${open}>\n${body}${out}    </testcase>\n`;
}

function counts(reports: SuiteReport[]): string {
  const tests = reports.flatMap((r) => r.tests);
  const errors = tests.filter((t) => t.status === 'failed' && t.error && !t.failures.length).length;
  const failures = tests.filter((t) => t.status === 'failed').length - errors;
  const skipped = tests.filter((t) => t.status === 'skipped').length;
  const ms = reports.reduce((sum, r) => sum + r.durationMs, 0);
  return `tests="${tests.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(ms)}"`;
}

function testsuite(report: SuiteReport): string {
  const name = xmlEscape(report.suite.name);
  const serverErrors = report.servers
    .filter((s) => s.error)
    .map((s) => `server "${s.name}" (${s.target}): ${s.error!.message}`)
    .join('\n\n');
  return (
    `  <testsuite name="${name}" ${counts([report])} timestamp="${report.startedAt}">\n` +
    report.tests.map(testcase).join('') +
    (serverErrors ? `    <system-err>${xmlEscape(serverErrors)}</system-err>\n` : '') +
    '  </testsuite>\n'
  );
}

/** One `<testsuites>` document holding a `<testsuite>` per suite run. */
export function renderJunit(reports: SuiteReport | SuiteReport[]): string {
  const all = Array.isArray(reports) ? reports : [reports];
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="mcptest" ${counts(all)}>\n` +
    all.map(testsuite).join('') +
    '</testsuites>\n'
  );
}
