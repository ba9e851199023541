import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp, clientCredentialsClient } from '../../examples/oauth-server/idp.js';
import { ExitCode, McptestError } from '../../shared/errors.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let idp: Idp;
let d: TestDaemon;
const serverUrl = 'http://127.0.0.1:1/cc';
before(async () => {
  idp = await startIdp({
    clients: [clientCredentialsClient('cc-client', 'right-secret-value', 'mcp:read')],
  });
  d = await startTestDaemon();
});
after(async () => {
  await d.cleanup();
  await idp.close();
});

const ccRequests = () => idp.requests.filter((r) => r.grantType === 'client_credentials').length;

test('client credentials are exchanged once and cached for every caller', async () => {
  const before = ccRequests();
  const spec = {
    clientId: 'cc-client',
    clientSecret: 'right-secret-value',
    tokenUrl: idp.tokenEndpoint,
    scope: 'mcp:read',
  };
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => d.client.getToken({ serverUrl, clientCredentials: spec })),
  );
  assert.equal(new Set(answers.map((a) => a.fingerprint)).size, 1);
  assert.equal(answers[0].source, 'client_credentials');
  assert.equal(ccRequests() - before, 1);
  const [summary] = (await d.client.listCredentials()).filter((c) => c.source === 'client_credentials');
  assert.equal(summary.clientId, 'cc-client');
  assert.equal(summary.refreshable, true, 're-minted ahead of expiry while the secret is in memory');
  // A 401 on that token re-mints once.
  const renewed = await d.client.getToken({
    serverUrl,
    clientCredentials: spec,
    rejectedFingerprint: answers[0].fingerprint,
  });
  assert.notEqual(renewed.fingerprint, answers[0].fingerprint);
  assert.equal(ccRequests() - before, 2);
});

test('a wrong client secret is invalid_client (an auth failure), not an outage', async () => {
  await assert.rejects(
    () =>
      d.client.getToken({
        serverUrl: 'http://127.0.0.1:1/cc-wrong',
        clientCredentials: {
          clientId: 'cc-client',
          clientSecret: 'wrong-secret',
          secretEnv: 'CC_SECRET',
          tokenUrl: idp.tokenEndpoint,
        },
      }),
    (err: unknown) =>
      err instanceof McptestError &&
      err.code === 'invalid_client' &&
      err.exitCode === ExitCode.auth &&
      /HTTP 401 invalid_client/.test(err.message) &&
      /client `cc-client` with the secret in env var `CC_SECRET`/.test(err.message) &&
      /--client-secret-env CC_SECRET/.test(err.hint ?? '') &&
      !err.message.includes('wrong-secret'),
  );
});

test('after a restart, a cached client-credentials token goes only to a caller with the secret it was minted with', async () => {
  const own = await startTestDaemon();
  const url = 'http://127.0.0.1:1/cc-restart';
  const spec = { clientId: 'cc-client', clientSecret: 'right-secret-value', tokenUrl: idp.tokenEndpoint };
  try {
    const minted = await own.client.getToken({ serverUrl: url, clientCredentials: spec });
    await own.stop();
    await own.client.close();
    const db = fs.readFileSync(path.join(own.env.MCPTEST_HOME as string, 'auth', 'tokens.db'));
    assert.ok(!db.includes('right-secret-value'), 'the secret is not stored');

    // A fresh daemon, no secret in memory: a wrong secret is not served the cached token.
    const fresh = await startTestDaemon({ env: own.env });
    try {
      const before = ccRequests();
      await assert.rejects(
        () =>
          fresh.client.getToken({
            serverUrl: url,
            clientCredentials: { ...spec, clientSecret: 'wrong-secret' },
          }),
        (err: unknown) => err instanceof McptestError && err.code === 'invalid_client',
      );
      assert.equal(ccRequests() - before, 1, 'minted with the presented secret, refused by the IdP');
      const right = await fresh.client.getToken({ serverUrl: url, clientCredentials: spec });
      assert.equal(right.source, 'client_credentials');
    } finally {
      await fresh.stop();
      await fresh.client.close();
    }
    // And the right secret after a restart is served the cached token, with no new mint.
    const third = await startTestDaemon({ env: own.env });
    try {
      const cached = (await third.client.listCredentials()).find((c) => c.source === 'client_credentials');
      const before = ccRequests();
      const again = await third.client.getToken({ serverUrl: url, clientCredentials: spec });
      assert.equal(again.fingerprint, cached?.fingerprint);
      assert.notEqual(again.fingerprint, minted.fingerprint, 'the token minted after the refusal');
      assert.equal(ccRequests() - before, 0);
    } finally {
      await third.cleanup();
    }
  } finally {
    await own.cleanup();
  }
});
