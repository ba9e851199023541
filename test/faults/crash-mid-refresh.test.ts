/**
 * The daemon killed (-9) with a refresh on its way to the IdP, and the store's WAL removed under
 * a running daemon before a kill. The real daemon process, the real IdP (oidc-provider, which
 * rotates refresh tokens and refuses a rotated-out one).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills the daemon while its refresh request is at the IdP (held there by `fault`). */
async function killDuringRefresh(
  d: Awaited<ReturnType<typeof startTestDaemon>>,
  serverUrl: string,
  rejected: string,
): Promise<void> {
  const seen = idp.requests.length;
  const asked = d.client.getToken({ serverUrl, rejectedFingerprint: rejected }).catch((err) => err);
  await until('the refresh to reach the IdP', () =>
    idp.requests.slice(seen).some((r) => r.path === '/token'),
  );
  await d.kill();
  await asked;
  await d.client.close();
}

test('kill -9 while the IdP rotates the refresh token: the next daemon tries the old one once and says exactly what happened', async () => {
  const d = await startTestDaemon();
  const serverUrl = 'http://127.0.0.1:1/crash-rotated';
  try {
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
    // The refresh request is held at the IdP while the daemon is killed; then the IdP processes
    // it: the refresh token is rotated, and the answer with the new one reaches nobody. (The
    // test redeems the token itself to play that lost answer: the IdP's front layer cannot hand a
    // request whose client has gone on to the provider.)
    idp.setFault({ hang: true }, { path: '/token', times: 1 });
    await killDuringRefresh(d, serverUrl, fingerprint(seeded.access_token));
    const lost = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: seeded.refresh_token as string,
        client_id: seeded.client_id,
        resource: serverUrl,
      }).toString(),
    });
    assert.equal(lost.status, 200, 'the IdP rotated the refresh token');
    await lost.body?.cancel();
    const before = refreshRequests(idp);

    const d2 = await startTestDaemon({ env: d.env });
    try {
      // At start, unasked: one retry with the previous refresh token, which the IdP refuses.
      await until('the retry', () => /refresh after a crash refused/.test(d2.log()));
      assert.equal(refreshRequests(idp) - before, 1);
      await assert.rejects(
        () => d2.client.getToken({ serverUrl }),
        (err: unknown) =>
          err instanceof McptestError &&
          err.code === 'needs_login' &&
          /a refresh was interrupted by a daemon crash/.test(err.message) &&
          /did not accept the previous refresh token again/.test(err.message) &&
          err.hint === `mcptest login ${serverUrl}`,
      );
      const [summary] = await d2.client.listCredentials();
      assert.equal(summary.state, 'needs_login', 'kept, not deleted');
      assert.match(summary.lastError ?? '', /interrupted by a daemon crash/);
      assert.equal(refreshRequests(idp) - before, 1, 'tried once, no loop');
    } finally {
      await d2.cleanup();
    }
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});

test('kill -9 before the IdP answered: the next daemon retries the refresh with the old token at once, and the login lives on', async () => {
  const d = await startTestDaemon();
  const serverUrl = 'http://127.0.0.1:1/crash-unanswered';
  try {
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
    const old = fingerprint(seeded.access_token);
    // The request never reaches the provider: the refresh token stays valid.
    idp.setFault({ hang: true }, { path: '/token', times: 1 });
    await killDuringRefresh(d, serverUrl, old);
    const before = refreshRequests(idp);

    const d2 = await startTestDaemon({ env: d.env });
    try {
      await until('the retry at start', () => refreshRequests(idp) - before === 1);
      await until('its commit', () => /"reason":"interrupted by a daemon crash"/.test(d2.log()));
      const now = await d2.client.getToken({ serverUrl });
      assert.notEqual(now.fingerprint, old);
      const [summary] = await d2.client.listCredentials();
      assert.equal(summary.state, 'valid');
      assert.equal(refreshRequests(idp) - before, 1);
    } finally {
      await d2.cleanup();
    }
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});

test('the WAL removed under a running daemon, then kill -9: the daemon says so, and no login is lost', async () => {
  const d = await startTestDaemon();
  const serverUrl = 'http://127.0.0.1:1/wal-removed';
  const wal = path.join(d.env.MCPTEST_HOME as string, 'auth', 'tokens.db-wal');
  try {
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
    assert.ok(fs.existsSync(wal), 'the login lives in the WAL so far');
    fs.rmSync(wal);
    await until('the daemon to notice', () =>
      /tokens\.db-wal was removed while the daemon ran/.test(d.log()),
    );
    assert.match(d.log(), /its commits were saved into/);
    // Later commits go to a new WAL.
    const refreshed = await d.client.getToken({
      serverUrl,
      rejectedFingerprint: fingerprint(seeded.access_token),
    });
    await d.kill();
    await d.client.close();

    const d2 = await startTestDaemon({ env: d.env });
    try {
      const [summary] = await d2.client.listCredentials();
      assert.equal(summary?.serverUrl, serverUrl, 'the login survived');
      assert.equal((await d2.client.getToken({ serverUrl })).fingerprint, refreshed.fingerprint);
    } finally {
      await d2.cleanup();
    }
  } finally {
    await d.cleanup();
  }
});
