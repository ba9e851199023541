/**
 * The failure policy of refreshes (daemon/tokens/failure-policy.ts), on the fake clock and a real
 * token store in a temporary folder: a transient IdP failure backs off exponentially with jitter
 * and retries only while the old token is worth saving; a refusal marks the login needs_login
 * with a hint that is a command; a client-credentials refusal is reported as it is.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../daemon/logger.js';
import { Metrics } from '../../daemon/metrics.js';
import { type NewCredential, TokenStore } from '../../daemon/store/token-store.js';
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelay,
  FailurePolicy,
} from '../../daemon/tokens/failure-policy.js';
import { McptestError } from '../../shared/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SERVER = 'https://mcp.example/mcp';
const HOUR = 3_600_000;

function setup(random = 0.5) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-policy-'));
  const store = TokenStore.open(path.join(dir, 'auth', 'tokens.db'));
  const clock = new FakeClock(10_000_000);
  const metrics = new Metrics();
  const lines: string[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const policy = new FailurePolicy({ store, clock, logger, metrics, random: () => random });
  const login = (over: Partial<NewCredential> = {}) =>
    store.putCredential(
      {
        key: SERVER,
        serverUrl: SERVER,
        source: 'browser',
        accessToken: 'at-secret-1',
        refreshToken: 'rt-secret-1',
        tokenType: 'Bearer',
        scope: 'mcp:read',
        expiresAt: clock.now() + HOUR,
        issuer: 'https://idp.example',
        tokenEndpoint: 'https://idp.example/token',
        revocationEndpoint: null,
        clientId: 'client-1',
        clientSecret: null,
        authMethod: 'none',
        resource: SERVER,
        ...over,
      },
      clock.now(),
    );
  const cleanup = () => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { store, clock, metrics, lines, policy, login, cleanup };
}

const unavailable = () =>
  new McptestError('idp_unavailable', 'token refresh failed at https://idp.example/token: HTTP 503', {
    details: { transient: true, status: 503 },
  });
const refused = (oauthError: string) =>
  new McptestError(
    oauthError === 'invalid_client' ? 'invalid_client' : 'idp_error',
    `token refresh failed at https://idp.example/token: HTTP 400 ${oauthError}`,
    { details: { transient: false, oauthError, status: 400 } },
  );

test('backoff doubles from 1 s up to 60 s, with a jitter of ±20 %', () => {
  assert.equal(backoffDelay(1, 0.5), BACKOFF_BASE_MS);
  assert.equal(backoffDelay(2, 0.5), 2 * BACKOFF_BASE_MS);
  assert.equal(backoffDelay(6, 0.5), 32 * BACKOFF_BASE_MS);
  assert.equal(backoffDelay(7, 0.5), BACKOFF_MAX_MS);
  assert.equal(backoffDelay(40, 0.5), BACKOFF_MAX_MS);
  assert.equal(backoffDelay(1, 0), 0.8 * BACKOFF_BASE_MS);
  assert.ok(Math.abs(backoffDelay(7, 1) - 1.2 * BACKOFF_MAX_MS) < 1e-6);
});

test('a transient failure backs off, gates further requests until its retry time, and arms a retry', () => {
  const { store, clock, metrics, policy, login, cleanup } = setup();
  try {
    const row = login();
    const first = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row,
      err: unavailable(),
      uncommitted: false,
    });
    assert.equal(first.kind, 'transient');
    assert.equal(first.error.code, 'idp_unavailable');
    assert.equal(first.retryAt, clock.now() + 1_000);
    assert.ok(policy.failing(SERVER));
    assert.equal(store.getCredential(SERVER)?.lastError, first.error.message);
    assert.equal(store.getCredential(SERVER)?.state, 'valid', 'the old token is kept');

    const gate = policy.backingOff(SERVER);
    assert.ok(gate);
    assert.equal(gate.code, 'idp_unavailable');
    assert.match(gate.message, /\(next attempt in 1s\)$/);
    clock.jump(1_000);
    assert.equal(policy.backingOff(SERVER), null, 'the retry time has come');

    const second = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row,
      err: unavailable(),
      uncommitted: false,
    });
    assert.equal(second.retryAt, clock.now() + 2_000, 'the delay doubles');
    assert.match(policy.backingOff(SERVER)?.message ?? '', /\(next attempt in 2s\)$/);
    assert.match(metrics.render(), /mcptest_refreshes_total\{outcome="transient_error"\} 2/);

    policy.succeeded(SERVER);
    assert.equal(policy.failing(SERVER), false);
    assert.equal(policy.backingOff(SERVER), null);
    const again = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row,
      err: unavailable(),
      uncommitted: false,
    });
    assert.equal(again.retryAt, clock.now() + 1_000, 'a success starts the backoff over');
  } finally {
    cleanup();
  }
});

test('no background retry for a token that expires before it, nor for a credential not stored yet', () => {
  const { clock, policy, login, cleanup } = setup();
  try {
    const row = login({ expiresAt: clock.now() + 500 });
    const out = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row,
      err: unavailable(),
      uncommitted: false,
    });
    assert.equal(out.kind, 'transient');
    assert.equal(out.retryAt, null);
    const first = policy.failed({
      key: 'other',
      serverUrl: 'https://other.example/mcp',
      row: undefined,
      err: unavailable(),
      uncommitted: false,
    });
    assert.equal(first.kind, 'transient');
    assert.equal(first.retryAt, null);
    assert.ok(policy.failing('other'), 'the first mint backs off all the same');
  } finally {
    cleanup();
  }
});

test('a refused refresh token marks the login needs_login with a login hint; a refused client with --force', () => {
  const { store, metrics, lines, policy, login, cleanup } = setup();
  try {
    const row = login();
    const out = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row,
      err: refused('invalid_grant'),
      uncommitted: false,
    });
    assert.equal(out.kind, 'needs_login');
    assert.equal(out.retryAt, null);
    assert.equal(out.error.code, 'needs_login');
    assert.equal(out.error.hint, `mcptest login ${SERVER}`);
    assert.match(out.error.message, /can no longer be refreshed: .*invalid_grant/);
    const stored = store.getCredential(SERVER);
    assert.equal(stored?.state, 'needs_login');
    assert.match(stored?.lastError ?? '', /invalid_grant/);
    assert.equal(policy.failing(SERVER), false, 'a refusal is not backed off: it is final');
    assert.match(metrics.render(), /mcptest_refreshes_total\{outcome="needs_login"\} 1/);

    const client = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row: login(),
      err: refused('invalid_client'),
      uncommitted: false,
    });
    assert.equal(client.error.hint, `mcptest login ${SERVER} --force`);
    const log = lines.join('');
    assert.match(log, /refresh refused; credential needs login/);
    for (const secret of ['at-secret-1', 'rt-secret-1'])
      assert.ok(!log.includes(secret), 'no token in the log');
  } finally {
    cleanup();
  }
});

test('a refused retry of a refresh a crash cut off says so, once', () => {
  const { store, policy, login, cleanup } = setup();
  try {
    policy.noteCrashInterrupted(SERVER);
    const out = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row: login(),
      err: refused('invalid_grant'),
      uncommitted: false,
    });
    assert.equal(out.kind, 'needs_login');
    assert.match(out.error.message, /interrupted by a daemon crash/);
    assert.match(store.getCredential(SERVER)?.lastError ?? '', /interrupted by a daemon crash/);
    const next = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row: login(),
      err: refused('invalid_grant'),
      uncommitted: false,
    });
    assert.doesNotMatch(next.error.message, /daemon crash/);
  } finally {
    cleanup();
  }
});

test('the refresh-in-flight marker is cleared by a failure, unless a won set still waits for its commit', () => {
  const { store, clock, policy, login, cleanup } = setup();
  try {
    const row = login();
    store.markRefreshStarted(SERVER, row.generation, clock.now());
    policy.failed({ key: SERVER, serverUrl: SERVER, row, err: unavailable(), uncommitted: true });
    assert.notEqual(store.getCredential(SERVER)?.refreshStartedAt, null);
    policy.failed({ key: SERVER, serverUrl: SERVER, row, err: unavailable(), uncommitted: false });
    assert.equal(store.getCredential(SERVER)?.refreshStartedAt, null);
  } finally {
    cleanup();
  }
});

test('a client-credentials refusal is an error as it is (no needs_login), and any other throw is internal', () => {
  const { store, clock, metrics, policy, login, cleanup } = setup();
  try {
    const row = login({ source: 'client_credentials', refreshToken: null });
    const out = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row,
      err: refused('invalid_client'),
      uncommitted: false,
    });
    assert.equal(out.kind, 'error');
    assert.equal(out.error.code, 'invalid_client');
    assert.equal(out.retryAt, null);
    assert.equal(store.getCredential(SERVER)?.state, 'valid');
    assert.match(store.getCredential(SERVER)?.lastError ?? '', /invalid_client/);

    const odd = policy.failed({
      key: SERVER,
      serverUrl: SERVER,
      row: undefined,
      err: new TypeError('boom'),
      uncommitted: false,
    });
    assert.equal(odd.kind, 'error');
    assert.equal(odd.error.code, 'internal');
    assert.equal(odd.error.message, 'boom');
    assert.match(metrics.render(), /mcptest_refreshes_total\{outcome="error"\} 2/);
    assert.equal(clock.pending().length, 0, 'the policy arms no timer itself');
  } finally {
    cleanup();
  }
});
