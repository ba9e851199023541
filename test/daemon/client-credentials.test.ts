import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp, clientCredentialsClient } from '../../examples/oauth-server/idp.js';
import { startMcpServer } from '../../examples/oauth-server/mcp-server.js';
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

test('a server that moves to another authorization server: its client secret is not sent there', async () => {
  // The second IdP knows the same client and secret, so only the daemon's refusal stops a mint there.
  const idp2 = await startIdp({
    clients: [clientCredentialsClient('cc-client', 'right-secret-value', 'mcp:read')],
  });
  let mcp = await startMcpServer({ issuer: idp.issuer });
  const port = Number(new URL(mcp.url).port);
  const spec = { clientId: 'cc-client', clientSecret: 'right-secret-value', scope: 'mcp:read' };
  const atIdp2 = () => idp2.requests.filter((r) => r.grantType === 'client_credentials').length;
  try {
    const first = await d.client.getToken({ serverUrl: mcp.url, clientCredentials: spec });
    assert.equal(first.source, 'client_credentials');
    await mcp.close();
    mcp = await startMcpServer({ issuer: idp2.issuer, port });
    for (const rejectedFingerprint of [first.fingerprint, undefined]) {
      await assert.rejects(
        () => d.client.getToken({ serverUrl: mcp.url, clientCredentials: spec, rejectedFingerprint }),
        (err: McptestError) => {
          assert.equal(err.code, 'issuer_mismatch');
          assert.ok(err.message.includes(`now names the authorization server ${idp2.issuer}`), err.message);
          assert.ok(err.message.includes(`registered with ${idp.issuer}`), err.message);
          assert.match(err.hint ?? '', /--token-url/);
          return true;
        },
      );
    }
    assert.equal(atIdp2(), 0, 'no client-credentials request reached the new authorization server');
    // Naming the token endpoint is the user's explicit choice.
    const chosen = await d.client.getToken({
      serverUrl: mcp.url,
      clientCredentials: { ...spec, tokenUrl: idp2.tokenEndpoint },
    });
    assert.equal(chosen.source, 'client_credentials');
    assert.equal(atIdp2(), 1);
  } finally {
    await mcp.close();
    await idp2.close();
  }
});
