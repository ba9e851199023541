/**
 * The request/response pairs of a login's OAuth exchanges (daemon/oauth/device-authorization.ts,
 * daemon/oauth/code-exchange.ts) and the one request-options builder, against the real test IdP
 * (oidc-provider) for the wire, and a small HTTP server of this test's own for the error bodies
 * a real IdP does not send.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type * as oauth from 'oauth4webapi';
import {
  authorizationCodeRequest,
  type CodeLogin,
  processAuthorizationCodeResponse,
  validateAuthorizationResponse,
} from '../../daemon/oauth/code-exchange.js';
import {
  type DeviceAuthorizationTarget,
  deviceAuthorizationEndpoint,
  deviceAuthorizationRequest,
  devicePollError,
  deviceTokenRequest,
  processDeviceAuthorizationResponse,
  processDeviceTokenResponse,
} from '../../daemon/oauth/device-authorization.js';
import { requestOptions } from '../../daemon/oauth/token-endpoint.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { McptestError } from '../../shared/errors.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SERVER_URL = 'http://127.0.0.1:9/mcp';
const ctx = { fetch: globalThis.fetch, timeoutMs: 10_000, now: () => Date.now() };

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<McptestError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof McptestError, `expected McptestError, got ${err}`);
    return err;
  }
  assert.fail('expected a failure');
}

/** A server answering every request with one canned answer; records the request bodies. */
async function cannedServer(answer: { status: number; body: string; headers?: Record<string, string> }) {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('device authorization grant exchanges (RFC 8628) against the real IdP', () => {
  let idp: Idp;
  let as: oauth.AuthorizationServer;
  let target: DeviceAuthorizationTarget;
  before(async () => {
    idp = await startIdp();
    as = (await (await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).json()) as typeof as;
    target = { serverUrl: SERVER_URL, issuer: idp.issuer, as, resource: SERVER_URL };
  });
  after(async () => {
    await idp.close();
  });

  async function deviceClient() {
    const client = await idp.registerClient({
      client_name: 'oauth-login-exchanges',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'none',
    });
    return { clientId: client.client_id as string, authMethod: 'none' };
  }

  test('the device authorization pair returns a checked, typed device code; polls pend, then issue tokens', async () => {
    const client = await deviceClient();
    const res = await deviceAuthorizationRequest(target, client, { scope: 'mcp:read offline_access' }, ctx);
    const device = await processDeviceAuthorizationResponse(target, client, res);
    assert.ok(device.deviceCode.length > 10);
    assert.match(device.userCode, /\S/);
    assert.ok(device.verificationUri.startsWith(idp.issuer), device.verificationUri);
    assert.ok(device.expiresIn > 0);

    const tokenTarget = { tokenEndpoint: idp.tokenEndpoint, issuer: idp.issuer };
    const poll = async () =>
      processDeviceTokenResponse(
        tokenTarget,
        client,
        await deviceTokenRequest(tokenTarget, client, device.deviceCode, { resource: SERVER_URL }, ctx),
        ctx,
      );
    const pending = await rejection(poll());
    assert.equal(devicePollError(pending), 'authorization_pending');
    assert.equal(pending.details?.oauthError, 'authorization_pending');

    await idp.approveDevice(device.userCode);
    const tokens = await poll();
    assert.ok(tokens.accessToken.length > 20);
    assert.ok(tokens.refreshToken, 'offline_access brings a refresh token');
    assert.equal(tokens.tokenType.toLowerCase(), 'bearer');
    assert.ok(tokens.expiresAt && tokens.expiresAt > Date.now());
    const grant = idp.requests.filter((r) => r.grantType === DEVICE_GRANT);
    assert.equal(grant.length, 2, 'one request per poll');
  });

  test('a denied device code polls as access_denied', async () => {
    const client = await deviceClient();
    const device = await processDeviceAuthorizationResponse(
      target,
      client,
      await deviceAuthorizationRequest(target, client, {}, ctx),
    );
    await idp.approveDevice(device.userCode, { deny: true });
    const tokenTarget = { tokenEndpoint: idp.tokenEndpoint, issuer: idp.issuer };
    const denied = await rejection(
      (async () =>
        processDeviceTokenResponse(
          tokenTarget,
          client,
          await deviceTokenRequest(tokenTarget, client, device.deviceCode, { resource: SERVER_URL }, ctx),
          ctx,
        ))(),
    );
    assert.equal(devicePollError(denied), 'access_denied');
  });

  test('an unknown client is refused with a hint to register afresh', async () => {
    const client = { clientId: 'no-such-client', authMethod: 'none' };
    const e = await rejection(
      (async () =>
        processDeviceAuthorizationResponse(
          target,
          client,
          await deviceAuthorizationRequest(target, client, {}, ctx),
        ))(),
    );
    assert.equal(e.code, 'invalid_client');
    assert.match(
      e.message,
      /the client no-such-client cached for http:\/\/127\.0\.0\.1:9\/mcp is likely not registered/,
    );
    assert.equal(e.hint, `mcptest login --device --url ${SERVER_URL} --force`);
  });

  test('an authorization server without a device endpoint is device_unsupported', async () => {
    const { device_authorization_endpoint: _, ...without } = as;
    const e = await rejection(() => deviceAuthorizationEndpoint({ ...target, as: without as typeof as }));
    assert.equal(e.code, 'device_unsupported');
    assert.equal(e.hint, `mcptest login --no-browser ${SERVER_URL}`);
  });
});

describe('device authorization responses a real IdP does not send', () => {
  const device = (extra: Record<string, unknown>) =>
    JSON.stringify({ device_code: 'dc', user_code: 'UC', expires_in: 600, ...extra });

  async function authorize(answer: { status: number; body: string }) {
    const server = await cannedServer(answer);
    try {
      const t: DeviceAuthorizationTarget = {
        serverUrl: SERVER_URL,
        issuer: server.origin,
        as: { issuer: server.origin, device_authorization_endpoint: `${server.origin}/device` },
        resource: SERVER_URL,
      };
      const client = { clientId: 'c1', authMethod: 'none' };
      const result = await processDeviceAuthorizationResponse(
        t,
        client,
        await deviceAuthorizationRequest(t, client, { scope: 'mcp:read' }, ctx),
      );
      return { result, sent: new URLSearchParams(server.bodies[0]) };
    } finally {
      await server.close();
    }
  }

  test('sends resource and scope; reads interval and verification_uri_complete', async () => {
    const { result, sent } = await authorize({
      status: 200,
      body: device({
        verification_uri: 'https://idp.example/device',
        verification_uri_complete: 'https://idp.example/device?c=UC',
        interval: 7,
      }),
    });
    assert.equal(sent.get('resource'), SERVER_URL);
    assert.equal(sent.get('scope'), 'mcp:read');
    assert.equal(sent.get('client_id'), 'c1');
    assert.deepEqual(result, {
      deviceCode: 'dc',
      userCode: 'UC',
      verificationUri: 'https://idp.example/device',
      verificationUriComplete: 'https://idp.example/device?c=UC',
      interval: 7,
      expiresIn: 600,
    });
  });

  test('a verification URI a human must not be sent to is refused', async () => {
    const e = await rejection(
      authorize({ status: 200, body: device({ verification_uri: 'http://evil.example/device' }) }),
    );
    assert.equal(e.code, 'peer_url_refused');
    assert.match(e.message, /verification_uri .*not an https URL/);
    const complete = await rejection(
      authorize({
        status: 200,
        body: device({
          verification_uri: 'https://idp.example/device',
          verification_uri_complete: 'javascript:alert(1)',
        }),
      }),
    );
    assert.match(complete.message, /verification_uri_complete/);
  });

  test('an unauthorized_client body names the cached client; a 503 is transient', async () => {
    const refused = await rejection(
      authorize({ status: 400, body: JSON.stringify({ error: 'unauthorized_client' }) }),
    );
    assert.equal(refused.code, 'idp_error');
    assert.match(refused.message, /device authorization request failed at .*HTTP 400 unauthorized_client/);
    assert.match(
      refused.message,
      /the client c1 cached for .* is likely not registered for the device grant/,
    );
    const down = await rejection(
      authorize({ status: 503, body: JSON.stringify({ error: 'temporarily_unavailable' }) }),
    );
    assert.equal(down.code, 'idp_unavailable');
    assert.equal(down.details?.transient, true);
  });

  test('slow_down is read from the body of a poll answer', async () => {
    const server = await cannedServer({ status: 400, body: JSON.stringify({ error: 'slow_down' }) });
    try {
      const t = { tokenEndpoint: `${server.origin}/token`, issuer: server.origin };
      const client = { clientId: 'c1', authMethod: 'none' };
      const e = await rejection(
        (async () =>
          processDeviceTokenResponse(
            t,
            client,
            await deviceTokenRequest(t, client, 'dc', { resource: SERVER_URL }, ctx),
            ctx,
          ))(),
      );
      assert.equal(devicePollError(e), 'slow_down');
      const sent = new URLSearchParams(server.bodies[0]);
      assert.equal(sent.get('grant_type'), DEVICE_GRANT);
      assert.equal(sent.get('device_code'), 'dc');
      assert.equal(sent.get('resource'), SERVER_URL);
    } finally {
      await server.close();
    }
  });
});

describe('authorization code exchange against the real IdP', () => {
  let idp: Idp;
  let as: oauth.AuthorizationServer;
  before(async () => {
    idp = await startIdp();
    as = (await (await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).json()) as typeof as;
  });
  after(async () => {
    await idp.close();
  });

  /** A native public client, an approved authorization request, and the login it belongs to. */
  async function approved(options: { deny?: boolean } = {}) {
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const client = await idp.registerClient({
      application_type: 'native',
      client_name: 'oauth-login-exchanges',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const codeVerifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const url = new URL(as.authorization_endpoint as string);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'mcp:read',
      state,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: SERVER_URL,
    }).toString();
    const callback = new URL(await idp.approveAuthorization(url.href, options));
    const login: CodeLogin = {
      serverUrl: SERVER_URL,
      state,
      codeVerifier,
      redirectUri,
      resource: SERVER_URL,
      issuer: idp.issuer,
      as,
      clientId: client.client_id,
      clientSecret: null,
      authMethod: 'none',
    };
    return { login, params: callback.searchParams };
  }

  test('a valid callback is redeemed for a Bearer token set; the code works once', async () => {
    const { login, params } = await approved();
    const validated = validateAuthorizationResponse(login, params);
    const tokens = await processAuthorizationCodeResponse(
      login,
      await authorizationCodeRequest(login, validated, ctx),
      ctx,
    );
    assert.ok(tokens.accessToken.length > 20);
    assert.equal(tokens.tokenType.toLowerCase(), 'bearer');
    assert.match(tokens.scope ?? '', /mcp:read/);
    const sent = idp.requests.filter((r) => r.grantType === 'authorization_code').at(-1);
    assert.ok(sent, 'the code went to the real token endpoint');

    const again = await rejection(
      (async () =>
        processAuthorizationCodeResponse(
          login,
          await authorizationCodeRequest(login, validated, ctx),
          ctx,
        ))(),
    );
    assert.equal(again.code, 'idp_error');
    assert.match(again.message, /^authorization code exchange failed at .*: HTTP 400 invalid_grant/);
  });

  test('a foreign state, a missing iss and a denial are each refused by name', async () => {
    const { login, params } = await approved();
    const wrongState = new URLSearchParams(params);
    wrongState.set('state', 'someone-else');
    assert.equal(
      (await rejection(() => validateAuthorizationResponse(login, wrongState))).code,
      'state_mismatch',
    );
    const noIss = new URLSearchParams(params);
    noIss.delete('iss');
    const missing = await rejection(() => validateAuthorizationResponse(login, noIss));
    assert.equal(missing.code, 'issuer_mismatch');
    assert.match(missing.message, /lacks the iss parameter, expected/);
    const otherIss = new URLSearchParams(params);
    otherIss.set('iss', 'https://evil.example');
    assert.match(
      (await rejection(() => validateAuthorizationResponse(login, otherIss))).message,
      /names issuer https:\/\/evil\.example/,
    );

    const denied = await approved({ deny: true });
    const e = await rejection(() => validateAuthorizationResponse(denied.login, denied.params));
    assert.equal(e.code, 'login_denied');
    assert.equal(e.hint, `mcptest login ${SERVER_URL}`);
  });
});

describe('authorization code answers a real IdP does not send', () => {
  async function redeem(answer: { status: number; body: string; headers?: Record<string, string> }) {
    const server = await cannedServer(answer);
    try {
      const login: CodeLogin = {
        serverUrl: SERVER_URL,
        state: 's',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'http://127.0.0.1:1/callback',
        resource: SERVER_URL,
        issuer: server.origin,
        as: { issuer: server.origin, token_endpoint: `${server.origin}/token` },
        clientId: 'c1',
        clientSecret: null,
        authMethod: 'none',
      };
      const validated = validateAuthorizationResponse(
        login,
        new URLSearchParams({ code: 'the-code', state: 's', iss: server.origin }),
      );
      const tokens = await processAuthorizationCodeResponse(
        login,
        await authorizationCodeRequest(login, validated, ctx),
        ctx,
      );
      return { tokens, sent: new URLSearchParams(server.bodies[0]) };
    } finally {
      await server.close();
    }
  }

  test('sends the code, the verifier, the redirect URI and resource', async () => {
    const { tokens, sent } = await redeem({
      status: 200,
      body: JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60 }),
    });
    assert.equal(tokens.accessToken, 'at');
    assert.equal(tokens.refreshToken, null);
    assert.equal(sent.get('grant_type'), 'authorization_code');
    assert.equal(sent.get('code'), 'the-code');
    assert.equal(sent.get('code_verifier'), 'v'.repeat(43));
    assert.equal(sent.get('redirect_uri'), 'http://127.0.0.1:1/callback');
    assert.equal(sent.get('resource'), SERVER_URL);
  });

  test('invalid_client means a stale registration; a token type other than Bearer is refused', async () => {
    const stale = await rejection(redeem({ status: 400, body: JSON.stringify({ error: 'invalid_client' }) }));
    assert.equal(stale.code, 'invalid_client');
    assert.match(stale.message, /rejected client c1 registered for .*; the registration is likely stale/);
    assert.equal(stale.hint, `mcptest login ${SERVER_URL} --force`);
    const mac = await rejection(
      redeem({ status: 200, body: JSON.stringify({ access_token: 'at', token_type: 'mac' }) }),
    );
    assert.equal(mac.code, 'unsupported_token_type');
    assert.ok(!mac.message.includes('"at"'), 'no token in the message');
  });

  test('a login whose authorization server names no token endpoint is discovery_failed', async () => {
    const login = {
      serverUrl: SERVER_URL,
      issuer: 'https://idp.example',
      as: { issuer: 'https://idp.example' },
    } as CodeLogin;
    const e = await rejection(authorizationCodeRequest(login, new URLSearchParams({ code: 'c' }), ctx));
    assert.equal(e.code, 'discovery_failed');
    assert.equal(e.hint, `mcptest login ${SERVER_URL} --force`);
  });
});

describe('requestOptions (the one builder of oauth4webapi options)', () => {
  test('plain http only on loopback, named as the caller names the endpoint', async () => {
    assert.ok(requestOptions(ctx, 'http://127.0.0.1:1/token').signal instanceof AbortSignal);
    const token = await rejection(() => requestOptions(ctx, 'http://idp.example/token'));
    assert.equal(token.code, 'insecure_url');
    assert.match(token.message, /^token endpoint http:\/\/idp\.example\/token must use https/);
    const named = await rejection(() =>
      requestOptions(ctx, 'http://idp.example/register', { endpoint: 'authorization server endpoint' }),
    );
    assert.match(named.message, /^authorization server endpoint http:\/\/idp\.example\/register/);
  });

  test('an answer over the limit is refused as response_too_large, named as asked', async () => {
    const server = await cannedServer({ status: 200, body: JSON.stringify({ pad: 'x'.repeat(4096) }) });
    try {
      const options = requestOptions(ctx, `${server.origin}/register`, {
        limit: 1024,
        what: 'registration answer',
      });
      const fetchFn = Object.getOwnPropertySymbols(options)
        .map((s) => options[s])
        .find((v): v is typeof fetch => typeof v === 'function');
      assert.ok(fetchFn, 'a custom fetch is set');
      const e = await rejection(async () => (await fetchFn(`${server.origin}/register`)).arrayBuffer());
      assert.equal(e.code, 'response_too_large');
      assert.match(e.message, /registration answer/);
    } finally {
      await server.close();
    }
  });
});
