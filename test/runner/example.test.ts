/**
 * `npm run example`'s script (dist/examples/run-example.js) as a process: starts the example
 * IdP and MCP server, runs the real CLI on examples/suites/example.yaml, stops its daemon.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { runNode } from '../helpers/cli.js';

const SCRIPT = fileURLToPath(new URL('../../examples/run-example.js', import.meta.url));

function run(args: string[]) {
  return runNode(SCRIPT, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    timeoutMs: 50_000,
  });
}

const SUITES = fileURLToPath(new URL('../../../examples/suites/', import.meta.url));

describe('npm run example', () => {
  it('the example suites bound no latency a loaded machine breaks (the 32-run test uses them)', () => {
    for (const file of fs.readdirSync(SUITES).filter((f) => f.endsWith('.yaml'))) {
      const suite = parseYaml(fs.readFileSync(`${SUITES}${file}`, 'utf8'));
      for (const t of suite.tests ?? []) {
        const bound = t.expect?.max_latency_ms;
        assert.ok(bound === undefined || bound >= 60_000, `${file}: "${t.name}" has max_latency_ms ${bound}`);
      }
    }
  });

  it('runs the example suite against the example servers and exits 0', async () => {
    const res = await run([]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /mcptest run .*examples\/suites\/example\.yaml \(9 tests\)/);
    assert.equal(res.stdout.match(/✓/g)?.length, 9);
    assert.match(res.stdout, /^9 passed, 0 failed/m);
    const home = /private MCPTEST_HOME (\S+)/.exec(res.stderr)?.[1];
    assert.ok(home, res.stderr);
    assert.equal(fs.existsSync(home), false, 'the private home was not removed');
  });

  it('passes extra arguments to mcptest run', async () => {
    const res = await run(['--reporter', 'junit', '--filter', 'echo']);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /<testsuite name="example" tests="2" failures="0"/);
  });
});
