/**
 * A self-started daemon gets a clean, explicit environment: what the starting process carries
 * (NODE_OPTIONS, NODE_PATH, LD_PRELOAD, anything a parent or a working folder slipped in) does not
 * reach the process that holds every refresh token.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';

test('NODE_OPTIONS and other variables of the starting process do not reach the daemon', async () => {
  const env = isolatedEnv();
  const home = env.MCPTEST_HOME as string;
  const marker = path.join(home, 'preloaded.txt');
  const preload = path.join(home, 'preload.cjs');
  // Runs in every node process that gets this NODE_OPTIONS; records who it ran in and what it saw.
  fs.writeFileSync(
    preload,
    `require('fs').appendFileSync(${JSON.stringify(marker)}, JSON.stringify({ argv: process.argv.slice(2), env: Object.keys(process.env) }) + '\\n');\n`,
  );
  try {
    const run = await runCli(['auth', 'status', '--json'], {
      env: {
        ...env,
        cleanup: undefined,
        NODE_OPTIONS: `--require ${preload}`,
        SOME_SECRET: 'not-for-the-daemon',
      },
    });
    assert.equal(run.code, 0, run.stderr);
    const lines = fs
      .readFileSync(marker, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The CLI itself ran with it (the user's own choice for that process) ...
    assert.ok(
      lines.some((l) => l.argv.includes('auth')),
      'the preload ran in the CLI',
    );
    // ... but the daemon it started did not, and saw none of the other variables either.
    assert.ok(
      !lines.some((l) => l.argv.includes('daemon')),
      `the preload ran in the daemon: ${JSON.stringify(lines)}`,
    );
    const status = await runCli(['daemon', 'status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const pid = JSON.parse(status.stdout).pid;
    const daemonEnv = fs
      .readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .map((kv) => kv.split('=')[0]);
    assert.ok(!daemonEnv.includes('NODE_OPTIONS') && !daemonEnv.includes('SOME_SECRET'), daemonEnv.join(' '));
    assert.ok(daemonEnv.includes('MCPTEST_HOME') && daemonEnv.includes('PATH'));
  } finally {
    await env.cleanup();
  }
});

test('MCPTEST_DAEMON_NODE_OPTIONS is the one way to give the daemon node options', async () => {
  const env = isolatedEnv();
  const home = env.MCPTEST_HOME as string;
  const marker = path.join(home, 'daemon-preload.txt');
  const preload = path.join(home, 'preload.cjs');
  fs.writeFileSync(
    preload,
    `require('fs').appendFileSync(${JSON.stringify(marker)}, process.argv.slice(2).join(' ') + '\\n');\n`,
  );
  try {
    const run = await runCli(['auth', 'status'], {
      env: { ...env, cleanup: undefined, MCPTEST_DAEMON_NODE_OPTIONS: `--require ${preload}` },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(fs.readFileSync(marker, 'utf8'), /daemon run/);
  } finally {
    await env.cleanup();
  }
});
