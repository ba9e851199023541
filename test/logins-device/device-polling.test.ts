/**
 * The device-code polling engine (RFC 8628 §3.4-3.5) against the real test IdP, with a clock that
 * jumps: the schedule asserted is the engine's own (the delays it asked the clock for).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../daemon/logger.js';
import { buildDaemon, type Daemon } from '../../daemon/build-daemon.js';
import {
  DEVICE_CODE_GRANT,
  type DevicePollState,
  type PollOutcome,
  pollDeviceToken,
} from '../../daemon/logins/device-login.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { McptestError } from '../../shared/errors.js';
import { resolvePaths } from '../../shared/paths.js';
import { StepClock } from './step-clock.js';

const RESOURCE = 'http://127.0.0.1:9/mcp';
const oauthCtx = { fetch: globalThis.fetch, timeoutMs: 5_000, now: () => Date.now() };

/** A device code from the real IdP for a fresh public device client. */
async function deviceCode(idp: Idp) {
  const client = await idp.registerClient({
    client_name: 'device-polling-test',
    grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'none',
  });
  const res = await fetch(idp.deviceAuthorizationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.client_id, scope: 'mcp:read', resource: RESOURCE }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { device_code: string; user_code: string; expires_in: number };
  return { clientId: client.client_id as string, ...body };
}

function pollState(
  idp: Idp,
  code: Awaited<ReturnType<typeof deviceCode>>,
  clock: StepClock,
  interval: number,
) {
  return {
    serverUrl: RESOURCE,
    deviceCode: code.device_code,
    intervalSeconds: interval,
    expiresAt: clock.now() + code.expires_in * 1000,
    issuer: idp.issuer,
    tokenEndpoint: idp.tokenEndpoint,
    revocationEndpoint: idp.revocationEndpoint,
    clientId: code.clientId,
    clientSecret: null,
    authMethod: 'none',
    resource: RESOURCE,
  } satisfies DevicePollState;
}

async function rejection(p: Promise<unknown>): Promise<McptestError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof McptestError, `expected McptestError, got ${err}`);
    return err;
  }
  assert.fail('expected the poll to fail');
}

describe('device polling engine', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp({ deviceInterval: 2 });
  });
  after(async () => {
    await idp.close();
  });

  test('honours the interval, keeps polling on authorization_pending, returns the tokens', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    const outcomes: PollOutcome[] = [];
    clock.beforeFire = async (n) => {
      if (n === 3) await idp.approveDevice(code.user_code);
    };
    const tokens = await pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 2), {
      onPoll: (o) => outcomes.push(o),
    });
    assert.deepEqual(clock.delays, [2000, 2000, 2000]);
    assert.deepEqual(outcomes, ['authorization_pending', 'authorization_pending', 'success']);
    assert.ok(tokens.accessToken.length > 20);
    assert.ok(tokens.refreshToken, 'a refresh token is issued');
    assert.match(tokens.scope ?? '', /mcp:read/);
  });

  test('each slow_down adds 5 seconds for every later poll (RFC 8628 §3.5)', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    idp.slowDownNext(2);
    const intervals: number[] = [];
    const outcomes: PollOutcome[] = [];
    clock.beforeFire = async (n) => {
      if (n === 5) await idp.approveDevice(code.user_code);
    };
    await pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 1), {
      onInterval: (s) => intervals.push(s),
      onPoll: (o) => outcomes.push(o),
    });
    assert.deepEqual(outcomes, [
      'slow_down',
      'slow_down',
      'authorization_pending',
      'authorization_pending',
      'success',
    ]);
    assert.deepEqual(intervals, [6, 11]);
    assert.deepEqual(clock.delays, [1000, 6000, 11000, 11000, 11000]);
  });

  test('stops when expires_in is spent: login_expired, never polling past expiry', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    const state = { ...pollState(idp, code, clock, 5), expiresAt: clock.now() + 12_000 };
    const outcomes: PollOutcome[] = [];
    const err = await rejection(
      pollDeviceToken({ clock, oauth: oauthCtx }, state, { onPoll: (o) => outcomes.push(o) }),
    );
    assert.equal(err.code, 'login_expired');
    assert.match(err.message, /re-run the command for a fresh code/);
    assert.equal(err.hint, `mcptest login --device --url ${RESOURCE}`);
    assert.deepEqual(clock.delays, [5000, 5000, 2000], 'the last wait is cut at the expiry');
    assert.equal(outcomes.length, 2);
  });

  test('access_denied ends the login with login_denied', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    clock.beforeFire = async (n) => {
      if (n === 2) await idp.approveDevice(code.user_code, { deny: true });
    };
    const err = await rejection(pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 2)));
    assert.equal(err.code, 'login_denied');
    assert.match(err.message, /denied/);
    assert.equal(clock.delays.length, 2);
  });

  test('expired_token from the IdP ends the login with login_expired', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    idp.setFault({ status: 400, body: { error: 'expired_token' } }, { path: '/token', times: 1 });
    const err = await rejection(pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 2)));
    assert.equal(err.code, 'login_expired');
    assert.match(err.message, /re-run the command for a fresh code/);
    assert.equal(clock.delays.length, 1);
  });

  test('a device code the IdP purged after expiry (invalid_grant) ends with login_expired', async () => {
    const shortIdp = await startIdp({ deviceCodeTtl: 1 });
    try {
      const clock = new StepClock();
      const code = await deviceCode(shortIdp);
      // The engine's clock says no time passed; the IdP's real one says the code is gone.
      clock.beforeFire = () => new Promise((r) => setTimeout(r, 1_300));
      const state = { ...pollState(shortIdp, code, clock, 1), expiresAt: clock.now() + 600_000 };
      const err = await rejection(pollDeviceToken({ clock, oauth: oauthCtx }, state));
      assert.equal(err.code, 'login_expired');
      assert.equal(clock.delays.length, 1);
    } finally {
      await shortIdp.close();
    }
  });

  test('any other OAuth error is terminal at once; a client error suggests --force', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    idp.setFault(
      { status: 400, body: { error: 'unauthorized_client', error_description: 'no device grant' } },
      { path: '/token', times: 1 },
    );
    let err = await rejection(pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 2)));
    assert.equal(err.code, 'idp_error');
    assert.match(err.message, /unauthorized_client/);
    assert.equal(err.hint, `mcptest login --device --url ${RESOURCE} --force`);
    assert.equal(clock.delays.length, 1);

    const clock2 = new StepClock();
    idp.setFault({ status: 400, body: { error: 'weird_new_error' } }, { path: '/token', times: 1 });
    err = await rejection(
      pollDeviceToken({ clock: clock2, oauth: oauthCtx }, pollState(idp, code, clock2, 2)),
    );
    assert.equal(err.code, 'idp_error');
    assert.match(err.message, /weird_new_error/);
    assert.equal(clock2.delays.length, 1);
  });

  test('network failures and 5xx keep polling with exponential backoff, then succeed', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    idp.setFault({ status: 503 }, { path: '/token', times: 2 });
    const outcomes: PollOutcome[] = [];
    clock.beforeFire = async (n) => {
      if (n === 4) await idp.approveDevice(code.user_code);
    };
    const tokens = await pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 2), {
      onPoll: (o) => outcomes.push(o),
    });
    assert.deepEqual(outcomes, ['transient_error', 'transient_error', 'authorization_pending', 'success']);
    assert.deepEqual(clock.delays, [2000, 4000, 8000, 2000]);
    assert.ok(tokens.accessToken);
  });

  test('cancelling stops polling without another request', async () => {
    const clock = new StepClock();
    const code = await deviceCode(idp);
    const controller = new AbortController();
    clock.beforeFire = (n) => {
      if (n === 2) controller.abort();
    };
    const before = idp.requests.filter((r) => r.grantType === DEVICE_CODE_GRANT).length;
    const err = await rejection(
      pollDeviceToken({ clock, oauth: oauthCtx }, pollState(idp, code, clock, 2), {
        signal: controller.signal,
      }),
    );
    assert.equal(err.code, 'cancelled');
    assert.equal(idp.requests.filter((r) => r.grantType === DEVICE_CODE_GRANT).length - before, 1);
  });
});

describe('device login in the daemon (in process, fake clock)', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  let home: string;
  let store: TokenStore;
  let app: Daemon;
  const clock = new StepClock();

  before(async () => {
    idp = await startIdp(); // no `interval` in device authorization responses
    mcp = await startMcpServer({ issuer: idp.issuer });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-dl-'));
    const paths = resolvePaths({ MCPTEST_HOME: home, MCPTEST_SOCKET: path.join(home, 's.sock') });
    store = TokenStore.open(paths.dbPath);
    app = buildDaemon({
      store,
      clock,
      fetch: globalThis.fetch,
      paths,
      logger: createLogger({ level: 'silent' }),
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    store.close();
    await mcp.close();
    await idp.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('missing interval means 5 s; approval stores a refreshable device credential', async () => {
    let userCode = '';
    clock.beforeFire = async (n) => {
      if (n === 2) await idp.approveDevice(userCode);
    };
    const started = await app.inject({
      method: 'POST',
      url: '/v1/logins',
      payload: { serverUrl: mcp.url, kind: 'device' },
    });
    assert.equal(started.statusCode, 200, started.body);
    const info = started.json();
    userCode = info.userCode;
    assert.equal(info.status, 'pending');
    assert.equal(info.intervalSeconds, 5);
    assert.equal(app.ctx.pendingLogins(), 1);
    assert.ok(
      !started.body.includes('device_code') && !started.body.includes('deviceCode'),
      'no device code over IPC',
    );

    const waited = await app.inject({ method: 'GET', url: `/v1/logins/${info.id}?waitSeconds=20` });
    assert.equal(waited.json().status, 'complete', waited.body);
    assert.deepEqual(clock.delays.slice(0, 2), [5000, 5000]);
    assert.equal(app.ctx.pendingLogins(), 0);
    const cred = store.getCredential(mcp.url);
    assert.equal(cred?.source, 'device');
    assert.ok(cred?.refreshToken);
    assert.equal(cred?.resource, mcp.url);
    assert.deepEqual(
      store.getPendingLogin(info.id)?.data,
      { info: waited.json(), secret: {} },
      'secrets dropped',
    );
    assert.match(app.ctx.metrics.render(), /mcptest_logins_total\{[^}]*outcome="complete"[^}]*\} 1/);
  });

  test('routes validate input and answer not_found for unknown logins', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/logins',
      payload: { serverUrl: mcp.url, kind: 'fax' },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_request');
    const missing = await app.inject({ method: 'GET', url: '/v1/logins/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'not_found');
    const tooLong = await app.inject({ method: 'GET', url: '/v1/logins/nope?waitSeconds=600' });
    assert.equal(tooLong.statusCode, 400);
  });

  test('DELETE cancels a pending login and stops its polling', async () => {
    clock.beforeFire = undefined;
    const pollsBefore = () => idp.requests.filter((r) => r.grantType === DEVICE_CODE_GRANT).length;
    const started = (
      await app.inject({ method: 'POST', url: '/v1/logins', payload: { serverUrl: mcp.url, kind: 'device' } })
    ).json();
    const cancelled = await app.inject({ method: 'DELETE', url: `/v1/logins/${started.id}` });
    assert.equal(cancelled.json().status, 'cancelled');
    assert.equal(cancelled.json().error.code, 'login_cancelled');
    const n = pollsBefore();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pollsBefore(), n, 'no polls after cancel');
    const list = (await app.inject({ method: 'GET', url: '/v1/logins' })).json();
    assert.ok(
      list.logins.some(
        (l: { id: string; status: string }) => l.id === started.id && l.status === 'cancelled',
      ),
    );
  });
});
