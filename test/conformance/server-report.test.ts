/**
 * The pure parts of `mcptest conformance`: reading the suite's requirement list, a scenario's
 * status from its checks, the scrubbing of the proxy's secret URL, and JUnit XML that stays
 * well-formed whatever a server's messages hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHuman } from '../../cli/conformance/render-human.js';
import { renderJunit } from '../../cli/conformance/render-junit.js';
import {
  type ConformanceReport,
  MESSAGE_LIMIT,
  revisionReport,
  scenarioResult,
  scrubber,
  totalsOf,
} from '../../cli/conformance/report.js';
import { parseRequirementList } from '../../cli/conformance/requirement-sets.js';
import { PLAIN } from '../../cli/runner/reporters/human.js';
import { checkWellFormedXml } from '../runner/xml-well-formed.js';

const LIST = `Required for 2026-07-28 (5 scenarios, frozen; run at the 2026-07-28 wire):

Server scenarios (test against a server):
  - server-stateless
  - tools-list

Client scenarios (test against a client):
  - tools_call

Run and reported, but never scored:
  extension (2):
    - auth/dpop [client]
    - tasks-lifecycle [server]
  pending (1):
    - json-schema-2020-12 [server]
`;

test('the requirement list gives the scored server scenarios, then the unscored ones with their reason', () => {
  const set = parseRequirementList('2026-07-28', LIST);
  assert.deepEqual(set.scenarios, [
    { name: 'server-stateless', scored: true },
    { name: 'tools-list', scored: true },
    { name: 'tasks-lifecycle', scored: false, reason: 'extension' },
    { name: 'json-schema-2020-12', scored: false, reason: 'pending' },
  ]);
  assert.throws(() => parseRequirementList('2025-11-25', 'Usage: conformance list'), {
    code: 'conformance_unavailable',
  });
});

const SECRET = 'Abcdefghijklmnopqrstuvwxyz012345';
const PROXY = `http://127.0.0.1:4100/${SECRET}/mcp`;
const scrub = scrubber(PROXY, SECRET, 'https://mcp.example.com/mcp');

test('a scenario fails on a failed check, warns on warnings alone; messages are scrubbed and cut', () => {
  const scenario = { name: 'tools-list', scored: true };
  const long = `Request to ${PROXY}/x failed: ${'y'.repeat(400)}`;
  const failed = scenarioResult(
    scenario,
    '2026-07-28',
    [
      { id: 'a', name: 'A', status: 'SUCCESS' },
      { id: 'b', name: 'B', status: 'FAILURE', errorMessage: long },
      { id: 'c', name: 'C', status: 'WARNING', errorMessage: `secret ${SECRET} here` },
      { id: 'd', name: 'D', status: 'INFO' },
      { id: 'e', name: 'E', status: 'SKIPPED' },
    ],
    scrub,
  );
  assert.equal(failed.status, 'fail');
  assert.deepEqual(failed.checks, { passed: 1, failed: 1, warnings: 1, skipped: 1, info: 1 });
  assert.deepEqual(
    failed.failures.map((f) => [f.name, f.status]),
    [
      ['B', 'failure'],
      ['C', 'warning'],
    ],
  );
  assert.ok(failed.failures[0].message.startsWith('Request to https://mcp.example.com/mcp/x failed'));
  assert.equal(failed.failures[0].message.length, MESSAGE_LIMIT);
  assert.equal(failed.failures[1].message, 'secret <proxy-secret> here');
  const warned = scenarioResult(
    scenario,
    '2026-07-28',
    [
      { id: 'a', status: 'SUCCESS' },
      { id: 'c', status: 'WARNING' },
    ],
    scrub,
  );
  assert.equal(warned.status, 'warn');
  const none = scenarioResult(scenario, '2025-11-25', null, scrub);
  assert.equal(none.status, 'fail');
  assert.match(none.failures[0].message, /no results/);
});

test('JUnit and human reports carry the same totals, and XML stays well-formed with hostile text', () => {
  const hostile = 'a <b> & "c" \u0001 ]]> </testcase>';
  const scenarios = [
    scenarioResult({ name: 'ping', scored: true }, '2025-11-25', [{ id: 'p', status: 'SUCCESS' }], scrub),
    scenarioResult(
      { name: 'tools<x>', scored: true },
      '2025-11-25',
      [{ id: 'f', name: hostile, status: 'FAILURE', errorMessage: hostile }],
      scrub,
    ),
    scenarioResult(
      { name: 'tasks-lifecycle', scored: false, reason: 'extension' },
      '2025-11-25',
      [{ id: 'w', status: 'WARNING', errorMessage: hostile }],
      scrub,
    ),
  ];
  const rev = revisionReport('2025-11-25', scenarios);
  const report: ConformanceReport = {
    server: 'https://mcp.example.com/mcp?a=1&b=2',
    suite: { package: 'conformance-next', version: '0.2.0-alpha.12' },
    startedAt: new Date(0).toISOString(),
    durationMs: 1234,
    revisions: [rev],
    totals: totalsOf(scenarios),
    exitCode: 1,
  };
  assert.deepEqual(
    [rev.totals.passed, rev.totals.failed, rev.totals.warned, rev.scoredTotals.scenarios],
    [1, 1, 1, 2],
  );
  const xml = renderJunit(report);
  checkWellFormedXml(xml);
  assert.match(xml, /<testsuites [^>]*tests="3" failures="1"/);
  assert.match(xml, /<testsuite name="conformance 2025-11-25" tests="3" failures="1"/);
  const human = renderHuman(report, PLAIN);
  assert.match(human, /✓ ping \[2025-11-25\] \(1 passed\)/);
  assert.match(human, /! tasks-lifecycle \[2025-11-25\] \[not scored: extension\]/);
  assert.match(human, /2025-11-25: 1 of 2 pass, 1 fail/);
});
