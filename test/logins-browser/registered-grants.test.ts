/**
 * Dynamic registration asks for the grant types of the flow being run: a browser login against
 * an IdP that refuses to register the device grant works, a device login there is told to bring
 * a client of its own, and a device login after a browser one registers again with both grants.
 * Real CLI, daemon and IdP.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { approveInBrowser, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

type Env = ReturnType<typeof isolatedEnv>;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function browserLogin(env: Env, url: string): Promise<string> {
  const r = await runCli(['login', url, '--no-browser', '--no-wait', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const { login } = JSON.parse(r.stdout);
  assert.equal((await fetch(await approveInBrowser(login.authorizationUrl))).status, 200);
  const waited = await runCli(['login', '--wait', login.id], { env });
  assert.equal(waited.code, 0, waited.stderr);
  return login.redirectUri as string;
}

const registrations = (idp: Idp) => idp.requests.filter((r) => r.method === 'POST' && r.path === '/reg');

describe('client registration asks for what the flow needs', () => {
  const envs: Env[] = [];
  const peers: Array<{ close(): Promise<void> }> = [];
  const env = () => {
    const e = isolatedEnv();
    envs.push(e);
    return e;
  };
  async function start(options: Parameters<typeof startIdp>[0]): Promise<[Idp, McpExampleServer]> {
    const idp = await startIdp(options);
    const mcp = await startMcpServer({ issuer: idp.issuer });
    peers.push(mcp, idp);
    return [idp, mcp];
  }
  after(async () => {
    for (const e of envs) await e.cleanup();
    for (const p of peers) await p.close();
  });

  test('an IdP that refuses to register the device grant: browser login works, device login names --client-id', async () => {
    const [idp, mcp] = await start({ refuseDeviceGrantRegistration: true });
    const e = env();
    await browserLogin(e, mcp.url);
    assert.deepEqual(
      registrations(idp).map((r) => [r.status, r.registeredGrantTypes]),
      [[201, ['authorization_code', 'refresh_token']]],
    );
    const tools = await runCli(['tools', '--url', mcp.url], { env: e });
    assert.equal(tools.code, 0, tools.stderr);

    const device = await runCli(['login', '--device', '--url', mcp.url, '--no-wait'], { env: e });
    assert.equal(device.code, 1, device.stderr);
    assert.match(device.stderr, /client registration at .* failed: HTTP 400 invalid_client_metadata/);
    assert.match(device.stderr, /some IdPs refuse the device grant/);
    assert.ok(
      device.stderr.includes(
        `hint: use a client registered for the device grant: mcptest login --device --url ${mcp.url} --client-id <id>`,
      ),
      device.stderr,
    );
    assert.equal(registrations(idp).at(-1)?.status, 400);
  });

  test('a device login after a browser one registers again with both grants; the next browser login reuses it', async () => {
    const [idp, mcp] = await start({ redirectUriMatch: 'exact', deviceInterval: 1 });
    const e = env();
    const firstRedirect = await browserLogin(e, mcp.url);
    assert.deepEqual(registrations(idp).at(-1)?.registeredGrantTypes, [
      'authorization_code',
      'refresh_token',
    ]);

    const started = await runCli(['login', '--device', '--url', mcp.url, '--no-wait', '--json'], { env: e });
    assert.equal(started.code, 0, started.stderr);
    const { login } = JSON.parse(started.stdout);
    assert.equal(registrations(idp).length, 2, 'registered again for the device grant');
    assert.deepEqual(
      [...(registrations(idp).at(-1)?.registeredGrantTypes ?? [])].sort(),
      ['authorization_code', 'refresh_token', DEVICE_GRANT].sort(),
    );
    await idp.approveDevice(login.userCode);
    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.equal(waited.code, 0, waited.stderr);

    // The new client kept the browser redirect: an exact-matching IdP accepts the next browser login.
    assert.equal(await browserLogin(e, mcp.url), firstRedirect);
    assert.equal(registrations(idp).length, 2, 'no third registration');
  });
});
