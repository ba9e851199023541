/**
 * The clock jumps forward (a laptop waking from sleep): every refresh timer is overdue at once and
 * callers arrive before, with, or after the late timers. And the wall clock set back, or behind
 * at start: a token is not served past its IdP lifetime. The daemon is built in-process by
 * buildDaemon() (the real daemon code, with a FakeClock) against the real IdP; requests go through
 * app.inject(). Each credential must be refreshed once, never once per caller or per timer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '../../daemon/logger.js';
import { buildDaemon, type Daemon } from '../../daemon/build-daemon.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { resolvePaths } from '../../shared/paths.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { refreshRequests } from '../helpers/seed.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

const SERVERS = 4;
const CALLERS = 50;
const HOUR = 3600_000;

async function withInProcessDaemon(fn: (app: Daemon, clock: FakeClock) => Promise<void>) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-clock-'));
  const paths = resolvePaths({ MCPTEST_HOME: home, MCPTEST_SOCKET: path.join(home, 's.sock') });
  const store = TokenStore.open(paths.dbPath);
  const clock = new FakeClock();
  const app = buildDaemon({
    store,
    clock,
    fetch: globalThis.fetch,
    paths,
    logger: createLogger({ level: 'silent' }),
  });
  await app.ready();
  try {
    await fn(app, clock);
  } finally {
    await app.close();
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function seed(app: Daemon, count: number): Promise<string[]> {
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const serverUrl = `http://127.0.0.1:1/jump-${i}`;
    const set = await idp.obtainTokenSet({ resource: serverUrl, scope: 'mcp:read' });
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/credentials',
      payload: {
        serverUrl,
        accessToken: set.access_token,
        refreshToken: set.refresh_token,
        expiresIn: 3600,
        issuer: set.issuer,
        tokenEndpoint: set.token_endpoint,
        clientId: set.client_id,
        authMethod: 'none',
        resource: serverUrl,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    urls.push(serverUrl);
  }
  return urls;
}

async function callAll(app: Daemon, urls: string[]) {
  const answers = await Promise.all(
    urls.flatMap((serverUrl) =>
      Array.from({ length: CALLERS }, () =>
        app.inject({ method: 'POST', url: '/v1/token', payload: { serverUrl } }).then((res) => {
          assert.equal(res.statusCode, 200, res.body);
          return { serverUrl, ...(res.json() as { fingerprint: string; expiresAt: number }) };
        }),
      ),
    ),
  );
  const byServer = new Map<string, Set<string>>();
  for (const a of answers) {
    if (!byServer.has(a.serverUrl)) byServer.set(a.serverUrl, new Set());
    byServer.get(a.serverUrl)?.add(a.fingerprint);
  }
  return { answers, byServer };
}

async function fingerprints(app: Daemon): Promise<Map<string, string>> {
  const res = await app.inject({ method: 'GET', url: '/v1/credentials' });
  const list = res.json() as { credentials: Array<{ serverUrl: string; fingerprint: string }> };
  return new Map(list.credentials.map((c) => [c.serverUrl, c.fingerprint]));
}

test('a 2 h jump with callers first, late timers after: one refresh per credential', async () => {
  await withInProcessDaemon(async (app, clock) => {
    const urls = await seed(app, SERVERS);
    const old = await fingerprints(app);
    const before = refreshRequests(idp);
    clock.jump(2 * HOUR); // asleep: every token expired, no timer has fired yet
    const { answers, byServer } = await callAll(app, urls);
    for (const url of urls) {
      assert.equal(byServer.get(url)?.size, 1, `${url}: every caller got the same token`);
      assert.notEqual([...(byServer.get(url) ?? [])][0], old.get(url), `${url}: a new token`);
    }
    for (const a of answers) assert.ok(a.expiresAt > clock.now(), 'valid by the daemon clock');
    // The overdue timers fire now, late: the refreshes they were armed for already happened.
    clock.fireDue();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(refreshRequests(idp) - before, SERVERS, 'one refresh per credential');
    assert.ok(
      clock.pending().every((at) => at > clock.now()),
      're-armed for the new expiries',
    );
  });
});

test('a 2 h jump with late timers first and callers during their refreshes: one refresh per credential', async () => {
  await withInProcessDaemon(async (app, clock) => {
    const urls = await seed(app, SERVERS);
    const old = await fingerprints(app);
    const before = refreshRequests(idp);
    const fired = clock.advance(2 * HOUR); // wake: every timer fires at once, late
    assert.equal(fired, SERVERS);
    const { byServer } = await callAll(app, urls); // callers join the refreshes in flight
    for (const url of urls) {
      assert.equal(byServer.get(url)?.size, 1, `${url}: every caller got the same token`);
      assert.notEqual([...(byServer.get(url) ?? [])][0], old.get(url));
    }
    // A second wave after the refreshes finds fresh tokens: no more IdP traffic.
    const second = await callAll(app, urls);
    for (const url of urls) assert.deepEqual(second.byServer.get(url), byServer.get(url));
    assert.equal(refreshRequests(idp) - before, SERVERS, 'one refresh per credential');
  });
});

test('repeated small jumps past each refresh point: one refresh per period, rotation never broken', async () => {
  await withInProcessDaemon(async (app, clock) => {
    const urls = await seed(app, 1);
    const before = refreshRequests(idp);
    for (let i = 0; i < 3; i++) {
      clock.advance(HOUR); // past the refresh point (expiry minus a 5 min margin)
      const { byServer } = await callAll(app, urls);
      assert.equal(byServer.get(urls[0])?.size, 1);
    }
    assert.equal(refreshRequests(idp) - before, 3);
    const res = await app.inject({ method: 'GET', url: '/v1/credentials' });
    assert.equal((res.json() as { credentials: Array<{ state: string }> }).credentials[0].state, 'valid');
  });
});

test('the wall clock set back an hour after a token was received: its IdP lifetime, on the monotonic clock, still ends it', async () => {
  await withInProcessDaemon(async (app, clock) => {
    const urls = await seed(app, 1);
    const old = await fingerprints(app);
    const before = refreshRequests(idp);
    clock.setWallBy(-HOUR); // someone sets the clock back (or NTP steps it)
    clock.jump(HOUR + 60_000); // an hour and a minute pass: the token's hour is over
    // By the wall clock the token has 59 minutes left; it is replaced all the same.
    const res = await app.inject({ method: 'POST', url: '/v1/token', payload: { serverUrl: urls[0] } });
    assert.equal(res.statusCode, 200, res.body);
    assert.notEqual((res.json() as { fingerprint: string }).fingerprint, old.get(urls[0]));
    assert.equal(refreshRequests(idp) - before, 1);
  });
});

test('a daemon started with its wall clock an hour behind does not serve a stored token as younger than it is', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-clock-'));
  const paths = resolvePaths({ MCPTEST_HOME: home, MCPTEST_SOCKET: path.join(home, 's.sock') });
  const build = (clock: FakeClock, store: TokenStore) =>
    buildDaemon({ store, clock, fetch: globalThis.fetch, paths, logger: createLogger({ level: 'silent' }) });
  try {
    // The first daemon, with a right clock, stores a login.
    let store = TokenStore.open(paths.dbPath);
    let app = build(new FakeClock(), store);
    await app.ready();
    const [serverUrl] = await seed(app, 1);
    const old = (await fingerprints(app)).get(serverUrl);
    await app.close();
    store.close();
    // The next one starts with its clock an hour behind: the token's age cannot be told from it.
    store = TokenStore.open(paths.dbPath);
    const behind = new FakeClock(Date.now() - HOUR);
    app = build(behind, store);
    await app.ready();
    try {
      const before = refreshRequests(idp);
      const res = await app.inject({ method: 'POST', url: '/v1/token', payload: { serverUrl } });
      assert.equal(res.statusCode, 200, res.body);
      assert.notEqual((res.json() as { fingerprint: string }).fingerprint, old, 'replaced, not served');
      assert.equal(refreshRequests(idp) - before, 1);
      // The new token was received by this clock: served from now on, no refresh per call.
      await app.inject({ method: 'POST', url: '/v1/token', payload: { serverUrl } });
      assert.equal(refreshRequests(idp) - before, 1);
    } finally {
      await app.close();
      store.close();
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
