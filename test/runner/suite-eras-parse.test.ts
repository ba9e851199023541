/**
 * The era keys of the suite format as the runner reads them: `protocol:` / `protocols:` at suite
 * and server level and the runs they plan, `answers:` spelt out and merged, the new assertion
 * keys, every mistake named with file, line and the allowed values, and the reports (human,
 * JUnit, JSON) keeping the runs of a matrix apart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McptestError } from '../../shared/errors.js';
import { answersKey, effectiveAnswers } from '../../cli/runner/answers.js';
import { checkAsks, checkRawResult, refusedAsks } from '../../cli/runner/exchange-assertions.js';
import { parseSuite } from '../../cli/runner/load-suite.js';
import { planRuns, serverProtocols } from '../../cli/runner/protocol-matrix.js';
import { PLAIN, renderHuman } from '../../cli/runner/reporters/human.js';
import { renderJunit } from '../../cli/runner/reporters/junit.js';
import type { SuiteReport, TestResult } from '../../cli/runner/report.js';
import { testFilter } from '../../cli/runner/run-suite.js';
import { suiteJsonSchema } from '../../cli/runner/suite-schema.js';
import type { Ask } from '../../cli/mcp/target.js';
import { checkWellFormedXml } from './xml-well-formed.js';

const MATRIX = `protocols: [2026-07-28, 2025-11-25]
answers:
  elicitation: decline
  sampling: the suite's reply
servers:
  both:
    url: http://127.0.0.1:8080/mcp
    answers: { roots: [file:///work, { uri: "file:///tmp", name: tmp }] }
  pinned:
    command: node server.js
    protocol: 2025-06-18
tests:
  - name: echo
    server: both
    tool: echo
    arguments: { text: hi }
  - name: ask the name
    server: both
    tool: ask_name
    answers:
      elicitation: { accept: { name: Ada, age: 36, admin: true, tags: [a, b] } }
      sampling: { text: from the test, model: canned-1, stop_reason: endTurn }
    expect:
      asks: [{ kind: elicitation, message: /your name/i, via: input_required }, sampling]
      notifications: [tools/list_changed, notifications/prompts/list_changed]
      result_type: complete
  - name: tools are cacheable
    server: pinned
    list: tools
    expect: { ttl_ms: { gte: 1000 }, cache_scope: public, json: { "$.tools[0].name": echo } }
`;

function suiteError(text: string): McptestError {
  try {
    parseSuite(text, 'suite.yaml', {});
  } catch (err) {
    assert.ok(err instanceof McptestError, `expected McptestError, got ${err}`);
    assert.equal(err.code, 'suite_invalid');
    return err;
  }
  assert.fail('the suite was accepted');
}

/** A one-server suite with `server` lines under the server and `test` lines under the test. */
const one = (server: string, test: string) =>
  `servers:\n  api:\n    url: http://127.0.0.1:8080/mcp\n${server}tests:\n  - name: t\n    tool: echo\n${test}`;

describe('suite eras: protocol, protocols and the runs they plan', () => {
  it('plans each test once per revision of its server, grouped by revision, labelled with it', () => {
    const { suite } = parseSuite(MATRIX, 'suite.yaml', {});
    assert.deepEqual(serverProtocols(suite, 'both'), ['2026-07-28', '2025-11-25']);
    assert.deepEqual(serverProtocols(suite, 'pinned'), ['2025-06-18']);
    const runs = planRuns(suite, suite.tests, undefined);
    assert.deepEqual(
      runs.map((r) => r.label),
      [
        'echo [2026-07-28]',
        'ask the name [2026-07-28]',
        'tools are cacheable',
        'echo [2025-11-25]',
        'ask the name [2025-11-25]',
      ],
    );
    assert.deepEqual(
      runs.map((r) => r.protocol),
      ['2026-07-28', '2026-07-28', '2025-06-18', '2025-11-25', '2025-11-25'],
    );
    // --protocol takes over every server; no matrix is left, so no label carries a revision.
    const pinned = planRuns(suite, suite.tests, '2025-03-26');
    assert.deepEqual(
      pinned.map((r) => [r.label, r.protocol]),
      [
        ['echo', '2025-03-26'],
        ['ask the name', '2025-03-26'],
        ['tools are cacheable', '2025-03-26'],
      ],
    );
    // --filter matches a name or a label: one revision of the matrix, or one test at every one.
    assert.deepEqual(
      planRuns(suite, suite.tests, undefined, testFilter('[2025-11-25]')).map((r) => r.label),
      ['echo [2025-11-25]', 'ask the name [2025-11-25]'],
    );
    assert.deepEqual(
      planRuns(suite, suite.tests, undefined, testFilter('/^echo$/')).map((r) => r.label),
      ['echo [2026-07-28]', 'echo [2025-11-25]'],
    );
  });

  it('a YAML syntax error is named once, with a hint for an unquoted ${VAR} in a flow map', () => {
    const err = suiteError('servers:\n  api: { url: ${MCP_URL}, protocol: 2026-07-28 }\ntests: []\n');
    assert.match(
      err.message,
      /^suite\.yaml:2:16: YAML syntax error: .* \(inside \{ … \} quote a \$\{VAR\}: \{ url: "\$\{MCP_URL\}" \}\) \(\d+ more after it\)$/,
    );
  });

  it('defaults to auto; a suite-level protocol applies to servers naming none', () => {
    const plain = parseSuite(one('', ''), 's.yaml', {}).suite;
    assert.deepEqual(serverProtocols(plain, 'api'), ['auto']);
    assert.deepEqual(
      planRuns(plain, plain.tests, undefined).map((r) => [r.label, r.matrix]),
      [['t', false]],
    );
    const suiteLevel = parseSuite(`protocol: 2026-07-28\n${one('', '')}`, 's.yaml', {}).suite;
    assert.deepEqual(serverProtocols(suiteLevel, 'api'), ['2026-07-28']);
    const override = parseSuite(
      `protocols: [2026-07-28, 2025-11-25]\n${one('    protocol: 2025-11-25\n', '')}`,
      's.yaml',
      {},
    ).suite;
    assert.deepEqual(serverProtocols(override, 'api'), ['2025-11-25']);
  });

  it('names the file, the line and the allowed revisions for a wrong protocol', () => {
    const allowed = 'expected one of auto, 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26';
    assert.match(
      suiteError(one('    protocol: 2024-11-05\n', '')).message,
      new RegExp(`^suite\\.yaml:4:5: servers\\.api\\.protocol: ${allowed}`),
    );
    assert.match(
      suiteError(one('    protocols: [2026-07-28, 2025-11-26]\n', '')).message,
      new RegExp(`^suite\\.yaml:4:29: servers\\.api\\.protocols\\[1\\]: ${allowed}`),
    );
    assert.match(
      suiteError(`protocol: latest\n${one('', '')}`).message,
      new RegExp(`^suite\\.yaml:1:1: protocol: ${allowed}`),
    );
    assert.match(
      suiteError(one('    protocols: [2026-07-28, 2026-07-28]\n', '')).message,
      /^suite\.yaml:4:5: servers\.api\.protocols: a revision appears twice in the matrix/,
    );
    assert.match(
      suiteError(one('    protocols: []\n', '')).message,
      /protocols: a protocol matrix needs at least one revision/,
    );
    assert.match(
      suiteError(one('    protocol: auto\n    protocols: [2026-07-28]\n', '')).message,
      /^suite\.yaml:2:3: servers\.api: give protocol \(one revision\) or protocols \(a matrix\), not both/,
    );
    assert.match(
      suiteError(one('    protocol_version: 2026-07-28\n', '')).message,
      /^suite\.yaml:4:5: unknown key "protocol_version" in servers\.api \(did you mean "protocol"\?\)/,
    );
  });
});

describe('suite eras: answers', () => {
  it('spells out the shorthands and merges suite, server and test kind by kind', () => {
    const { suite } = parseSuite(MATRIX, 'suite.yaml', {});
    const [echo, ask] = suite.tests;
    assert.deepEqual(effectiveAnswers(suite.answers, suite.servers.both.answers, echo.answers), {
      elicitation: { action: 'decline' },
      sampling: { text: "the suite's reply" },
      roots: [{ uri: 'file:///work' }, { uri: 'file:///tmp', name: 'tmp' }],
    });
    assert.deepEqual(effectiveAnswers(suite.answers, suite.servers.both.answers, ask.answers), {
      elicitation: { action: 'accept', content: { name: 'Ada', age: 36, admin: true, tags: ['a', 'b'] } },
      sampling: { text: 'from the test', model: 'canned-1', stopReason: 'endTurn' },
      roots: [{ uri: 'file:///work' }, { uri: 'file:///tmp', name: 'tmp' }],
    });
    assert.deepEqual(effectiveAnswers({ elicitation: 'accept' }), {
      elicitation: { action: 'accept', content: {} },
    });
    assert.deepEqual(effectiveAnswers({ elicitation: 'cancel' }), { elicitation: { action: 'cancel' } });
    assert.deepEqual(effectiveAnswers(), {});
    // Equal answers share a connection; other answers do not.
    assert.equal(
      answersKey(effectiveAnswers({ elicitation: 'decline' })),
      answersKey({ elicitation: { action: 'decline' } }),
    );
    assert.notEqual(answersKey(effectiveAnswers({ elicitation: 'decline' })), answersKey({}));
  });

  it('names the line and what each answer accepts', () => {
    const cases: Array<[string, RegExp]> = [
      [
        '    answers: { elicitation: accpt }\n',
        /^suite\.yaml:7:16: tests\[0\]\.answers\.elicitation: expected accept, decline, cancel, or \{ accept: \{ field: value, … \} \}/,
      ],
      [
        '    answers: { elicitation: { accept: { name: Ada }, extra: 1 } }\n',
        /^suite\.yaml:7:54: unknown key "extra" in tests\[0\]\.answers\.elicitation/,
      ],
      [
        '    answers: { sampling: 3 }\n',
        /^suite\.yaml:7:16: tests\[0\]\.answers\.sampling: expected the reply text, or \{ text, model\?, stop_reason\? \}/,
      ],
      [
        '    answers: { roots: [nope] }\n',
        /^suite\.yaml:7:24: tests\[0\]\.answers\.roots\[0\]: a root is a URI like file:\/\/\/work\/project/,
      ],
      [
        '    answers: { elicit: decline }\n',
        /unknown key "elicit" in tests\[0\]\.answers \(did you mean "elicitation"\?\)/,
      ],
      [
        '    expect: { answers: { sampling: x } }\n',
        /unknown key "answers" in tests\[0\]\.expect \(answers goes in a test/,
      ],
    ];
    for (const [test, want] of cases) assert.match(suiteError(one('', test)).message, want, test);
    assert.match(
      suiteError(one('    answers: { sampling: { txt: hi } }\n', '')).message,
      /^suite\.yaml:4:16: servers\.api\.answers\.sampling: expected the reply text, or \{ text, model\?, stop_reason\? \}/,
    );
  });
});

describe('suite eras: assertions on the exchange', () => {
  it('names the line and the allowed values of asks, notifications, result_type, ttl_ms, cache_scope', () => {
    const cases: Array<[string, RegExp]> = [
      [
        '    expect: { asks: elicitaton }\n',
        /^suite\.yaml:7:15: tests\[0\]\.expect\.asks: expected elicitation, sampling, roots, or \{ kind, message\?, via\? \}/,
      ],
      [
        '    expect: { asks: [elicitation, { kind: sampling, message: "/(/" }] }\n',
        /^suite\.yaml:7:53: invalid regular expression/,
      ],
      [
        '    expect: { asks: { kind: sampling, via: rounds } }\n',
        /tests\[0\]\.expect\.asks: expected elicitation, sampling, roots, or \{ kind, message\?, via\? \}/,
      ],
      [
        '    expect: { result_type: done }\n',
        /^suite\.yaml:7:15: tests\[0\]\.expect\.result_type: expected complete/,
      ],
      [
        '    expect: { notifications: [] }\n',
        /tests\[0\]\.expect\.notifications: list the notifications to wait for, like \[notifications\/tools\/list_changed\]/,
      ],
      [
        '    asks: elicitation\n',
        /^suite\.yaml:7:5: unknown key "asks" in tests\[0\] \(asks goes under expect\)/,
      ],
      [
        '    expect: { resultType: complete }\n',
        /unknown key "resultType" in tests\[0\]\.expect \(write "result_type"/,
      ],
      [
        '    expect: { ttl_ms: 5 }\n',
        /^suite\.yaml:5:5: tests\[0\]: ttl_ms and cache_scope are cache hints of list and resource results/,
      ],
    ];
    for (const [test, want] of cases) assert.match(suiteError(one('', test)).message, want, test);
    const list = (expect: string) =>
      `servers:\n  api: { url: http://127.0.0.1:8080/mcp }\ntests:\n  - name: l\n    list: ${expect}\n`;
    assert.match(
      suiteError(list('everything')).message,
      /^suite\.yaml:5:5: tests\[0\]\.list: expected tools, prompts, resources, resource_templates/,
    );
    assert.match(
      suiteError(list('tools\n    expect: { cache_scope: shared }')).message,
      /tests\[0\]\.expect\.cache_scope: expected public or private/,
    );
    assert.match(
      suiteError(list('tools\n    expect: { ttl_ms: "a" }')).message,
      /tests\[0\]\.expect\.ttl_ms: expected milliseconds \(a whole number\), or operators like \{ gte: 1000 \}/,
    );
    assert.match(
      suiteError(list('tools\n    expect: { text_contains: echo }')).message,
      /a list has no text or content: check it with json paths/,
    );
    assert.match(
      suiteError(list('tools\n    arguments: { a: 1 }')).message,
      /arguments go with tool or prompt/,
    );
  });

  it('asks: each matcher finds its ask; [] means none; a refused ask names itself and its answer', () => {
    const asks: Ask[] = [
      {
        method: 'elicitation/create',
        kind: 'elicitation',
        via: 'input_required',
        message: 'What is your name?',
        mode: 'form',
        answered: 'canned',
      },
      {
        method: 'sampling/createMessage',
        kind: 'sampling',
        via: 'request',
        message: 'Pick a model',
        answered: 'refused',
      },
    ];
    assert.deepEqual(checkAsks(['elicitation', { kind: 'sampling', message: 'MODEL' }], asks), []);
    assert.deepEqual(
      checkAsks({ kind: 'elicitation', message: '/^what is/i', via: 'input_required' }, asks),
      [],
    );
    assert.match(
      checkAsks({ kind: 'elicitation', via: 'request' }, asks)[0].message,
      /^expected the server to ask for elicitation via request, it asked for elicitation "What is your name\?"; sampling "Pick a model"$/,
    );
    assert.match(
      checkAsks('roots', [])[0].message,
      /expected the server to ask for roots, it asked for nothing/,
    );
    assert.deepEqual(checkAsks([], []), []);
    assert.match(
      checkAsks([], asks)[0].message,
      /expected the server to ask for nothing, it asked for elicitation/,
    );
    const refused = refusedAsks(asks);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].assertion, 'answers');
    assert.match(
      refused[0].message,
      /^the server asked for sampling "Pick a model" and the test has no answer for it; add to the test: answers: \{ sampling: "the reply text" \}$/,
    );
  });

  it('result_type, ttl_ms and cache_scope read the raw result; a 2025 result counts as complete', () => {
    const raw = { resultType: 'complete', ttlMs: 60000, cacheScope: 'public', tools: [] };
    assert.deepEqual(
      checkRawResult(
        { result_type: 'complete', ttl_ms: { gte: 1000 }, cache_scope: 'public' },
        raw,
        'modern',
      ),
      [],
    );
    assert.deepEqual(checkRawResult({ ttl_ms: 60000 }, raw, 'modern'), []);
    assert.deepEqual(checkRawResult({ result_type: 'complete' }, { tools: [] }, 'legacy'), []);
    assert.match(
      checkRawResult({ result_type: 'complete' }, { tools: [] }, 'modern')[0].message,
      /expected resultType "complete", got none/,
    );
    const legacy = checkRawResult({ ttl_ms: { gte: 1 }, cache_scope: 'private' }, { tools: [] }, 'legacy');
    assert.deepEqual(
      legacy.map((f) => f.message),
      [
        'the result has no ttlMs (2025-era results carry no cache hints)',
        'expected cacheScope "private", the result has none (2025-era results carry no cache hints)',
      ],
    );
    assert.match(checkRawResult({ ttl_ms: 5 }, raw, 'modern')[0].message, /expected 5, got 60000/);
    assert.match(checkRawResult({ cache_scope: 'private' }, raw, 'modern')[0].message, /got "public"/);
    assert.match(
      checkRawResult({ result_type: 'complete' }, undefined, null)[0].message,
      /could not be observed/,
    );
  });

  it('the JSON Schema carries the new keys for editors', () => {
    const schema = suiteJsonSchema() as any;
    assert.ok(schema.properties.protocols && schema.properties.answers);
    const server = schema.properties.servers.additionalProperties;
    assert.deepEqual(server.properties.protocol.enum, [
      'auto',
      '2026-07-28',
      '2025-11-25',
      '2025-06-18',
      '2025-03-26',
    ]);
    const test = schema.properties.tests.items;
    assert.ok(test.properties.answers && test.properties.list);
    assert.ok(test.properties.expect.properties.asks && test.properties.expect.properties.notifications);
  });
});

describe('suite eras: reports keep the runs of a matrix apart', () => {
  const result = (over: Partial<TestResult>): TestResult => ({
    name: 'echo',
    label: 'echo',
    server: 'api',
    kind: 'tool',
    tool: 'echo',
    protocol: 'auto',
    era: 'modern',
    protocolVersion: '2026-07-28',
    status: 'passed',
    durationMs: 3,
    failures: [],
    error: null,
    ...over,
  });
  const report: SuiteReport = {
    version: 1,
    suite: { name: 'eras', file: 'eras.yaml' },
    startedAt: new Date(0).toISOString(),
    durationMs: 40,
    summary: { total: 3, passed: 1, failed: 2, skipped: 0 },
    servers: [
      {
        name: 'api',
        target: 'http://127.0.0.1:1/mcp',
        protocol: '2026-07-28',
        era: 'modern',
        protocolVersion: '2026-07-28',
        connected: true,
        connectMs: 5,
        error: null,
        authFailed: false,
      },
      {
        name: 'api',
        target: 'http://127.0.0.1:1/mcp',
        protocol: '2025-11-25',
        era: null,
        protocolVersion: null,
        connected: false,
        connectMs: 5,
        error: { code: 'protocol_unsupported', message: 'the server speaks only 2026-07-28' },
        authFailed: false,
      },
    ],
    tests: [
      result({ label: 'echo [2026-07-28]', protocol: '2026-07-28' }),
      result({
        label: 'echo [2025-11-25]',
        protocol: '2025-11-25',
        era: null,
        protocolVersion: null,
        status: 'failed',
        error: {
          code: 'protocol_unsupported',
          message: 'not run: server "api" at 2025-11-25 could not be used',
        },
      }),
      result({
        name: 'ask',
        label: 'ask [2026-07-28]',
        protocol: '2026-07-28',
        status: 'failed',
        failures: [
          { assertion: 'asks', message: 'expected the server to ask for roots, it asked for nothing' },
        ],
      }),
    ],
    exitCode: 1,
  };

  it('JUnit test names carry the revision', () => {
    const xml = renderJunit(report);
    checkWellFormedXml(xml);
    assert.match(xml, /<testcase classname="api" name="echo \[2026-07-28\]" time="0\.003"\/>/);
    assert.match(
      xml,
      /<testcase classname="api" name="echo \[2025-11-25\]"[^>]*>\s*<error message="not run: server &quot;api&quot; at 2025-11-25/,
    );
    assert.match(
      xml,
      /name="ask \[2026-07-28\]"[^>]*>\s*<failure message="asks: expected the server to ask for roots/,
    );
  });

  it('the human report tags each run and says what each connection speaks', () => {
    const text = renderHuman(report, PLAIN);
    assert.match(text, /^ {2}server "api" at 2026-07-28: 2026-07-28 \(modern era\)$/m);
    assert.match(text, /^cannot use server "api" at 2025-11-25 \(http:\/\/127\.0\.0\.1:1\/mcp\):$/m);
    assert.match(text, /^ {2}✓ echo \[2026-07-28\] \(3 ms\)$/m);
    assert.match(text, /^ {2}✗ echo \[2025-11-25\] \(3 ms\)$/m);
    assert.match(text, /^ {2}✗ ask \[2026-07-28\] \(3 ms\)\n {6}asks: expected the server to ask for roots/m);
  });
});
