/**
 * The installed `mcptest` command starts as a shell script (cli/bin.cts, scripts/bundle-entry.mjs):
 * for `auth token`, `auth headers` and `--version`, which make no TLS connection in their own
 * process, node starts without NODE_EXTRA_CA_CERTS, so it does not parse that bundle; every
 * process the command starts, the daemon above all, gets the variable back as it was. Node warns
 * on stderr at start when the file it names cannot be read, which shows whether it was given.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../client/daemon-client.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { CLI, isolatedEnv, runCli, runCommand } from '../helpers/cli.js';
import { seedLogin } from '../helpers/seed.js';

const NODE_WARNS = /Ignoring extra certs from/;

let idp: Idp;
let mcp: McpExampleServer;
before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
});
after(async () => {
  await mcp.close();
  await idp.close();
});

test('the command file is a shell script whose start line is also JavaScript', () => {
  const text = fs.readFileSync(CLI, 'utf8');
  assert.ok(text.startsWith('#!/bin/sh\n":" //'), text.slice(0, 80));
  assert.ok(fs.statSync(CLI).mode & 0o100, 'the command is executable');
});

test('--version starts node without NODE_EXTRA_CA_CERTS; node given the file directly still reads it', async () => {
  const env = isolatedEnv({ NODE_EXTRA_CA_CERTS: '/nonexistent/extra-ca.pem' });
  try {
    const version = JSON.parse(fs.readFileSync(path.join(CLI, '../../../package.json'), 'utf8')).version;
    const run = await runCommand(['--version'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${version}\n`);
    assert.equal(run.stderr, '', 'node did not try to read the extra CA file');
    const direct = await runCli(['--version'], { env });
    assert.equal(direct.stdout, `${version}\n`);
    assert.match(
      direct.stderr,
      NODE_WARNS,
      'node run on the file by hand reads the variable, as it always does',
    );
    // A verb that may make TLS connections itself keeps the variable.
    const tools = await runCommand(['tools', '--help'], { env });
    assert.equal(tools.code, 0, tools.stderr);
    assert.match(tools.stderr, NODE_WARNS);
  } finally {
    await env.cleanup();
  }
});

test('auth token started without the CA bundle starts a daemon that has it, and prints the token', async () => {
  const extra = path.join(fs.mkdtempSync('/tmp/mt-ca-'), 'extra ca "$HOME".pem');
  const env = isolatedEnv({ NODE_EXTRA_CA_CERTS: extra });
  try {
    // No daemon runs: the command starts one, which answers that there is no login yet.
    const first = await runCommand(['auth', 'token', mcp.url], { env });
    assert.equal(first.code, 3, first.stderr);
    assert.match(first.stderr, /no login/i);
    assert.doesNotMatch(first.stderr, NODE_WARNS, 'the token command itself did not read the file');
    const status = await runCli(['daemon', 'status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const daemonEnv = fs.readFileSync(`/proc/${JSON.parse(status.stdout).pid}/environ`, 'utf8').split('\0');
    assert.ok(
      daemonEnv.includes(`NODE_EXTRA_CA_CERTS=${extra}`),
      'the daemon has the variable, byte for byte',
    );
    assert.ok(!daemonEnv.some((kv) => kv.startsWith('MCPTEST_HELD_')), 'and nothing of how it was held');

    const client = new DaemonClient(env.MCPTEST_SOCKET as string);
    await seedLogin(idp, client, mcp.url);
    const expected = (await client.getToken({ serverUrl: mcp.url })).fingerprint;
    const token = await runCommand(['auth', 'token', mcp.url], { env });
    assert.equal(token.code, 0, token.stderr);
    assert.equal(token.stderr, '');
    assert.equal(fingerprint(token.stdout.trim()), expected);
    const headers = await runCommand(['auth', 'headers', mcp.url], { env });
    assert.equal(headers.code, 0, headers.stderr);
    assert.equal(headers.stderr, '');
    assert.equal(fingerprint(JSON.parse(headers.stdout).Authorization.slice('Bearer '.length)), expected);
  } finally {
    await env.cleanup();
    fs.rmSync(path.dirname(extra), { recursive: true, force: true });
  }
});
