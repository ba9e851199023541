/**
 * The MCP conformance suite (@modelcontextprotocol/conformance, client mode) with mcptest as the
 * client: the auth suite, the 2025-03-26 backcompat and draft scenarios, and the
 * client-credentials scenarios (basic and JWT). Every check must pass.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function conformance(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['scripts/conformance/run.sh', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

function totals(out: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const m of out.matchAll(/^Total: (\d+) passed, (\d+) failed/gm)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  return { passed, failed };
}

function failingScenarios(out: string): string[] {
  return [...out.matchAll(/^✗ (\S+)/gm)].map((m) => m[1]);
}

for (const suite of ['auth', 'backcompat', 'draft']) {
  test(`conformance suite "${suite}": every check passes`, { timeout: 300_000 }, async () => {
    const { code, out } = await conformance([], { CONFORMANCE_SUITES: suite });
    const { passed, failed } = totals(out);
    assert.deepEqual(failingScenarios(out), [], out.slice(-3000));
    assert.equal(failed, 0);
    assert.ok(passed > 0, 'checks ran');
    assert.equal(code, 0);
  });
}

for (const scenario of ['auth/client-credentials-basic', 'auth/client-credentials-jwt']) {
  test(`conformance scenario ${scenario}: every check passes`, { timeout: 120_000 }, async () => {
    const { code, out } = await conformance(['--scenario', scenario]);
    assert.match(out, /Passed: (\d+)\/\1, 0 failed/, out.slice(-3000));
    assert.match(out, /OVERALL: PASSED/);
    assert.equal(code, 0);
  });
}
