/**
 * The daemon loads what only logins need on first use: the real daemon process, run with a
 * module log (test/helpers/module-log-preload.ts), answers health and a cached token without
 * the login modules, loads them for its first login, and a restarted daemon resumes a pending
 * device login by itself, with no login route asked.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';

const PRELOAD = fileURLToPath(new URL('../helpers/module-log-preload.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../', import.meta.url));

/** The modules only logins need (paths under dist/). */
const LOGIN_MODULES = [
  'daemon/logins/login-flows.js',
  'daemon/logins/browser-login.js',
  'daemon/logins/device-login.js',
  'daemon/logins/loopback-listener.js',
  'daemon/oauth/registration.js',
  'daemon/oauth/discovery.js',
  'daemon/oauth/code-exchange.js',
  'daemon/oauth/device-authorization.js',
];

/** The daemon's own modules in a module log (paths under dist/), and whether jose was loaded. */
function loaded(logFile: string): { own: Set<string>; jose: boolean } {
  const own = new Set<string>();
  let jose = false;
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    const ref = line.startsWith('cjs ') ? line.slice(4) : line.split(' ')[2];
    if (!ref) continue;
    const file = ref.startsWith('file:') ? fileURLToPath(ref) : ref;
    if (file.includes(`${path.sep}node_modules${path.sep}jose${path.sep}`)) jose = true;
    else if (file.startsWith(DIST)) own.add(path.relative(DIST, file));
  }
  return { own, jose };
}

describe('login modules load on first use', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  before(async () => {
    idp = await startIdp({ deviceInterval: 1 });
    mcp = await startMcpServer({ issuer: idp.issuer });
  });
  after(async () => {
    await mcp.close();
    await idp.close();
  });

  test('health and a cached token load none of them; the first login does', async () => {
    const env = isolatedEnv();
    const moduleLog = path.join(env.MCPTEST_HOME as string, 'modules.log');
    Object.assign(env, { NODE_OPTIONS: `--import ${PRELOAD}`, MCPTEST_MODULE_LOG: moduleLog });
    const daemon = await startTestDaemon({ env });
    try {
      await daemon.client.health();
      await daemon.client.importCredential({
        serverUrl: mcp.url,
        accessToken: 'cached-token',
        expiresIn: 3600,
      });
      const token = await daemon.client.getToken({ serverUrl: mcp.url });
      assert.equal(token.source, 'import');
      const served = loaded(moduleLog);
      assert.ok(served.own.has('daemon/build-daemon.js'), 'the module log records the daemon');
      assert.ok(served.own.has('daemon/routes/handle-token.js'));
      assert.ok(served.own.has('daemon/logins/login-registry.js'), 'the registry is built with the daemon');
      for (const m of LOGIN_MODULES) assert.ok(!served.own.has(m), `${m} is not loaded to serve a token`);
      assert.equal(served.jose, false, 'jose is not loaded without a private_key_jwt client');

      const login = await daemon.client.startLogin({ serverUrl: mcp.url, kind: 'device', force: true });
      assert.equal(login.status, 'pending');
      const after = loaded(moduleLog).own;
      for (const m of LOGIN_MODULES.filter((m) => !m.includes('browser') && !m.includes('loopback'))) {
        assert.ok(after.has(m), `${m} is loaded for a device login`);
      }
    } finally {
      await daemon.cleanup();
    }
  });

  test('a restarted daemon resumes a pending device login without being asked', async () => {
    const env = isolatedEnv();
    const moduleLog = path.join(env.MCPTEST_HOME as string, 'modules.log');
    Object.assign(env, { NODE_OPTIONS: `--import ${PRELOAD}`, MCPTEST_MODULE_LOG: moduleLog });
    let daemon = await startTestDaemon({ env });
    let userCode: string;
    try {
      const login = await daemon.client.startLogin({ serverUrl: mcp.url, kind: 'device' });
      userCode = login.userCode as string;
      await daemon.stop();
    } catch (err) {
      await daemon.cleanup();
      throw err;
    }
    fs.rmSync(moduleLog);
    daemon = await startTestDaemon({ env });
    try {
      await idp.approveDevice(userCode);
      // Only non-login routes are asked: the credential appears because polling resumed by itself.
      const deadline = Date.now() + 60_000;
      let stored = false;
      while (!stored && Date.now() < deadline) {
        stored = (await daemon.client.listCredentials()).some((c) => c.source === 'device');
        if (!stored) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(stored, 'the resumed login stored its credential');
      assert.ok(loaded(moduleLog).own.has('daemon/logins/device-login.js'));
    } finally {
      await daemon.cleanup();
    }
  });
});
