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

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

async function withDaemon(fn: (d: TestDaemon) => Promise<void>) {
  const d = await startTestDaemon();
  try {
    await fn(d);
  } finally {
    await d.cleanup();
  }
}

test('50 parallel CLI processes after expiry, with no daemon running: one daemon, one refresh, one token', async () => {
  await withDaemon(async (d) => {
    const serverUrl = 'http://127.0.0.1:1/race';
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 30 });
    // The laptop sleeps: the daemon is gone and the access token expires meanwhile.
    await d.stop();
    await d.client.close();
    const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`);
    db.prepare('UPDATE credentials SET expires_at = ?').run(Date.now() - 1000);
    db.close();
    const before = refreshRequests(idp);
    const runs = await Promise.all(
      Array.from({ length: 50 }, () =>
        runCli(['auth', 'token', '--url', serverUrl, '--min-ttl', '0'], { env: d.env }),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const tokens = new Set(runs.map((r) => r.stdout.trim()));
    assert.equal(tokens.size, 1, 'every process got the same token');
    const [token] = tokens;
    assert.notEqual(fingerprint(token), fingerprint(seeded.access_token), 'the token was refreshed');
    assert.equal(refreshRequests(idp) - before, 1, 'exactly one refresh request reached the IdP');
    const starts = await Promise.all(
      Array.from({ length: 5 }, () => runCli(['daemon', 'start', '--json'], { env: d.env })),
    );
    assert.equal(
      new Set(starts.map((s) => JSON.parse(s.stdout).pid)).size,
      1,
      'exactly one daemon serves them all',
    );
  });
});

test('rotation: repeated refreshes never present a rotated-out refresh token', async () => {
  await withDaemon(async (d) => {
    const serverUrl = 'http://127.0.0.1:1/rotation';
    await seedLogin(idp, d.client, serverUrl);
    const before = refreshRequests(idp);
    const seen = new Set<string>();
    let current = await d.client.getToken({ serverUrl });
    seen.add(current.fingerprint);
    for (let i = 0; i < 4; i++) {
      // Report the current token as rejected: the daemon refreshes once for it.
      current = await d.client.getToken({ serverUrl, rejectedFingerprint: current.fingerprint });
      assert.ok(!seen.has(current.fingerprint), 'a new access token each time');
      seen.add(current.fingerprint);
    }
    assert.equal(refreshRequests(idp) - before, 4);
    // oidc-provider revokes the whole grant when a rotated-out refresh token is reused; the last
    // refresh succeeding proves none was.
    const errors = idp.requests.filter((r) => r.grantType === 'refresh_token' && r.status >= 400);
    assert.equal(errors.length, 0);
    const [summary] = await d.client.listCredentials();
    assert.equal(summary.state, 'valid');
  });
});

test('a reported 401 refreshes once per token generation, never a storm', async () => {
  await withDaemon(async (d) => {
    const serverUrl = 'http://127.0.0.1:1/storm';
    const seeded = await seedLogin(idp, d.client, serverUrl);
    const before = refreshRequests(idp);
    const rejected = fingerprint(seeded.access_token);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => d.client.getToken({ serverUrl, rejectedFingerprint: rejected })),
    );
    assert.equal(new Set(answers.map((a) => a.fingerprint)).size, 1);
    assert.notEqual(answers[0].fingerprint, rejected);
    // Late reports of the old token get the new one without another refresh.
    const late = await d.client.getToken({ serverUrl, rejectedFingerprint: rejected });
    assert.equal(late.fingerprint, answers[0].fingerprint);
    assert.equal(refreshRequests(idp) - before, 1);
  });
});

test('a token that expires the moment it is stored is refreshed at the first request, not refused', async () => {
  // On the injected clock no millisecond passes between the import and the request: the token
  // has exactly 0 ms left, which is expired.
  const d = await startInProcessDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:1/zero-life';
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 0 });
    const before = refreshRequests(idp);
    const token = await d.client.getToken({ serverUrl });
    assert.notEqual(token.fingerprint, fingerprint(seeded.access_token), 'a new token');
    assert.equal(refreshRequests(idp) - before, 1);
  } finally {
    await d.cleanup();
  }
});

test('IdP answering 500: backoff, the old token is served until it expires, then a clear error', async () => {
  const d = await startInProcessDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:1/idp-down';
    // 6 s of life: the proactive refresh fires 2.4–3 s in, fails, and backs off.
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 6 });
    idp.setFault({ status: 500 }, { path: '/token' });
    try {
      const before = idp.requests.filter((r) => r.path === '/token').length;
      assert.ok((await d.elapse(3500)) >= 1, 'the proactive refresh fired');
      for (let i = 0; i < 10; i++) {
        const again = await d.client.getToken({ serverUrl });
        assert.equal(again.fingerprint, fingerprint(seeded.access_token), 'the old token is still served');
      }
      const [summary] = await d.client.listCredentials();
      assert.equal(summary.state, 'refresh_failing');
      assert.match(summary.lastError ?? '', /HTTP 500/);
      await d.elapse(3000);
      await assert.rejects(
        () => d.client.getToken({ serverUrl }),
        (err: unknown) =>
          err instanceof McptestError && err.code === 'idp_unavailable' && /500/.test(err.message),
      );
      const requestsWhileDown = idp.requests.filter((r) => r.path === '/token').length - before;
      assert.ok(
        requestsWhileDown >= 1 && requestsWhileDown <= 5,
        `bounded retries while down (saw ${requestsWhileDown})`,
      );
    } finally {
      idp.setFault(null);
    }
    // Once the IdP is back and the backoff has passed, the next request refreshes.
    await d.elapse(5000);
    const recovered = await d.client.getToken({ serverUrl });
    assert.equal(recovered.source, 'import');
    assert.notEqual(recovered.fingerprint, fingerprint(seeded.access_token), 'a new token');
    const [summary] = await d.client.listCredentials();
    assert.equal(summary.state, 'valid');
  } finally {
    await d.cleanup();
  }
});

test('IdP answering 500 for an expired token: `mcptest auth token` prints the refresh failure', async () => {
  await withDaemon(async (d) => {
    const serverUrl = 'http://127.0.0.1:1/idp-down-cli';
    // Expired on arrival: the CLI's request refreshes at once, and the IdP refuses.
    await seedLogin(idp, d.client, serverUrl, { expiresIn: 0 });
    idp.setFault({ status: 500 }, { path: '/token' });
    try {
      const cli = await runCli(['auth', 'token', '--url', serverUrl], { env: d.env });
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /error: .*token refresh failed.*HTTP 500/);
    } finally {
      idp.setFault(null);
    }
  });
});

test('revoked grant: "needs login" with the login hint, and no further IdP calls', async () => {
  const env = isolatedEnv();
  try {
    const serverUrl = 'http://127.0.0.1:1/revoked';
    const before = refreshRequests(idp);
    const d = await startInProcessDaemon({ env });
    try {
      await seedLogin(idp, d.client, serverUrl, { expiresIn: 1 });
      idp.revokeGrants();
      assert.equal(await d.elapse(1100), 1, 'the refresh timer fired');
      for (let i = 0; i < 5; i++) {
        await assert.rejects(
          () => d.client.getToken({ serverUrl }),
          (err: unknown) =>
            err instanceof McptestError &&
            err.code === 'needs_login' &&
            err.hint === `mcptest login ${serverUrl}`,
        );
      }
      // Nothing left to retry: no timer, however long the daemon runs.
      assert.equal(await d.elapse(3_600_000), 0, 'no timer armed');
      assert.equal(refreshRequests(idp) - before, 1, 'one refusal, then no retry loop');
    } finally {
      await d.close();
    }
    // The real daemon process takes over the store: the CLI is told the same, still without IdP calls.
    const real = await startTestDaemon({ env });
    try {
      const cli = await runCli(['auth', 'token', '--url', serverUrl], { env });
      assert.equal(cli.code, 3, 'auth exit code');
      assert.match(cli.stderr, new RegExp(`hint: mcptest login ${serverUrl}`));
      const status = await runCli(['auth', 'status', '--json'], { env });
      const parsed = JSON.parse(status.stdout);
      assert.equal(parsed.credentials[0].state, 'needs_login');
      assert.equal(parsed.credentials[0].refreshable, false);
      assert.equal(refreshRequests(idp) - before, 1, 'no IdP call from the real daemon either');
    } finally {
      await real.client.close();
      await real.stop();
    }
  } finally {
    await env.cleanup();
  }
});

test('the refresh timer renews a token ahead of expiry without any caller', async () => {
  const d = await startInProcessDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:1/proactive';
    // 31 s of life: the margin (at least 30 s, at most half the life) puts the timer ~15 s out.
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 31 });
    const status = await d.client.status();
    assert.equal(status.refreshes.length, 1);
    const inMs = (status.nextRefreshAt ?? 0) - d.clock.now();
    assert.ok(inMs > 10_000 && inMs <= 16_000, `refresh scheduled ${inMs} ms out`);
    const [summary] = await d.client.listCredentials();
    assert.equal(summary.fingerprint, fingerprint(seeded.access_token));
    assert.equal(summary.refreshable, true);
    // Time passes with no caller: the timer alone renews the token, before it expires.
    const before = refreshRequests(idp);
    assert.equal(await d.elapse(inMs), 1, 'the timer fired once');
    assert.equal(refreshRequests(idp) - before, 1, 'one refresh');
    const [renewed] = await d.client.listCredentials();
    assert.notEqual(renewed.fingerprint, fingerprint(seeded.access_token), 'renewed');
    assert.equal(renewed.state, 'valid');
    assert.ok((renewed.expiresAt ?? 0) > d.clock.now() + 30_000, 'with its new life ahead');
  } finally {
    await d.cleanup();
  }
});

test("auth token --min-ttl beyond a fresh token's life: no refresh per call, the token, and a note saying so", async () => {
  await withDaemon(async (d) => {
    const serverUrl = 'http://127.0.0.1:1/short-lived';
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 600 });
    const before = refreshRequests(idp);
    for (let i = 0; i < 3; i++) {
      const run = await runCli(['auth', 'token', '--url', serverUrl, '--min-ttl', '900'], { env: d.env });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${seeded.access_token}\n`, 'stdout holds the token alone, for $(...)');
      assert.match(run.stderr, /^note: this token is valid for \d+m \d+s, less than --min-ttl 900s/);
    }
    assert.equal(refreshRequests(idp) - before, 0, 'a 10-minute token is not refreshed for a 15-minute wish');
    const plain = await runCli(['auth', 'token', '--url', serverUrl], { env: d.env });
    assert.equal(plain.stderr, '', 'no note when the token outlives --min-ttl');
  });
});
