/**
 * An IdP that hands out tokens with almost no life (expires_in 1) or none (expires_in 0): the
 * daemon keeps its token requests spaced, whatever the number of callers, instead of refreshing
 * on every call or in a tight timer loop. The daemon is built in-process with a FakeClock (its
 * seconds pass by moving the clock, its timers fire at their times); the IdP is real.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clientCredentialsClient, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type InProcessDaemon, startInProcessDaemon } from '../helpers/in-process-daemon.js';

const SECRET = 'short-lived-secret-value';
let idp: Idp;
let d: InProcessDaemon;
before(async () => {
  idp = await startIdp({
    accessTokenTtl: 1,
    clients: [clientCredentialsClient('brief', SECRET, 'mcp:read')],
  });
  d = await startInProcessDaemon();
});
after(async () => {
  await d.cleanup();
  await idp.close();
});

const mints = () => idp.requests.filter((r) => r.path === '/token').length;

/**
 * 10 callers every 100 ms of the daemon's time for `ms`: what a busy parallel suite does. Returns
 * calls served, `token_expired` answers, and the daemon's seconds taken. A token that arrives dead
 * would be said so (the daemon never hands out an expired token), which counts apart; any other
 * failure fails the test.
 */
async function hammer(
  serverUrl: string,
  ms: number,
): Promise<{ served: number; expired: number; seconds: number }> {
  const spec = { clientId: 'brief', clientSecret: SECRET, tokenUrl: idp.tokenEndpoint, scope: 'mcp:read' };
  let served = 0;
  let expired = 0;
  const started = d.clock.now();
  while (d.clock.now() < started + ms) {
    const got = await Promise.all(
      Array.from({ length: 10 }, () =>
        d.client.getToken({ serverUrl, clientCredentials: spec }).then(
          () => 'token',
          (err: { code?: string }) => {
            if (err?.code !== 'token_expired') throw err;
            return 'expired';
          },
        ),
      ),
    );
    served += got.filter((g) => g === 'token').length;
    expired += got.filter((g) => g === 'expired').length;
    await d.elapse(100);
  }
  return { served, expired, seconds: (d.clock.now() - started) / 1000 };
}

test('tokens that live one second: token requests stay spaced, not one per call', async (t) => {
  const before = mints();
  const { served, expired, seconds } = await hammer('http://127.0.0.1:1/brief', 6_000);
  const requests = mints() - before;
  t.diagnostic(`${requests} token requests for ${served} calls (${expired} token_expired) in ${seconds} s`);
  assert.ok(served >= 60, `callers kept asking (${served} calls)`);
  assert.ok(expired <= served / 10, `${expired} callers were told the token expired, ${served} served`);
  // At most one request per second (the least gap between two), plus the first mint.
  assert.ok(
    requests <= Math.ceil(seconds) + 1,
    `${requests} token requests for ${served} calls in ${seconds} s`,
  );
  assert.ok(requests >= 2, 'the token was renewed as it expired');
});

test('tokens that come with expires_in 0: no storm of token requests', async (t) => {
  idp.setFault(
    { status: 200, body: { access_token: 'z'.repeat(40), token_type: 'Bearer', expires_in: 0 } },
    { path: '/token' },
  );
  try {
    const before = mints();
    const { served, expired, seconds } = await hammer('http://127.0.0.1:1/no-life', 4_000);
    assert.equal(expired, 0, 'a token without a lifetime never expires');
    const requests = mints() - before;
    t.diagnostic(`${requests} token requests for ${served} calls in ${seconds} s`);
    assert.ok(served >= 40, `callers kept asking (${served} calls)`);
    // The first mint, and the other credential's renewal that the same fault answers.
    assert.ok(requests <= 3, `${requests} token requests for ${served} calls in ${seconds} s`);
  } finally {
    idp.setFault(null);
  }
});
