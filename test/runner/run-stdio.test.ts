/**
 * `mcptest run` as a process against the real example MCP server over stdio: every assertion
 * kind passing and failing, the three reporters, --filter, --bail, --concurrency, --output,
 * exit codes and `mcptest schema`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { checkWellFormedXml } from './xml-well-formed.js';

const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

const SUITE = `name: stdio assertions
servers:
  local:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(STDIO_SERVER)}]
tests:
  - name: pass is_error
    tool: fail
    arguments: { message: boom }
    expect: { is_error: true }
  - name: fail is_error
    tool: echo
    arguments: { text: ok }
    expect: { is_error: true }
  - name: fail implicit success
    tool: fail
    arguments: { message: boom }
  - name: pass text_contains
    tool: echo
    arguments: { text: hello world }
    expect: { text_contains: [hello, world] }
  - name: fail text_contains
    tool: echo
    arguments: { text: hello }
    expect: { text_contains: bye }
  - name: pass text_matches
    tool: echo
    arguments: { text: hello }
    expect: { text_matches: "^h.l+o$" }
  - name: fail text_matches
    tool: echo
    arguments: { text: hello }
    expect: { text_matches: "^x" }
  - name: pass json
    tool: get_weather
    arguments: { city: Tokyo }
    expect:
      json:
        "$.sum": { exists: false }
        "$.city": Tokyo
        "$.temperatureC": { gte: 22, lt: 23, type: number }
        "$.conditions": { matches: "^cl", length: 5, ne: rain }
  - name: fail json
    tool: add
    arguments: { a: 2, b: 3 }
    expect: { json: { "$.sum": 6, "$.missing": { exists: true } } }
  - name: pass json from text
    tool: echo
    arguments: { text: '{"items":[{"id":7}]}' }
    expect: { json: { "$.items[0].id": 7, "$.items": { length: 1 } } }
  - name: pass output_schema
    tool: add
    arguments: { a: 1, b: 1 }
    expect: { output_schema: true }
  - name: fail output_schema
    tool: echo
    arguments: { text: x }
    expect: { output_schema: true }
  - name: pass max_latency_ms
    tool: echo
    arguments: { text: x }
    expect: { max_latency_ms: 60000 }
  - name: fail max_latency_ms
    tool: slow
    arguments: { ms: 300 }
    expect: { max_latency_ms: 50 }
  - name: pass tool_present
    tool_present: admin_reset
  - name: fail tool_present
    tool_present: nope
  - name: pass tool_absent
    tool_absent: nope
  - name: fail tool_absent
    tool_absent: echo
  - name: fail unknown tool
    tool: does_not_exist
`;

describe('mcptest run over stdio', () => {
  let env: ReturnType<typeof isolatedEnv>;
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  before(() => {
    env = isolatedEnv();
    dir = env.MCPTEST_HOME as string;
    write('suite.yaml', SUITE);
  });
  after(async () => {
    await env.cleanup();
  });

  it('passes and fails each assertion kind, with a stable JSON report', async () => {
    const run = await runCli(['run', 'suite.yaml', '--reporter', 'json'], { env });
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.version, 1);
    assert.deepEqual(Object.keys(report).sort(), [
      'durationMs',
      'exitCode',
      'servers',
      'startedAt',
      'suite',
      'summary',
      'tests',
      'version',
    ]);
    assert.deepEqual(report.suite, { name: 'stdio assertions', file: 'suite.yaml' });
    assert.equal(report.exitCode, 1);
    for (const t of report.tests) {
      const want = t.name.startsWith('pass') ? 'passed' : 'failed';
      assert.equal(t.status, want, `${t.name}: ${JSON.stringify(t)}`);
      assert.equal(typeof t.durationMs, 'number');
      if (want === 'failed') assert.ok(t.failures.length > 0 || t.error, t.name);
    }
    assert.deepEqual(report.summary, { total: 19, passed: 9, failed: 10, skipped: 0 });
    const byName = Object.fromEntries(report.tests.map((t: any) => [t.name, t]));
    assert.match(byName['fail json'].failures[0].message, /expected 6, got 5/);
    assert.equal(byName['fail json'].failures[1].assertion, 'json $.missing');
    assert.match(byName['fail output_schema'].failures[0].message, /declares no outputSchema/);
    assert.match(byName['fail max_latency_ms'].failures[0].message, /more than 50 ms/);
    assert.match(byName['fail implicit success'].failures[0].message, /expected success/);
    // The SDK 1.x answered an unknown tool with an isError result; the dual-era SDK 2.x example
    // answers it as the spec says, with a JSON-RPC error (-32602) naming the tool.
    assert.equal(byName['fail unknown tool'].error.details.rpcCode, -32602);
    assert.match(byName['fail unknown tool'].error.message, /JSON-RPC error: .*does_not_exist/);
    assert.deepEqual(report.servers[0].connected, true);
  });

  it('prompt and resource tests: prompts/get and resources/read checked with the same assertions', async () => {
    write(
      'prompts-resources.yaml',
      `servers:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }
tests:
  - name: pass prompt text
    prompt: review_code
    arguments: { code: "let x = 1", language: TypeScript }
    expect: { text_contains: ["review this TypeScript", "let x = 1"], max_latency_ms: 60000 }
  - name: pass resource json
    resource: example://weather/cities
    expect: { json: { "$.cities": { contains: paris, length: 3 } } }
  - name: fail prompt text
    prompt: review_code
    arguments: { code: "x" }
    expect: { text_matches: "^Python" }
  - name: fail unknown prompt
    prompt: no_such_prompt
  - name: fail unknown resource
    resource: example://nothing/here
`,
    );
    const run = await runCli(['run', 'prompts-resources.yaml', '--reporter', 'json'], { env });
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    const byName = Object.fromEntries(report.tests.map((t: any) => [t.name, t]));
    for (const t of report.tests) {
      assert.equal(
        t.status,
        t.name.startsWith('pass') ? 'passed' : 'failed',
        `${t.name}: ${JSON.stringify(t)}`,
      );
    }
    assert.equal(byName['pass prompt text'].kind, 'prompt');
    assert.equal(byName['pass prompt text'].tool, 'review_code');
    assert.equal(byName['pass resource json'].kind, 'resource');
    assert.equal(byName['pass resource json'].tool, 'example://weather/cities');
    assert.equal(byName['fail prompt text'].failures[0].assertion, 'text_matches');
    assert.match(byName['fail prompt text'].failures[0].message, /Please review this code/);
    assert.match(byName['fail unknown prompt'].error.message, /no_such_prompt/);
    assert.match(byName['fail unknown resource'].error.message, /example:\/\/nothing\/here/);

    write(
      'bad-prompt.yaml',
      `servers:
  local: { command: node }
tests:
  - name: numbers are not prompt arguments
    prompt: review_code
    arguments: { code: 3 }
  - name: resources take no arguments
    resource: example://weather/cities
    arguments: { a: "1" }
`,
    );
    const bad = await runCli(['run', 'bad-prompt.yaml'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad-prompt\.yaml:\d+:\d+: .*prompt arguments are strings/);
  });

  it('several suites run in turn: one report per suite, one exit code, every suite checked first', async () => {
    const server = `servers:\n  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }\n`;
    write(
      'many-a.yaml',
      `name: alpha\n${server}tests:\n  - { name: a echoes, tool: echo, arguments: { text: a } }\n  - { name: a lists echo, tool_present: echo }\n`,
    );
    write(
      'many-b.yaml',
      `name: beta\n${server}tests:\n  - { name: b fails, tool: echo, arguments: { text: b }, expect: { text_contains: zzz } }\n`,
    );
    const human = await runCli(['run', 'many-a.yaml', 'many-b.yaml'], { env });
    assert.equal(human.code, 1, human.stdout + human.stderr);
    assert.match(human.stdout, /mcptest run many-a\.yaml \(2 tests\)[\s\S]*^2 passed, 0 failed/m);
    assert.match(human.stdout, /mcptest run many-b\.yaml \(1 test\)[\s\S]*^0 passed, 1 failed/m);
    assert.match(human.stdout, /^all suites: 2 passed, 1 failed in 2 suites \(\d+\.\d s\)$/m);

    const junit = await runCli(['run', 'many-a.yaml', 'many-b.yaml', '--reporter', 'junit'], { env });
    const elements = checkWellFormedXml(junit.stdout);
    assert.equal(elements.filter((e) => e === 'testsuite').length, 2);
    assert.match(junit.stdout, /<testsuites name="mcptest" tests="3" failures="1" errors="0" skipped="0"/);

    const json = await runCli(['run', 'many-a.yaml', 'many-b.yaml', '--reporter', 'json'], { env });
    const combined = JSON.parse(json.stdout);
    assert.deepEqual(
      combined.suites.map((r: { suite: { name: string } }) => r.suite.name),
      ['alpha', 'beta'],
    );
    assert.deepEqual(combined.summary, { total: 3, passed: 2, failed: 1, skipped: 0 });
    assert.equal(combined.exitCode, 1);

    // --filter leaves out a suite with no match; one suite left gives the one-suite shape.
    const filtered = await runCli(
      ['run', 'many-a.yaml', 'many-b.yaml', '--filter', 'echoes', '--reporter', 'json'],
      {
        env,
      },
    );
    assert.equal(filtered.code, 0, filtered.stdout + filtered.stderr);
    assert.equal(JSON.parse(filtered.stdout).suite.name, 'alpha');

    // --bail stops after the failing suite and names the ones that never ran.
    const bailed = await runCli(['run', 'many-b.yaml', 'many-a.yaml', '--bail'], { env });
    assert.equal(bailed.code, 1);
    assert.match(
      bailed.stderr,
      /^--bail: stopped after a failure in \S*many-b\.yaml; not run: \S*many-a\.yaml$/m,
    );
    const bailedJson = await runCli(['run', 'many-b.yaml', 'many-a.yaml', '--bail', '--reporter', 'json'], {
      env,
    });
    const bailedReport = JSON.parse(bailedJson.stdout);
    assert.equal(bailedReport.suites.length, 1);
    assert.equal(bailedReport.notRun.length, 1);
    assert.match(bailedReport.notRun[0], /many-a\.yaml$/);
    const one = await runCli(['run', 'many-b.yaml', '--filter', 'zzz'], { env });
    assert.match(one.stderr, /\(1 test in all\)/);

    write('many-bad.yaml', `${server}tests:\n  - { name: x, tool: echo, expct: {} }\n`);
    const bad = await runCli(['run', 'many-a.yaml', 'many-bad.yaml'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /many-bad\.yaml:\d+:\d+: .*expct/);
    assert.doesNotMatch(bad.stdout, /a echoes/, 'nothing ran before every suite was checked');
  });

  it('prints a progress line per test and the summary line (human reporter)', async () => {
    const run = await runCli(['run', 'suite.yaml', '--filter', 'pass '], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout.match(/✓/g)?.length, 9);
    assert.match(run.stdout, /^9 passed, 0 failed \(\d+\.\d s\)$/m);
    assert.ok(!run.stdout.includes('\x1b['), 'no colour when NO_COLOR is set and stdout is a pipe');
  });

  it('writes well-formed JUnit XML to --output and a summary to stderr', async () => {
    const run = await runCli(['run', 'suite.yaml', '--reporter', 'junit', '--output', 'out/junit.xml'], {
      env,
    });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /out\/junit\.xml: 9 passed, 10 failed/);
    const xml = fs.readFileSync(path.join(dir, 'out/junit.xml'), 'utf8');
    const elements = checkWellFormedXml(xml);
    assert.equal(elements.filter((e) => e === 'testcase').length, 19);
    // The unknown tool is a JSON-RPC error from the server, so an <error>, not a <failure>.
    assert.equal(elements.filter((e) => e === 'failure').length, 9);
    assert.equal(elements.filter((e) => e === 'error').length, 1);
    assert.match(xml, /<testsuite name="stdio assertions" tests="19" failures="9" errors="1" skipped="0"/);
  });

  it('filters by /regex/, stops at the first failure with --bail', async () => {
    const re = await runCli(['run', 'suite.yaml', '--reporter', 'json', '--filter', '/^pass (json|tool_)/'], {
      env,
    });
    assert.equal(re.code, 0, re.stderr);
    assert.deepEqual(
      JSON.parse(re.stdout).tests.map((t: any) => t.name),
      ['pass json', 'pass json from text', 'pass tool_present', 'pass tool_absent'],
    );
    const bail = await runCli(['run', 'suite.yaml', '--reporter', 'json', '--bail', '--concurrency', '1'], {
      env,
    });
    assert.equal(bail.code, 1);
    const report = JSON.parse(bail.stdout);
    assert.deepEqual(report.tests.map((t: any) => t.status).slice(0, 3), ['passed', 'failed', 'skipped']);
    assert.deepEqual(report.summary, { total: 19, passed: 1, failed: 1, skipped: 17 });
    const none = await runCli(['run', 'suite.yaml', '--filter', 'zzz'], { env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no test in suite\.yaml matches --filter zzz/);
  });

  it('runs tests in parallel with --concurrency, sharing one connection', async () => {
    const slow = write(
      'slow.yaml',
      `servers:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }
tests:
${[1, 2, 3, 4].map((i) => `  - { name: slow ${i}, tool: slow, arguments: { ms: 600 } }`).join('\n')}
`,
    );
    // Overlap, not speed: run one after another, the tests take at least the sum of their
    // durations; run in parallel, less than that sum, however slow the machine.
    const timed = async (n: string) => {
      const run = await runCli(['run', slow, '--reporter', 'json', '--concurrency', n], { env });
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout);
      const sum = r.tests.reduce((t: number, x: { durationMs: number }) => t + x.durationMs, 0);
      return { wall: r.durationMs - r.servers[0].connectMs, sum };
    };
    const parallel = await timed('4');
    const serial = await timed('1');
    assert.ok(serial.wall >= 2400, `serial took ${serial.wall} ms`);
    assert.ok(serial.wall >= serial.sum - 50, `serial: ${serial.wall} ms for ${serial.sum} ms of tests`);
    assert.ok(parallel.sum >= 2400, `each slow test took its 600 ms (${parallel.sum} ms in all)`);
    assert.ok(
      parallel.wall < parallel.sum - 1000,
      `parallel: ${parallel.wall} ms for ${parallel.sum} ms of tests (they overlapped)`,
    );
  });

  it('exits 2 for an invalid suite or flag, naming file, line and column', async () => {
    write('bad.yaml', SUITE.replace('    expect: { is_error: true }\n', '    expct: { is_error: true }\n'));
    const bad = await runCli(['run', 'bad.yaml'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: bad\.yaml:10:5: unknown key "expct" in tests\[0\]/);
    const flag = await runCli(['run', 'suite.yaml', '--reporter', 'xml'], { env });
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown reporter "xml"/);
    const missing = await runCli(['run', 'nope.yaml'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read suite file nope\.yaml: ENOENT/);
    const timeout = await runCli(['run', 'suite.yaml', '--timeout', '0'], { env });
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /--timeout takes seconds from 0\.001 to 3600, not 0/);
  });

  it('--timeout is in seconds, as for every command: 0.3 fails a 600 ms call, 5 passes it', async () => {
    const one = write(
      'one-slow.yaml',
      `servers:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }
tests:
  - { name: slow, tool: slow, arguments: { ms: 600 } }
`,
    );
    const short = await runCli(['run', one, '--reporter', 'json', '--timeout', '0.3'], { env });
    assert.equal(short.code, 1, short.stderr);
    const failed = JSON.parse(short.stdout).tests[0];
    assert.equal(failed.status, 'failed');
    assert.match(JSON.stringify(failed), /time/i);
    const long = await runCli(['run', one, '--reporter', 'json', '--timeout', '5'], { env });
    assert.equal(long.code, 0, long.stdout);
  });

  it('a whole command line in command: or --command is split into words, as a shell would', async () => {
    const line = `${JSON.stringify(process.execPath)} '${STDIO_SERVER}'`;
    const suite = write(
      'command-line.yaml',
      `servers:
  local: { command: ${JSON.stringify(line)} }
tests:
  - { name: echo, tool: echo, arguments: { text: split }, expect: { text_contains: split } }
`,
    );
    const run = await runCli(['run', suite, '--reporter', 'json'], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(JSON.parse(run.stdout).tests[0].status, 'passed');
    const tools = await runCli(['tools', '--command', line, '--json'], { env });
    assert.equal(tools.code, 0, tools.stderr);
    assert.ok(JSON.parse(tools.stdout).tools.some((t: { name: string }) => t.name === 'echo'));
    const unclosed = await runCli(['tools', '--command', `node '${STDIO_SERVER}`], { env });
    assert.equal(unclosed.code, 2);
    assert.match(unclosed.stderr, /unclosed ' quote/);
    assert.match(unclosed.stderr, /hint: close the quote, or give the program and each argument apart/);
  });

  it('mcptest schema prints the JSON Schema and writes it with --output', async () => {
    const out = await runCli(['schema'], { env });
    assert.equal(out.code, 0);
    const schema = JSON.parse(out.stdout);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema.required.sort(), ['servers', 'tests']);
    const file = await runCli(['schema', '--output', 'suite.schema.json'], { env });
    assert.equal(file.code, 0);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'suite.schema.json'), 'utf8')), schema);
    const help = await runCli(['run', '--help'], { env });
    assert.match(help.stdout, /Examples:\n {2}mcptest run suite\.yaml/);
  });
});
