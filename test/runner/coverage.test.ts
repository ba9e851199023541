/**
 * `mcptest run --coverage` and `--min-coverage` as processes, against the real example server
 * (stdio, a protocol matrix of both eras), the lax test server (tools only: no 0/0 prompts or
 * resources) and `@modelcontextprotocol/server-everything` (resource templates, a long tool
 * list): the numbers and untested names in the human, JSON and JUnit reports, what counts as
 * exercised (a failed call does, a rejects_input call and tool_present do not), thresholds
 * passing and failing with their exit codes, and a bad threshold.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { LAX_STDIO_SCRIPT } from '../helpers/lax-server.js';
import { checkWellFormedXml } from './xml-well-formed.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));
const EVERYTHING = fileURLToPath(
  new URL('../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);
const node = JSON.stringify(process.execPath);

const SUITE = `name: coverage
servers:
  example:
    command: ${node}
    args: [${JSON.stringify(EXAMPLE)}]
    protocols: [2026-07-28, 2025-11-25]
  lax:
    command: ${node}
    args: [${JSON.stringify(LAX_STDIO_SCRIPT)}]
tests:
  - { name: echo, server: example, tool: echo, arguments: { text: hi }, expect: { text_contains: hi } }
  - { name: add fails but is exercised, server: example, tool: add, arguments: { a: 1, b: 2 }, expect: { text_contains: "4" } }
  - { name: weather rejects garbage, server: example, tool: get_weather, arguments: {}, expect: { rejects_input: true } }
  - { name: slow is listed, server: example, tool_present: slow }
  - { name: review, server: example, prompt: review_code, arguments: { code: x } }
  - { name: cities, server: example, resource: "example://weather/cities" }
  - { name: lax echo, server: lax, tool: echo, arguments: { text: hi } }
`;

const EVERYTHING_SUITE = `name: everything
servers:
  ev:
    command: ${node}
    args: [${JSON.stringify(EVERYTHING)}, stdio]
tests:
  - { name: echo, tool: echo, arguments: { message: hi } }
  - { name: dynamic text, resource: "demo://resource/dynamic/text/1" }
  - { name: a document, resource: "demo://resource/static/document/features.md" }
`;

let env: ReturnType<typeof isolatedEnv>;
let home: string;

before(() => {
  env = isolatedEnv();
  home = env.MCPTEST_HOME as string;
  fs.writeFileSync(path.join(home, 'suite.yaml'), SUITE);
  fs.writeFileSync(path.join(home, 'everything.yaml'), EVERYTHING_SUITE);
});

after(async () => {
  await env?.cleanup();
});

test('--coverage in the human report: per server and kind, untested names, kinds not offered', async () => {
  const run = await runCli(['run', 'suite.yaml', '--coverage'], { env, timeoutMs: 120_000 });
  // The add test fails (3 is not 4) at both revisions: coverage alone never changes the exit code.
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /11 passed, 2 failed/);
  const block = run.stdout.slice(run.stdout.indexOf('coverage of server'));
  assert.equal(
    block,
    [
      'coverage of server "example" (listed at 2026-07-28):',
      '  tools 2/7 (28%): untested get_weather, fail, slow, whoami, admin_reset',
      '  prompts 1/1 (100%)',
      '  resources 1/2 (50%): untested example://images/pixel.png',
      '  resource templates: none listed',
      'coverage of server "lax" (listed at 2026-07-28):',
      '  tools 1/5 (20%): untested add, gate, store, internal',
      '  not offered: prompts, resources, resource templates',
      '',
    ].join('\n'),
  );
  const plain = await runCli(['run', 'suite.yaml'], { env, timeoutMs: 120_000 });
  assert.doesNotMatch(plain.stdout, /coverage of/, 'no coverage unless asked for');
});

test('--coverage in the JSON report: a coverage object with counts, percentages and names', async () => {
  const run = await runCli(['run', 'suite.yaml', '--coverage', '--json'], { env, timeoutMs: 120_000 });
  assert.equal(run.code, 1, run.stderr);
  const { coverage } = JSON.parse(run.stdout);
  assert.equal(coverage.thresholds, null);
  assert.equal(coverage.passed, true);
  const [example, lax] = coverage.servers;
  assert.equal(example.server, 'example');
  assert.equal(example.listedAt, '2026-07-28');
  assert.deepEqual(example.kinds.tools, {
    offered: 7,
    tested: 2,
    percent: (2 / 7) * 100,
    exercised: ['echo', 'add'],
    untested: ['get_weather', 'fail', 'slow', 'whoami', 'admin_reset'],
  });
  assert.deepEqual(example.kinds.prompts, {
    offered: 1,
    tested: 1,
    percent: 100,
    exercised: ['review_code'],
    untested: [],
  });
  assert.equal(example.kinds.resources.tested, 1);
  assert.deepEqual(example.kinds.resource_templates, {
    offered: 0,
    tested: 0,
    percent: null,
    exercised: [],
    untested: [],
  });
  assert.deepEqual(Object.keys(lax.kinds), ['tools'], 'a server without prompts or resources has no 0/0');
  assert.equal(lax.kinds.tools.tested, 1);
  assert.equal(lax.error, null);
  assert.equal(lax.listedAt, '2026-07-28', 'the version its auto connection negotiated');
});

test('resource templates count the resources read through them; a long list is cut', async () => {
  const run = await runCli(['run', 'everything.yaml', '--coverage'], { env, timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /tools 1\/13 \(7%\): untested get-annotated-message, get-env, (\S+, ){7}\S+, … and 2 more\n/,
  );
  assert.match(
    run.stdout,
    /resources 1\/7 \(14%\): untested demo:\/\/resource\/static\/document\/architecture\.md, /,
  );
  assert.match(
    run.stdout,
    /resource templates 1\/2 \(50%\): untested demo:\/\/resource\/dynamic\/blob\/\{resourceId\}\n/,
  );
  assert.match(run.stdout, /prompts 0\/4 \(0%\): untested simple-prompt, args-prompt/);
});

test('--min-coverage: met exits 0, missed exits 1 naming each shortfall; kinds not offered never fail', async () => {
  const green = `name: green
servers:
  lax:
    command: ${node}
    args: [${JSON.stringify(LAX_STDIO_SCRIPT)}]
tests:
  - { name: echo, tool: echo, arguments: { text: hi } }
  - { name: add, tool: add, arguments: { a: 1, b: 2 } }
`;
  fs.writeFileSync(path.join(home, 'green.yaml'), green);
  const met = await runCli(['run', 'green.yaml', '--min-coverage', 'tools=40,prompts=100'], { env });
  assert.equal(met.code, 0, met.stdout + met.stderr);
  assert.match(met.stdout, /tools 2\/5 \(40%\)/);
  assert.match(met.stdout, /coverage meets --min-coverage tools=40,prompts=100\n/);

  const missed = await runCli(['run', 'green.yaml', '--min-coverage', '50'], { env });
  assert.equal(missed.code, 1, 'every test passed, but coverage is below the threshold');
  assert.match(missed.stdout, /2 passed, 0 failed/);
  assert.match(
    missed.stdout,
    /coverage below --min-coverage tools=50,prompts=50,resources=50,resource_templates=50:\n {2}server "lax": tools 2\/5 \(40%\) is below 50%\n/,
  );

  // Machine reports: the JSON says it, and stderr still tells the console why the run failed.
  const json = await runCli(['run', 'green.yaml', '--min-coverage', 'tools=50', '--json'], { env });
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.exitCode, 1);
  assert.equal(report.coverage.passed, false);
  assert.deepEqual(report.coverage.thresholds, { tools: 50 });
  assert.deepEqual(report.coverage.shortfalls, ['server "lax": tools 2/5 (40%) is below 50%']);
  assert.match(
    json.stderr,
    /green\.yaml: coverage below --min-coverage:\n {2}server "lax": tools 2\/5 \(40%\) is below 50%/,
  );
});

test('--coverage in JUnit: properties per server and kind, and a failing coverage testcase under a threshold', async () => {
  const run = await runCli(
    ['run', 'suite.yaml', '--reporter', 'junit', '--min-coverage', 'tools=25,resources=50'],
    { env, timeoutMs: 120_000 },
  );
  assert.equal(run.code, 1, run.stderr);
  const xml = run.stdout;
  const elements = checkWellFormedXml(xml); // throws when the XML is not well formed
  assert.equal(elements.filter((e) => e === 'properties').length, 1);
  assert.equal(elements.filter((e) => e === 'property').length, 8);
  assert.match(xml, /<property name="coverage\.example\.tools" value="2\/7 \(28%\)"\/>/);
  assert.match(
    xml,
    /<property name="coverage\.example\.tools\.untested" value="get_weather, fail, slow, whoami, admin_reset"\/>/,
  );
  assert.match(xml, /<property name="coverage\.example\.prompts" value="1\/1 \(100%\)"\/>/);
  assert.match(
    xml,
    /<property name="coverage\.example\.resource_templates" value="none listed"\/>/,
    'a kind listed empty is not 0/0',
  );
  assert.match(xml, /<property name="coverage\.lax\.tools" value="1\/5 \(20%\)"\/>/);
  assert.doesNotMatch(xml, /coverage\.lax\.prompts/);
  // example meets both thresholds; lax misses tools (and offers no resources).
  assert.match(xml, /<testcase classname="example" name="coverage" time="0\.000"\/>/);
  assert.match(
    xml,
    /<testcase classname="lax" name="coverage" time="0\.000">\n\s+<failure message="coverage below --min-coverage: server &quot;lax&quot;: tools 1\/5 \(20%\) is below 25%" type="coverage">/,
  );
  // 13 tests and 2 coverage testcases; the add test (at both revisions) and the lax coverage fail.
  assert.match(xml, /<testsuite name="coverage" tests="15" failures="3" errors="0" skipped="0"/);
});

test('a bad --min-coverage is a usage error with a hint', async () => {
  for (const spec of ['tools=120', 'tool=50', 'lots']) {
    const run = await runCli(['run', 'suite.yaml', '--min-coverage', spec], { env });
    assert.equal(run.code, 2, `${spec}: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`--min-coverage ${spec}: `));
    assert.match(run.stderr, /hint: mcptest run suite\.yaml --min-coverage tools=80,prompts=50/);
  }
});
