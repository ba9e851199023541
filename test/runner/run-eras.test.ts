/**
 * `mcptest run` in both MCP eras, as a user runs it: the real CLI against real servers of the
 * three kinds (modern-only SDK 2.x with `legacy: 'reject'`, dual-era SDK 2.x, legacy-only SDK
 * 1.x) over Streamable HTTP and stdio. A protocol matrix run per revision and reported apart
 * (JUnit names, the human report, `--reporter json` eras), a pinned revision a server refuses
 * failing only its own tests, `--protocol` over the suite, canned answers to an elicitation and a
 * sampling request in both eras with `asks` assertions, a refusal of credentials per revision,
 * an unanswered ask failing its test by name, and the exchange assertions: notifications after
 * `add_tool`, `result_type`, `ttl_ms`, `cache_scope`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import {
  ASK_MODEL_PROMPT,
  ASK_NAME_MESSAGE,
  ERA_STDIO_SCRIPT,
  type EraServer,
  type EraServerKind,
  startEraServer,
} from '../helpers/era-servers.js';
import { checkWellFormedXml } from './xml-well-formed.js';

const KINDS: EraServerKind[] = ['modern', 'dual', 'legacy'];

/** A stdio server entry of `kind` for a suite (the built twin of the HTTP servers). */
const stdio = (kind: EraServerKind) =>
  `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ERA_STDIO_SCRIPT)}, --era, ${kind}] }`;

interface JsonTest {
  name: string;
  label: string;
  server: string;
  protocol: string;
  era: string | null;
  protocolVersion: string | null;
  status: string;
  failures: Array<{ assertion: string; message: string }>;
  error: { code: string; message: string } | null;
  asks?: Array<{ kind: string; via: string; message?: string; answered: string }>;
}

describe('mcptest run in both eras', () => {
  let env: ReturnType<typeof isolatedEnv>;
  let dir: string;
  const http = new Map<EraServerKind, EraServer>();
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };
  const byLabel = (report: { tests: JsonTest[] }) =>
    Object.fromEntries(report.tests.map((t) => [t.label, t])) as Record<string, JsonTest>;

  before(async () => {
    for (const kind of KINDS) http.set(kind, await startEraServer(kind));
    env = isolatedEnv({
      MODERN_URL: http.get('modern')!.url,
      DUAL_URL: http.get('dual')!.url,
      LEGACY_URL: http.get('legacy')!.url,
    });
    dir = env.MCPTEST_HOME as string;
  });
  after(async () => {
    await env?.cleanup();
    for (const server of http.values()) await server.close();
  });

  it('a protocol matrix over the three kinds runs every test per revision and reports them apart', async () => {
    const suite = write(
      'matrix.yaml',
      `name: matrix
protocols: [2026-07-28, 2025-11-25]
servers:
  modern: { url: "\${MODERN_URL}" }
  dual: { url: "\${DUAL_URL}" }
  legacy: { url: "\${LEGACY_URL}" }
tests:
${KINDS.map((k) => `  - { name: echo ${k}, server: ${k}, tool: echo, arguments: { text: hi }, expect: { json: { "$.text": hi }, result_type: complete } }`).join('\n')}
`,
    );
    const json = await runCli(['run', suite, '--reporter', 'json'], { env });
    assert.equal(json.code, 1, json.stdout + json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.summary, { total: 6, passed: 4, failed: 2, skipped: 0 });
    // Grouped by revision: every test at 2026-07-28, then every test at 2025-11-25.
    assert.deepEqual(
      report.tests.map((t: JsonTest) => t.label),
      [
        'echo modern [2026-07-28]',
        'echo dual [2026-07-28]',
        'echo legacy [2026-07-28]',
        'echo modern [2025-11-25]',
        'echo dual [2025-11-25]',
        'echo legacy [2025-11-25]',
      ],
    );
    const t = byLabel(report);
    for (const label of ['echo modern [2026-07-28]', 'echo dual [2026-07-28]']) {
      assert.equal(t[label].status, 'passed', JSON.stringify(t[label]));
      assert.equal(t[label].era, 'modern');
      assert.equal(t[label].protocolVersion, '2026-07-28');
    }
    for (const label of ['echo dual [2025-11-25]', 'echo legacy [2025-11-25]']) {
      assert.equal(t[label].status, 'passed', JSON.stringify(t[label]));
      assert.equal(t[label].era, 'legacy');
      assert.equal(t[label].protocolVersion, '2025-11-25');
    }
    // A server refusing a revision fails that revision's test with the client's error, nothing more.
    for (const label of ['echo modern [2025-11-25]', 'echo legacy [2026-07-28]']) {
      assert.equal(t[label].status, 'failed');
      assert.equal(t[label].error?.code, 'protocol_unsupported', JSON.stringify(t[label]));
      assert.match(
        t[label].error?.message ?? '',
        /^not run: server "\w+" at 2\d{3}-\d\d-\d\d could not be used \(protocol_unsupported\): .*does not speak MCP/,
      );
      assert.equal(t[label].era, null);
    }
    const servers = report.servers.map((s: any) => [s.name, s.protocol, s.era, s.connected]);
    assert.deepEqual(servers, [
      ['modern', '2026-07-28', 'modern', true],
      ['modern', '2025-11-25', null, false],
      ['dual', '2026-07-28', 'modern', true],
      ['dual', '2025-11-25', 'legacy', true],
      ['legacy', '2026-07-28', null, false],
      ['legacy', '2025-11-25', 'legacy', true],
    ]);
    assert.match(report.servers[1].error.message, /2026-07-28/, 'the refusal names what the server supports');

    const junit = await runCli(['run', suite, '--reporter', 'junit'], { env });
    assert.equal(junit.code, 1);
    checkWellFormedXml(junit.stdout);
    assert.match(junit.stdout, /<testcase classname="dual" name="echo dual \[2026-07-28\]" time="[\d.]+"\/>/);
    assert.match(junit.stdout, /<testcase classname="dual" name="echo dual \[2025-11-25\]" time="[\d.]+"\/>/);
    assert.match(
      junit.stdout,
      /name="echo modern \[2025-11-25\]"[^>]*>\s*<error message="not run: [^"]*" type="protocol_unsupported"/,
    );
    assert.match(junit.stdout, /<testsuite name="matrix" tests="6" failures="0" errors="2"/);

    const human = await runCli(['run', suite], { env });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /^ {2}✓ echo dual \[2026-07-28\] \(\d+ ms\)$/m);
    assert.match(human.stdout, /^ {2}✓ echo dual \[2025-11-25\] \(\d+ ms\)$/m);
    assert.match(human.stdout, /^ {2}server "dual" at 2026-07-28: 2026-07-28 \(modern era\)$/m);
    assert.match(human.stdout, /^ {2}server "dual" at 2025-11-25: 2025-11-25 \(legacy era\)$/m);
    assert.equal(human.stdout.match(/^cannot use server "modern" at 2025-11-25/gm)?.length, 1);
    assert.match(human.stdout, /^4 passed, 2 failed/m);

    // --protocol replaces the matrix: one revision, plain names; --filter picks one revision.
    const pinned = await runCli(
      ['run', suite, '--reporter', 'json', '--protocol', '2025-11-25', '--filter', 'dual'],
      { env },
    );
    assert.equal(pinned.code, 0, pinned.stdout + pinned.stderr);
    const one = JSON.parse(pinned.stdout).tests;
    assert.deepEqual(
      one.map((x: JsonTest) => [x.label, x.era, x.protocolVersion]),
      [['echo dual', 'legacy', '2025-11-25']],
    );
    const filtered = await runCli(['run', suite, '--reporter', 'json', '--filter', '[2026-07-28]'], { env });
    assert.deepEqual(
      JSON.parse(filtered.stdout).tests.map((x: JsonTest) => x.label),
      ['echo modern [2026-07-28]', 'echo dual [2026-07-28]', 'echo legacy [2026-07-28]'],
    );
    const bad = await runCli(['run', suite, '--protocol', '2024-11-05'], { env });
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--protocol takes one of auto, 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26, not 2024-11-05/,
    );
  });

  it('a 2026-07-28 call of a tool with an x-mcp-header parameter carries its Mcp-Param header, with schema checks on or off', async () => {
    const server = await startEraServer('dual', { paramHeaderTool: true });
    try {
      const tests = `tests:
  - { name: regional, tool: regional_echo, arguments: { region: eu-west, text: hi }, expect: { text_contains: "eu-west: hi" } }
  - { name: wide, tool: regional_echo, arguments: { region: Zürich, text: grüezi }, expect: { text_contains: "Zürich: grüezi" } }
`;
      for (const checks of ['error', 'off']) {
        const suite = write(
          `regional-${checks}.yaml`,
          `schema_checks: ${checks}\nservers:\n  api: { url: "${server.url}", protocols: [2026-07-28, 2025-11-25] }\n${tests}`,
        );
        const before = server.requests.length;
        const run = await runCli(['run', suite, '--json'], { env });
        assert.equal(run.code, 0, run.stdout + run.stderr);
        const report = JSON.parse(run.stdout) as { summary: { passed: number } };
        assert.equal(report.summary.passed, 4);
        const modernCalls = server.requests.slice(before).filter((r) => r.mcpMethodHeader === 'tools/call');
        assert.equal(modernCalls.length, 2, 'the 2025-11-25 calls carry no standard headers');
        assert.equal(modernCalls[0].paramHeaders['mcp-param-region'], 'eu-west');
        assert.equal(
          modernCalls[1].paramHeaders['mcp-param-region'],
          `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
        );
      }
    } finally {
      await server.close();
    }
  });

  it('a refusal of our credentials in a matrix is reported once per revision, exit 3', async () => {
    const guarded = await startEraServer('dual', { bearer: (token) => token === 'good-token' });
    try {
      const suite = write(
        'guarded.yaml',
        `servers:
  api: { url: "${guarded.url}", protocols: [2026-07-28, 2025-11-25], auth: { bearer_token_env: ERA_TOKEN } }
tests:
  - { name: echo, tool: echo, arguments: { text: hi } }
  - { name: echo again, tool: echo, arguments: { text: hi } }
`,
      );
      const refused = await runCli(['run', suite], {
        env: { ...(env as NodeJS.ProcessEnv), ERA_TOKEN: 'bad-token' },
      });
      assert.equal(refused.code, 3, refused.stdout + refused.stderr);
      assert.equal(refused.stdout.match(/^auth failed for server "api" at 2026-07-28/gm)?.length, 1);
      assert.equal(refused.stdout.match(/^auth failed for server "api" at 2025-11-25/gm)?.length, 1);
      assert.match(refused.stdout, /^0 passed, 4 failed/m);
      assert.ok(!refused.stdout.includes('bad-token') && !refused.stderr.includes('bad-token'));
      const ok = await runCli(['run', suite, '--json'], {
        env: { ...(env as NodeJS.ProcessEnv), ERA_TOKEN: 'good-token' },
      });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.deepEqual(
        JSON.parse(ok.stdout).tests.map((x: JsonTest) => [x.label, x.era]),
        [
          ['echo [2026-07-28]', 'modern'],
          ['echo again [2026-07-28]', 'modern'],
          ['echo [2025-11-25]', 'legacy'],
          ['echo again [2025-11-25]', 'legacy'],
        ],
      );
      assert.ok(guarded.requests.filter((r) => r.authorized).length > 0);
    } finally {
      await guarded.close();
    }
  });

  it('auto negotiates per server over stdio, and says which era each used', async () => {
    const suite = write(
      'auto-stdio.yaml',
      `servers:
${KINDS.map((k) => `  ${k}: ${stdio(k)}`).join('\n')}
tests:
${KINDS.map((k) => `  - { name: echo ${k}, server: ${k}, tool: echo, arguments: { text: hi }, expect: { text_contains: hi } }`).join('\n')}
`,
    );
    const run = await runCli(['run', suite, '--reporter', 'json'], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const t = byLabel(JSON.parse(run.stdout));
    assert.deepEqual(
      KINDS.map((k) => [t[`echo ${k}`].protocol, t[`echo ${k}`].era, t[`echo ${k}`].protocolVersion]),
      [
        ['auto', 'modern', '2026-07-28'],
        ['auto', 'modern', '2026-07-28'],
        ['auto', 'legacy', '2025-11-25'],
      ],
    );
  });

  it('answers an elicitation, a sampling request and roots in both eras, over HTTP and stdio', async () => {
    const suite = write(
      'answers.yaml',
      `name: answers
protocols: [2026-07-28, 2025-11-25]
answers:
  roots: [file:///work/project]
servers:
  http: { url: "\${DUAL_URL}" }
  stdio: ${stdio('dual')}
tests:
${['http', 'stdio']
  .map(
    (s) => `  - name: greets ${s}
    server: ${s}
    tool: ask_name
    answers: { elicitation: { accept: { name: Ada } } }
    expect:
      text_contains: hello Ada
      asks: { kind: elicitation, message: "/your name/i" }
  - name: samples ${s}
    server: ${s}
    tool: ask_model
    answers: { sampling: { text: Green checks at dawn, model: canned-1 } }
    expect:
      text_contains: "model canned-1 said: Green checks at dawn"
      asks: [{ kind: sampling, message: haiku }]
  - name: declined ${s}
    server: ${s}
    tool: ask_name
    answers: { elicitation: decline }
    expect: { text_contains: no name (decline), asks: elicitation }
  - name: roots ${s}
    server: ${s}
    tool: ask_roots
    expect: { text_contains: "roots: file:///work/project", asks: roots }
  - name: asks nothing ${s}
    server: ${s}
    tool: echo
    arguments: { text: x }
    expect: { asks: [] }`,
  )
  .join('\n')}
`,
    );
    const run = await runCli(['run', suite, '--reporter', 'json'], { env });
    const report = JSON.parse(run.stdout);
    for (const x of report.tests as JsonTest[]) assert.equal(x.status, 'passed', JSON.stringify(x));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(report.summary.total, 20);
    const t = byLabel(report);
    for (const s of ['http', 'stdio']) {
      const modern = t[`greets ${s} [2026-07-28]`].asks ?? [];
      const legacy = t[`greets ${s} [2025-11-25]`].asks ?? [];
      assert.deepEqual(
        modern.map((a) => [a.kind, a.via, a.message, a.answered]),
        [['elicitation', 'input_required', ASK_NAME_MESSAGE, 'canned']],
      );
      assert.deepEqual(
        legacy.map((a) => [a.kind, a.via, a.message, a.answered]),
        [['elicitation', 'request', ASK_NAME_MESSAGE, 'canned']],
      );
      assert.equal(t[`samples ${s} [2026-07-28]`].asks?.[0].message, ASK_MODEL_PROMPT);
    }
  });

  it('a test without an answer fails naming what was asked, in both eras', async () => {
    const suite = write(
      'unanswered.yaml',
      `protocols: [2026-07-28, 2025-11-25]
servers:
  dual: { url: "\${DUAL_URL}" }
  dual_modern: { url: "\${DUAL_URL}", protocol: 2026-07-28 }
  legacy: { url: "\${LEGACY_URL}", protocols: [2025-11-25] }
tests:
  - { name: no answer, server: dual, tool: ask_name }
  - { name: no answer legacy, server: legacy, tool: ask_name }
  - { name: wrong ask, server: dual, tool: echo, arguments: { text: x }, expect: { asks: sampling } }
  - name: other answer
    server: dual
    tool: ask_name
    answers: { sampling: a reply }
  - { name: url, server: dual, tool: ask_url, answers: { elicitation: { accept: { name: Ada } } } }
  - { name: forever, server: dual_modern, tool: ask_forever, answers: { elicitation: { accept: { name: Ada } } } }
`,
    );
    const run = await runCli(['run', suite, '--reporter', 'json'], { env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const t = byLabel(JSON.parse(run.stdout));
    // Without an answer mcptest declares no capability for the kind, so the server cannot ask:
    // a 2026-07-28 server refuses the request (-32021), a 2025 one fails its tool. Either way
    // the test fails naming what the server wanted and the answer to add.
    for (const label of ['no answer [2026-07-28]', 'no answer [2025-11-25]', 'no answer legacy']) {
      const x = t[label];
      assert.equal(x.status, 'failed', label);
      const answers = x.failures.find((f) => f.assertion === 'answers');
      assert.ok(answers, `${label}: ${JSON.stringify(x)}`);
      assert.match(
        answers.message,
        /^the server would ask for elicitation .*and the test has no answer for it, so mcptest declared no elicitation capability .*; add to the test: answers: \{ elicitation: \{ accept: /,
      );
    }
    assert.match(t['no answer [2026-07-28]'].failures[0].message, /\(elicitation\/create\).*\(-32021\)/);
    assert.match(
      t['no answer legacy'].failures[0].message,
      /the server says "Client does not support form elicitation"/,
    );
    // An answer for another kind: the elicitation is asked (mcptest can answer something), and
    // refused by name.
    assert.match(
      t['wrong ask [2026-07-28]'].failures[0].message,
      /^expected the server to ask for sampling, it asked for nothing$/,
    );
    // A URL-mode elicitation needs a human at a browser: no suite answer serves it.
    for (const label of ['url [2026-07-28]', 'url [2025-11-25]']) {
      const x = t[label];
      assert.equal(x.status, 'failed', label);
      assert.match(
        x.failures[0]?.message ?? '',
        /^the server would ask the user to open a URL \(a URL-mode elicitation\), which a suite cannot answer/,
        `${label}: ${JSON.stringify(x)}`,
      );
    }
    // A server that keeps asking is stopped at the bound on rounds.
    assert.match(t.forever.error?.message ?? '', /kept asking for input: 8 rounds of input_required/);
    for (const label of ['other answer [2026-07-28]', 'other answer [2025-11-25]']) {
      const x = t[label];
      assert.equal(x.status, 'failed', label);
      assert.ok(
        x.failures.some((f) => f.assertion === 'answers' && /elicitation/.test(f.message)),
        `${label}: ${JSON.stringify(x)}`,
      );
    }
  });

  it('notifications after add_tool, resultType and cache hints, in both eras', async () => {
    // The dual HTTP server keeps its added tools across eras, so adding the same name again
    // announces nothing: its two eras are two server entries here, each adding its own tool.
    // A stdio server is a process per connection, so a matrix over it adds afresh each time.
    const suite = write(
      'exchange.yaml',
      `servers:
  modern: { url: "\${MODERN_URL}", protocol: 2026-07-28 }
  dual: { url: "\${DUAL_URL}", protocols: [2026-07-28, 2025-11-25] }
  dual_modern: { url: "\${DUAL_URL}", protocol: 2026-07-28 }
  dual_legacy: { url: "\${DUAL_URL}", protocol: 2025-11-25 }
  legacy: { url: "\${LEGACY_URL}" }
  stdio: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ERA_STDIO_SCRIPT)}, --era, dual], protocols: [2026-07-28, 2025-11-25] }
tests:
${['modern', 'dual_modern', 'dual_legacy', 'legacy', 'stdio']
  .map(
    (s) => `  - name: add_tool announces ${s}
    server: ${s}
    tool: add_tool
    arguments: { name: added_${s} }
    timeout_ms: 20000
    expect: { notifications: [tools/list_changed], result_type: complete }`,
  )
  .join('\n')}
  - name: cache hints
    server: modern
    list: tools
    expect: { result_type: complete, ttl_ms: { gte: 0 }, cache_scope: private, json: { "$.tools[0].name": echo } }
  - name: cache hints dual
    server: dual
    list: tools
    expect: { ttl_ms: 0, cache_scope: private }
  - name: nothing announced
    server: modern
    tool: echo
    arguments: { text: x }
    timeout_ms: 1000
    expect: { notifications: [prompts/list_changed] }
`,
    );
    const run = await runCli(['run', suite, '--reporter', 'json'], { env });
    const report = JSON.parse(run.stdout);
    const t = byLabel(report);
    for (const label of [
      'add_tool announces modern',
      'add_tool announces dual_modern',
      'add_tool announces dual_legacy',
      'add_tool announces legacy',
      'add_tool announces stdio [2026-07-28]',
      'add_tool announces stdio [2025-11-25]',
      'cache hints',
      'cache hints dual [2026-07-28]',
    ]) {
      assert.equal(t[label]?.status, 'passed', `${label}: ${JSON.stringify(t[label])}`);
    }
    assert.equal(t['add_tool announces legacy'].era, 'legacy');
    assert.equal(t['add_tool announces dual_legacy'].era, 'legacy');
    assert.equal(t['add_tool announces dual_modern'].era, 'modern');
    // A 2025-era list carries no cache hints: the same assertions fail there, saying why.
    assert.deepEqual(
      t['cache hints dual [2025-11-25]'].failures.map((f) => f.message),
      [
        'the result has no ttlMs (2025-era results carry no cache hints)',
        'expected cacheScope "private", the result has none (2025-era results carry no cache hints)',
      ],
    );
    assert.match(
      t['nothing announced'].failures[0].message,
      /^expected notifications\/prompts\/list_changed within 1 s of the action, got /,
    );
    assert.equal(run.code, 1);
    assert.equal(
      report.summary.failed,
      2,
      JSON.stringify(report.tests.filter((x: JsonTest) => x.status !== 'passed')),
    );
  });
});
