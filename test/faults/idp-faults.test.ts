/**
 * The IdP hangs or answers slowly: the real IdP with faults injected in front of it. Refreshes
 * time out after the IdP timeout, retry with backoff (a bounded number of IdP requests, whatever
 * the number of callers), callers keep the old token while it is valid and get a clear error
 * after, and everything recovers when the IdP does. Where time must pass on the daemon's clock
 * (proactive refresh, backoff, expiry) the daemon is built in-process with a FakeClock; the CLI's
 * error and the restart are checked on the real daemon process, with tokens expired on arrival.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startInProcessDaemon } from '../helpers/in-process-daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

const IDP_TIMEOUT_MS = 500;

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

async function withDaemon(fn: (d: TestDaemon) => Promise<void>) {
  const d = await startTestDaemon({ env: isolatedEnv({ MCPTEST_IDP_TIMEOUT_MS: String(IDP_TIMEOUT_MS) }) });
  try {
    await fn(d);
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
}

/** Token endpoint requests (a hung one never reaches the body, so it has no grant type). */
const tokenRequests = () => idp.requests.filter((r) => r.path === '/token').length;

test('IdP hanging: each refresh times out, retries back off, callers keep the old token, then a clear error, then recovery', async () => {
  const d = await startInProcessDaemon({ idpTimeoutMs: IDP_TIMEOUT_MS });
  try {
    const serverUrl = 'http://127.0.0.1:1/idp-hangs';
    // 8 s of life: the proactive refresh fires 3.2–4 s in (margin = half the life, minus jitter).
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 8 });
    const old = fingerprint(seeded.access_token);
    const expiresAt = d.clock.now() + 8000;
    idp.setFault({ hang: true }, { path: '/token' });
    const before = tokenRequests();

    // 20 callers every 250 ms (daemon time) while the IdP hangs and the token is still valid.
    let calls = 0;
    let slowest = 0;
    while (d.clock.now() < expiresAt - 1000) {
      const started = Date.now();
      const got = await Promise.all(Array.from({ length: 20 }, () => d.client.getToken({ serverUrl })));
      slowest = Math.max(slowest, Date.now() - started);
      calls += got.length;
      for (const t of got) assert.equal(t.fingerprint, old, 'the old token is served while it is valid');
      await d.elapse(250);
    }
    assert.ok(calls >= 100, `callers kept asking (${calls} calls)`);
    // A caller waits at most for one IdP timeout (joined to the single in-flight refresh).
    assert.ok(slowest < IDP_TIMEOUT_MS + 2000, `slowest batch took ${slowest} ms`);
    const [summary] = await d.client.listCredentials();
    assert.equal(summary.state, 'refresh_failing');
    assert.match(summary.lastError ?? '', /timed out/);

    // After expiry: a clear, transient error naming the timeout, not a hang.
    await d.elapse(Math.max(0, expiresAt - d.clock.now()) + 200);
    const started = Date.now();
    await assert.rejects(
      () => d.client.getToken({ serverUrl }),
      (err: unknown) =>
        err instanceof McptestError && err.code === 'idp_unavailable' && /timed out/.test(err.message),
    );
    // A hang would be the client's 120 s, retries with backoff tens of seconds: 10 s spare is for a loaded machine.
    assert.ok(Date.now() - started < IDP_TIMEOUT_MS + 10_000, 'the error comes within one IdP timeout');

    const whileDown = tokenRequests() - before;
    // Backoff of 1, 2, 4 s (±20 %) inside the token's last 4–5 s of life, plus the callers after
    // expiry: a handful, never one per caller (hundreds of calls were made).
    assert.ok(whileDown >= 2 && whileDown <= 8, `bounded retries while the IdP hung (saw ${whileDown})`);

    // The IdP comes back; after the backoff the next caller refreshes.
    idp.setFault(null);
    let fresh: Awaited<ReturnType<typeof d.client.getToken>> | undefined;
    for (let i = 0; i < 40 && !fresh; i++) {
      fresh = await d.client.getToken({ serverUrl }).catch(() => undefined);
      if (!fresh) await d.elapse(250);
    }
    assert.ok(fresh, 'recovered after the IdP came back');
    assert.notEqual(fresh.fingerprint, old);
    const [after] = await d.client.listCredentials();
    assert.equal(after.state, 'valid');
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});

test('IdP hanging for an expired token: `mcptest auth token` prints the timeout and a hint', async () => {
  await withDaemon(async (d) => {
    const serverUrl = 'http://127.0.0.1:1/idp-hangs-cli';
    // Expired on arrival: the CLI's request refreshes at once, and the IdP never answers.
    await seedLogin(idp, d.client, serverUrl, { expiresIn: 0 });
    idp.setFault({ hang: true }, { path: '/token' });
    const cli = await runCli(['auth', 'token', '--url', serverUrl], { env: d.env });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /timed out/);
    assert.match(cli.stderr, /hint: /);
  });
});

test('IdP answering slowly (1.5 s, inside the default timeout): 50 concurrent callers of an expired token wait for one refresh', async () => {
  const d = await startTestDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:1/idp-slow';
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
    // The token expires while no daemon runs; the next daemon's timer fires at once.
    await d.stop();
    await d.client.close();
    expireStored(d, serverUrl);
    idp.setFault({ delayMs: 1500 }, { path: '/token' });
    const before = refreshRequests(idp);
    const d2 = await startTestDaemon({ env: d.env });
    try {
      const started = Date.now();
      const got = await Promise.all(Array.from({ length: 50 }, () => d2.client.getToken({ serverUrl })));
      const took = Date.now() - started;
      const fps = new Set(got.map((t) => t.fingerprint));
      assert.equal(fps.size, 1, 'every caller got the same new token');
      assert.notEqual([...fps][0], fingerprint(seeded.access_token));
      assert.equal(refreshRequests(idp) - before, 1, 'exactly one refresh request');
      // One shared refresh, not one per caller (50 in a row would take 75 s); the bound leaves a
      // loaded machine plenty of room.
      assert.ok(took < 30_000, `callers waited for the one slow refresh, not one each (${took} ms)`);
    } finally {
      idp.setFault(null);
      await d2.client.close();
      await d2.stop();
    }
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});

/** Moves the stored expiry into the past, as a laptop asleep past it would find it. */
function expireStored(d: TestDaemon, serverUrl: string) {
  const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`, { timeout: 5000 });
  try {
    db.prepare('UPDATE credentials SET expires_at = ? WHERE key = ?').run(Date.now() - 1000, serverUrl);
  } finally {
    db.close();
  }
}

test('IdP answering slower than the timeout: the daemon gives up per request, and the late answer does not cost the grant', async () => {
  const d = await startInProcessDaemon({ idpTimeoutMs: IDP_TIMEOUT_MS });
  try {
    const serverUrl = 'http://127.0.0.1:1/idp-too-slow';
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
    // Every token request is answered only after 3 s; the daemon waits 500 ms.
    idp.setFault({ delayMs: 3000 }, { path: '/token', times: 1 });
    const before = tokenRequests();
    const started = Date.now();
    // A reported 401 forces a refresh now (bypassing the proactive timer).
    const got = await d.client
      .getToken({ serverUrl, rejectedFingerprint: fingerprint(seeded.access_token) })
      .then(
        (t) => ({ ok: true as const, t }),
        (err: unknown) => ({ ok: false as const, err }),
      );
    assert.ok(Date.now() - started < IDP_TIMEOUT_MS + 10_000, 'the caller is answered within one timeout');
    assert.equal(got.ok, false, 'the slow refresh failed');
    assert.ok(
      !got.ok && got.err instanceof McptestError && got.err.code === 'idp_unavailable',
      `idp_unavailable (got ${String(!got.ok && got.err)})`,
    );
    // Let the IdP's late answer land (or not): the IdP's own delay, on real time.
    await new Promise((r) => setTimeout(r, 3500));
    // Then retry with the fault gone, the daemon's backoff passing on its clock.
    let fresh: Awaited<ReturnType<typeof d.client.getToken>> | McptestError | undefined;
    for (let i = 0; i < 20; i++) {
      fresh = await d.client
        .getToken({ serverUrl, rejectedFingerprint: fingerprint(seeded.access_token) })
        .catch((err: McptestError) => err);
      if (!(fresh instanceof McptestError) || fresh.code !== 'idp_unavailable') break;
      await d.elapse(300);
    }
    assert.ok(!(fresh instanceof McptestError), `the retry succeeded (got ${String(fresh)})`);
    assert.notEqual(fresh?.fingerprint, fingerprint(seeded.access_token));
    assert.ok(tokenRequests() - before <= 4, `no storm (saw ${tokenRequests() - before})`);
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});
