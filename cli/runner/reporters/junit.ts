/**
 * The JUnit XML reporter, in the shape CI systems read (Jenkins, GitLab, GitHub test reporters):
 * `testsuites > testsuite > testcase` with `failure` for failed assertions, `error` for tests
 * that could not run (connection, auth, timeout) and `skipped` for tests not reached after
 * `--bail`; a test's warnings (schema checks in warn mode) and notes (snapshots written) go to its
 * `system-out`.
 */
import { COVERAGE_KINDS, ratio } from '../coverage.js';
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

/**
 * `run --coverage` in JUnit: `<properties>` on the testsuite (`coverage.SERVER.tools` = `12/15`,
 * or `none listed`; `coverage.SERVER.tools.untested` = the names), and with `--min-coverage` one testcase per
 * server (`coverage`, classname the server) failing with the shortfalls, so CI shows it.
 */
function coverageProperties(report: SuiteReport): string {
  const cov = report.coverage;
  if (!cov) return '';
  const props: Array<[string, string]> = [];
  for (const s of cov.servers) {
    if (s.error) props.push([`coverage.${s.server}.error`, s.error]);
    for (const kind of COVERAGE_KINDS) {
      const k = s.kinds[kind];
      if (!k) continue;
      // A kind listed empty is not 0/0 of anything (as the human report says).
      props.push([`coverage.${s.server}.${kind}`, k.offered === 0 ? 'none listed' : ratio(k)]);
      if (k.untested.length) props.push([`coverage.${s.server}.${kind}.untested`, k.untested.join(', ')]);
    }
  }
  if (props.length === 0) return '';
  const items = props
    .map(([name, value]) => `      <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>\n`)
    .join('');
  return `    <properties>\n${items}    </properties>\n`;
}

/** The threshold testcases of a report: one per measured server, with `--min-coverage` only. */
function coverageCases(report: SuiteReport): Array<{ server: string; shortfalls: string[] }> {
  const cov = report.coverage;
  if (!cov?.thresholds) return [];
  return cov.servers.map((s) => ({
    server: s.server,
    shortfalls: cov.shortfalls.filter((line) => line.startsWith(`server "${s.server}":`)),
  }));
}

function coverageTestcase(c: { server: string; shortfalls: string[] }): string {
  const open = `    <testcase classname="${xmlEscape(c.server)}" name="coverage" time="0.000"`;
  if (c.shortfalls.length === 0) return `${open}/>\n`;
  const text = c.shortfalls.join('\n');
  return `${open}>\n      <failure message="${xmlEscape(`coverage below --min-coverage: ${c.shortfalls[0]}`)}" type="coverage">${xmlEscape(text)}</failure>\n    </testcase>\n`;
}

function counts(reports: SuiteReport[]): string {
  const covered = reports.flatMap(coverageCases);
  const tests = reports.flatMap((r) => r.tests);
  const errors = tests.filter((t) => t.status === 'failed' && t.error && !t.failures.length).length;
  const failures =
    tests.filter((t) => t.status === 'failed').length -
    errors +
    covered.filter((c) => c.shortfalls.length).length;
  const skipped = tests.filter((t) => t.status === 'skipped').length;
  const ms = reports.reduce((sum, r) => sum + r.durationMs, 0);
  return `tests="${tests.length + covered.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(ms)}"`;
}

function testsuite(report: SuiteReport): string {
  const name = xmlEscape(report.suite.name);
  const serverErrors = report.servers
    .filter((s) => s.error)
    .map((s) => `server "${s.name}" (${s.target}): ${s.error!.message}`)
    .join('\n\n');
  return (
    `  <testsuite name="${name}" ${counts([report])} timestamp="${report.startedAt}">\n` +
    coverageProperties(report) +
    report.tests.map(testcase).join('') +
    coverageCases(report).map(coverageTestcase).join('') +
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
