/**
 * Automatic step-up on 403 `insufficient_scope` end to end: the real CLI and the daemon it starts,
 * the real IdP and MCP server from examples/oauth-server (`admin_reset` needs `mcp:admin`), and
 * the stand-in browser ($BROWSER) that drives the IdP's real pages.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonClient } from '../../client/daemon-client.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { startAgent } from '../helpers/agent.js';
import { runCli } from '../helpers/cli.js';
import { browserEnv, browserVisits, type Env } from './stand-in-browser.js';

/** The same env with no browser: $BROWSER empty, and runCli's pipes are no TTY. */
function headless(e: Env): NodeJS.ProcessEnv {
  return withEnv(e, { BROWSER: '' });
}

function withEnv(e: Env, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { cleanup: _cleanup, ...vars } = e;
  return { ...vars, ...extra };
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('step-up on 403 insufficient_scope', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  let stubborn: McpExampleServer;
  const envs: Env[] = [];
  const env = () => {
    const e = browserEnv();
    envs.push(e);
    return e;
  };
  const count = (pred: (r: Idp['requests'][number]) => boolean) => idp.requests.filter(pred).length;
  const authRequests = () => count((r) => r.path === '/auth' && r.method === 'GET');
  const refreshGrants = () => count((r) => r.grantType === 'refresh_token');

  before(async () => {
    idp = await startIdp();
    mcp = await startMcpServer({ issuer: idp.issuer });
    // A server whose admin_reset also wants a scope the IdP never grants: it keeps asking.
    stubborn = await startMcpServer({
      issuer: idp.issuer,
      toolScopes: { admin_reset: ['mcp:admin', 'mcp:never'] },
    });
  });
  after(async () => {
    for (const e of envs) await e.cleanup();
    await stubborn?.close();
    await mcp?.close();
    await idp?.close();
  });

  describe('a login holding mcp:read calls admin_reset', () => {
    let e: Env;
    before(async () => {
      e = env();
      const login = await runCli(['login', mcp.url, '--scope', 'mcp:read'], { env: e });
      assert.equal(login.code, 0, login.stderr);
    });

    test('with no browser and no TTY: exit 3, step_up_required with the union in the login command', async () => {
      const authsBefore = authRequests();
      const r = await runCli(['call', '--url', mcp.url, 'admin_reset'], { env: headless(e) });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /insufficient_scope/);
      assert.match(r.stderr, /requires scope `mcp:read mcp:admin`/);
      assert.ok(r.stderr.includes(`mcptest login ${mcp.url} --scope "mcp:read mcp:admin"`), r.stderr);
      assert.doesNotMatch(r.stderr, /opening the browser/);
      assert.equal(authRequests(), authsBefore, 'no authorization was started');
      assert.equal((await browserVisits(e, 1)).length, 1, 'only the login itself opened the browser');

      const json = await runCli(['call', '--url', mcp.url, 'admin_reset', '--json'], { env: headless(e) });
      assert.equal(json.code, 3, json.stderr);
      const err = JSON.parse(json.stdout).error;
      assert.equal(err.code, 'step_up_required');
      assert.equal(err.hint, `mcptest login ${mcp.url} --scope "mcp:read mcp:admin"`);
    });

    test('the agent server never opens a browser, even with $BROWSER set: step_up_required as data', async () => {
      const authsBefore = authRequests();
      const agent = await startAgent(withEnv(e, {}), { cwd: e.MCPTEST_HOME as string, name: 'step-up-test' });
      try {
        const res = (await agent.callTool({
          name: 'call_tool',
          arguments: { url: mcp.url, tool: 'admin_reset' },
        })) as {
          isError?: boolean;
          structuredContent?: { error?: { code: string; ask_human?: string; hint?: string } };
        };
        assert.equal(res.isError, true);
        const err = res.structuredContent?.error;
        assert.equal(err?.code, 'step_up_required', JSON.stringify(err));
        assert.ok(
          JSON.stringify(err).includes(`mcptest login ${mcp.url} --scope \\"mcp:read mcp:admin\\"`),
          JSON.stringify(err),
        );
      } finally {
        await agent.close();
      }
      assert.equal(authRequests(), authsBefore, 'no authorization was started');
      assert.equal((await browserVisits(e, 1)).length, 1, 'no browser was opened');
    });

    test('with $BROWSER: a fresh authorization for the union (no refresh with the old scope), then the call succeeds', async () => {
      const authsBefore = authRequests();
      const refreshesBefore = refreshGrants();
      const codesBefore = count((r) => r.grantType === 'authorization_code');
      const r = await runCli(['call', '--url', mcp.url, 'admin_reset'], { env: e });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /needs scope `mcp:read mcp:admin` \(this login has `[^`]*mcp:read[^`]*`\); opening the browser/,
      );
      assert.match(r.stderr, /Approved; retrying/);

      assert.equal(authRequests(), authsBefore + 1, 'one fresh authorization request');
      assert.equal(
        count((r) => r.grantType === 'authorization_code'),
        codesBefore + 1,
      );
      assert.equal(refreshGrants(), refreshesBefore, 'never a refresh_token grant with the old scope');
      const visit = (await browserVisits(e, 2)).at(-1);
      assert.equal(visit?.callbackStatus, 200);
      const asked = String(visit?.scope).split(' ');
      for (const s of ['mcp:read', 'mcp:admin']) assert.ok(asked.includes(s), `${s} in ${visit?.scope}`);

      const status = await runCli(['auth', 'status', '--json'], { env: e });
      assert.equal(status.code, 0, status.stderr);
      const cred = (
        JSON.parse(status.stdout).credentials as Array<{ serverUrl: string; scope: string }>
      ).find((c) => c.serverUrl === mcp.url);
      const granted = String(cred?.scope).split(' ');
      for (const s of ['mcp:read', 'mcp:admin'])
        assert.ok(granted.includes(s), `${s} granted: ${cred?.scope}`);

      // The wider grant now works with no browser at all, and no token value was printed.
      const again = await runCli(['call', '--url', mcp.url, 'admin_reset'], { env: headless(e) });
      assert.equal(again.code, 0, again.stderr);
      const client = new DaemonClient(e.MCPTEST_SOCKET as string);
      try {
        const token = await client.getToken({ serverUrl: mcp.url });
        for (const out of [r.stdout, r.stderr, again.stdout, again.stderr, status.stdout])
          assert.ok(!out.includes(token.accessToken));
      } finally {
        await client.close();
      }
    });
  });

  test('a server that keeps answering insufficient_scope gets two approvals, then the error', async () => {
    const e = env();
    const login = await runCli(['login', stubborn.url, '--scope', 'mcp:read'], { env: e });
    assert.equal(login.code, 0, login.stderr);
    const authsBefore = authRequests();
    const r = await runCli(['call', '--url', stubborn.url, 'admin_reset'], { env: e });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(authRequests(), authsBefore + 2, 'at most two authorizations per connection');
    assert.equal((await browserVisits(e, 3)).length, 3, 'the login and two step-ups opened the browser');
    assert.equal((r.stderr.match(/opening the browser/g) ?? []).length, 2, r.stderr);
    assert.match(r.stderr, /after 2 approved step-ups/);
    assert.match(
      r.stderr,
      new RegExp(`mcptest login ${reEscape(stubborn.url)} --scope "[^"]*mcp:never[^"]*"`),
    );
  });

  test('mcptest run: concurrent tests refused with insufficient_scope share one step-up, then pass', async () => {
    const e = env();
    const login = await runCli(['login', mcp.url, '--scope', 'mcp:read'], { env: e });
    assert.equal(login.code, 0, login.stderr);
    const suite = path.join(e.MCPTEST_HOME as string, 'suite.yaml');
    fs.writeFileSync(
      suite,
      [
        'servers:',
        `  api: { url: "${mcp.url}" }`,
        'tests:',
        ...['first', 'second', 'third'].map(
          (n) => `  - { name: "admin reset ${n}", tool: admin_reset, expect: { is_error: false } }`,
        ),
        '',
      ].join('\n'),
    );
    const authsBefore = authRequests();
    const r = await runCli(['run', suite, '--concurrency', '3'], { env: e });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(authRequests(), authsBefore + 1, 'one step-up for the whole suite');
    assert.equal((r.stderr.match(/opening the browser/g) ?? []).length, 1, r.stderr);
    assert.match(r.stdout, /3 passed/);
  });

  test('a denial in the browser fails the call with login_denied, exit 3', async () => {
    const e = env();
    const login = await runCli(['login', mcp.url, '--scope', 'mcp:read'], { env: e });
    assert.equal(login.code, 0, login.stderr);
    const r = await runCli(['call', '--url', mcp.url, 'admin_reset'], {
      env: withEnv(e, { FAKE_BROWSER_MODE: 'deny' }),
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /opening the browser/);
    assert.match(r.stderr, /access_denied/);
    const status = await runCli(['auth', 'status', '--json'], { env: e });
    const cred = (JSON.parse(status.stdout).credentials as Array<{ serverUrl: string; scope: string }>).find(
      (c) => c.serverUrl === mcp.url,
    );
    assert.doesNotMatch(String(cred?.scope), /mcp:admin/, 'the denied step-up changed nothing');
  });
});
