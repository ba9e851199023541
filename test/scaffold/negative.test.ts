/**
 * Input-rejection tests through the real CLI: `mcptest scaffold --negative` against the protected
 * example server (HTTP, both eras) and `@modelcontextprotocol/server-everything` (stdio), whose
 * suites then pass `mcptest run`; against the lax test server (which accepts garbage for `store`
 * and answers -32603 for `internal`), whose suite fails naming those tools, in both eras; a
 * -32602 carried by an HTTP 400 body counting as a refusal in both eras; a server that crashes
 * on garbage failing its test (not the run); the suite checks of
 * `rejects_input`; and the agent's `scaffold_suite` with `negative: true`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { startAgent } from '../helpers/agent.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { LAX_STDIO_SCRIPT, type LaxHttpServer, startLaxHttpServer } from '../helpers/lax-server.js';

const EVERYTHING = fileURLToPath(
  new URL('../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);
const ERAS = ['2026-07-28', '2025-11-25'] as const;

let idp: Idp;
let mcp: McpExampleServer;
let lax: LaxHttpServer;
let env: ReturnType<typeof isolatedEnv>;
let home: string;

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  lax = await startLaxHttpServer();
  const token = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  env = isolatedEnv({ MCP_TOKEN: token });
  home = env.MCPTEST_HOME as string;
});

after(async () => {
  await env?.cleanup();
  await lax?.close();
  await mcp?.close();
  await idp?.close();
});

interface Scaffolded {
  yaml: string;
  tests: Array<{ name: string; tool: string; kind: string; outcome: string; note?: string }>;
}

test('scaffold --negative of the protected example server: named tests that pass in both eras', async () => {
  const args = ['scaffold', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--negative'];
  const written = await runCli([...args, '--output', 'example.yaml'], { env, timeoutMs: 120_000 });
  assert.equal(written.code, 0, written.stderr);
  assert.match(written.stderr, /expecting bad input to be rejected/);
  assert.match(written.stderr, /no input-rejection test for whoami, admin_reset \(nothing to break/);
  const suite = parseYaml(fs.readFileSync(path.join(home, 'example.yaml'), 'utf8'));
  const byName = new Map(suite.tests.map((t: { name: string }) => [t.name, t]));
  assert.deepEqual(byName.get('echo rejects a missing "text"'), {
    name: 'echo rejects a missing "text"',
    tool: 'echo',
    arguments: {},
    expect: { rejects_input: true },
  });
  assert.deepEqual(byName.get('echo rejects a number for "text" (a string)'), {
    name: 'echo rejects a number for "text" (a string)',
    tool: 'echo',
    arguments: { text: 12345 },
    expect: { rejects_input: true },
  });
  // The other required argument keeps its valid value: only the one break is wrong.
  assert.deepEqual((byName.get('add rejects a missing "a"') as { arguments: unknown }).arguments, { b: 1 });
  assert.deepEqual(
    (byName.get('add rejects a string for "a" (a number)') as { arguments: unknown }).arguments,
    {
      a: 'not a number',
      b: 1,
    },
  );
  const negatives = suite.tests.filter(
    (t: { expect?: { rejects_input?: boolean } }) => t.expect?.rejects_input,
  );
  assert.equal(
    negatives.length,
    10,
    'two per tool with a typed required argument: echo, add, get_weather, fail, slow',
  );

  for (const era of ERAS) {
    const run = await runCli(['run', 'example.yaml', '--protocol', era, '--json'], {
      env,
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout);
    const rejecting = report.tests.filter((t: { name: string }) => t.name.includes(' rejects '));
    assert.equal(rejecting.length, 10);
    assert.ok(rejecting.every((t: { status: string }) => t.status === 'passed'));
    assert.ok(
      report.tests.every((t: { era: string }) => t.era === (era === '2026-07-28' ? 'modern' : 'legacy')),
    );
  }

  // --json says per tool what was generated, and why a tool got none.
  const json = await runCli([...args, '--no-call', '--json'], { env });
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as Scaffolded;
  const whoami = out.tests.find((t) => t.tool === 'whoami' && t.kind === 'negative');
  assert.deepEqual(
    { outcome: whoami?.outcome, note: whoami?.note },
    { outcome: 'none', note: 'no input-rejection test: its inputSchema has no properties' },
  );
  const echo = out.tests.filter((t) => t.tool === 'echo' && t.kind === 'negative');
  assert.deepEqual(
    echo.map((t) => [t.name, t.outcome]),
    [
      ['echo rejects a missing "text"', 'not_called'],
      ['echo rejects a number for "text" (a string)', 'not_called'],
    ],
  );
});

test('scaffold --negative of server-everything over stdio: its rejections pass', async () => {
  const flags = ['--command', process.execPath, '--arg', EVERYTHING, '--arg', 'stdio'];
  const written = await runCli(
    ['scaffold', ...flags, '--negative', '--no-call', '--json', '--output', 'ev.yaml'],
    {
      env,
      timeoutMs: 120_000,
    },
  );
  assert.equal(written.code, 0, written.stderr);
  const out = JSON.parse(written.stdout) as Scaffolded;
  assert.ok(out.tests.some((t) => t.name === 'get-sum rejects a missing "a"'));
  assert.ok(out.tests.some((t) => t.name === 'echo rejects a number for "message" (a string)'));
  assert.equal(out.tests.find((t) => t.tool === 'get-env' && t.kind === 'negative')?.outcome, 'none');
  // Only the input-rejection tests: the --no-call success tests are not what is checked here.
  const run = await runCli(['run', 'ev.yaml', '--filter', ' rejects ', '--json'], {
    env,
    timeoutMs: 120_000,
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = JSON.parse(run.stdout);
  assert.ok(report.summary.total >= 10, `${report.summary.total} input-rejection tests`);
  assert.equal(report.summary.passed, report.summary.total);
});

test('a server that accepts garbage fails the scaffolded suite, named, in both eras', async () => {
  const flags = ['--command', process.execPath, '--arg', LAX_STDIO_SCRIPT];
  const written = await runCli(['scaffold', ...flags, '--negative', '--output', 'lax.yaml'], { env });
  assert.equal(written.code, 0, written.stderr);
  for (const era of ERAS) {
    const run = await runCli(['run', 'lax.yaml', '--protocol', era], { env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`server "mcptest-lax" at ${era}: ${era}`));
    // echo (a tool error), add and gate (-32602) refuse: their tests pass.
    for (const tool of ['echo', 'add', 'gate']) {
      assert.match(run.stdout, new RegExp(`✓ ${tool} rejects a missing "`));
      assert.match(run.stdout, new RegExp(`✓ ${tool} rejects a (number|string) for `));
    }
    assert.match(
      run.stdout,
      /✗ store rejects a missing "key".*\n\s+rejects_input: server "mcptest-lax" accepted garbage for tool "store": the arguments \{"count":1\} break its inputSchema, yet it answered a success/,
    );
    assert.match(run.stdout, /✗ store rejects a number for "key" \(a string\)/);
    assert.match(
      run.stdout,
      /✗ internal rejects a missing "text".*\n\s+rejects_input: server "mcptest-lax" answered bad arguments for tool "internal" with JSON-RPC error -32603: "something broke inside"/,
    );
    assert.match(run.stdout, /12 passed, 4 failed/);
  }
});

test('over HTTP a -32602 in the body of an HTTP 400 is a refusal, in both eras; a success is not', async () => {
  const suite = `servers:
  lax:
    url: ${lax.url}
    protocols: [2026-07-28, 2025-11-25]
tests:
  - name: gate refuses over HTTP
    tool: gate
    arguments: { text: 7 }
    expect: { rejects_input: true, text_contains: "-32602" }
  - name: add refuses with -32602
    tool: add
    arguments: { a: one }
    expect: { rejects_input: true, text_matches: "numbers" }
  - name: store accepts garbage
    tool: store
    arguments: { key: [] }
    expect: { rejects_input: true }
`;
  fs.writeFileSync(path.join(home, 'http.yaml'), suite);
  const before = lax.gateRefusals;
  const run = await runCli(['run', 'http.yaml', '--json'], { env });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(lax.gateRefusals - before, 2, 'the front answered HTTP 400 once per era');
  const report = JSON.parse(run.stdout);
  const status = Object.fromEntries(
    report.tests.map((t: { label: string; status: string }) => [t.label, t.status]),
  );
  assert.deepEqual(status, {
    'gate refuses over HTTP [2026-07-28]': 'passed',
    'gate refuses over HTTP [2025-11-25]': 'passed',
    'add refuses with -32602 [2026-07-28]': 'passed',
    'add refuses with -32602 [2025-11-25]': 'passed',
    'store accepts garbage [2026-07-28]': 'failed',
    'store accepts garbage [2025-11-25]': 'failed',
  });
  for (const t of report.tests.filter((r: { status: string }) => r.status === 'failed')) {
    assert.equal(t.error, null, 'an assertion failure, not an error of the run');
    assert.equal(t.failures[0].assertion, 'rejects_input');
    assert.match(t.failures[0].message, /^server "lax" accepted garbage for tool "store"/);
  }
});

test('a server that crashes on garbage fails the test, named, not the run', async () => {
  fs.writeFileSync(
    path.join(home, 'crash.yaml'),
    `servers:
  lax:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(LAX_STDIO_SCRIPT)}, --crash]
tests:
  - { name: crash rejects a number, tool: crash, arguments: { text: 1 }, expect: { rejects_input: true } }
`,
  );
  const run = await runCli(['run', 'crash.yaml', '--json'], { env });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const [result] = JSON.parse(run.stdout).tests;
  assert.equal(result.status, 'failed');
  assert.equal(result.error, null, 'an assertion failure naming the tool, not an error of the run');
  assert.equal(result.failures[0].assertion, 'rejects_input');
  assert.match(
    result.failures[0].message,
    /^server "lax" did not refuse bad arguments for tool "crash" properly: the call failed \(\w+: .+\); a server should answer a tool error or JSON-RPC -32602/,
  );
});

test('rejects_input is checked in the suite: with tool only, never beside is_error', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{ name: p, prompt: review_code, expect: { rejects_input: true } }', /rejects_input checks a tool call/],
    ['{ name: e, tool: echo, expect: { rejects_input: true, is_error: true } }', /drop is_error/],
    ['{ name: o, tool: echo, expect: { rejects_input: true, output_schema: true } }', /drop output_schema/],
    ['{ name: y, tool: echo, expect: { rejects_input: yes } }', /rejects_input/],
  ];
  for (const [line, message] of cases) {
    fs.writeFileSync(
      path.join(home, 'bad.yaml'),
      `servers:\n  s: { command: ${JSON.stringify(process.execPath)} }\ntests:\n  - ${line}\n`,
    );
    const run = await runCli(['run', 'bad.yaml'], { env });
    assert.equal(run.code, 2, `${line}: ${run.stderr}`);
    assert.match(run.stderr, message, line);
    assert.match(run.stderr, /bad\.yaml:\d+:\d+/, 'with its line and column');
  }
});

test('the agent verb scaffold_suite takes negative: true', async () => {
  const agent = await startAgent(env, { cwd: home });
  try {
    const res = (await agent.callTool(
      {
        name: 'scaffold_suite',
        arguments: { command: process.execPath, args: [LAX_STDIO_SCRIPT], negative: true, call: false },
      },
      undefined,
      { timeout: 90_000 },
    )) as unknown as { isError?: boolean; structuredContent: Scaffolded & { ok: boolean } };
    assert.notEqual(res.isError, true, JSON.stringify(res));
    const out = res.structuredContent;
    const store = out.tests.filter((t) => t.tool === 'store' && t.kind === 'negative').map((t) => t.name);
    assert.deepEqual(store, ['store rejects a missing "key"', 'store rejects a number for "key" (a string)']);
    assert.match(out.yaml, /rejects_input: true/);
  } finally {
    await agent.close();
  }
});
