import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import {
  approveInBrowser,
  type Idp,
  startIdp,
  clientCredentialsClient,
} from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const CI_SECRET = 'ci-secret-for-tests-only-0123456789';

let idp: Idp;
let mcp: McpExampleServer;

before(async () => {
  idp = await startIdp({
    clients: [clientCredentialsClient('ci-client', CI_SECRET, 'mcp:read mcp:write')],
  });
  mcp = await startMcpServer({ issuer: idp.issuer });
});

after(async () => {
  await mcp?.close();
  await idp?.close();
});

async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function refresh(refreshToken: string, clientId: string) {
  return postForm(idp.tokenEndpoint, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  });
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'oauth-server-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

function rpc(method: string, params: Record<string, unknown>, token?: string) {
  return fetch(mcp.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
}

async function deviceClient(): Promise<string> {
  const client = await idp.registerClient({
    application_type: 'native',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
    token_endpoint_auth_method: 'none',
    scope: 'mcp:read mcp:write',
  });
  return client.client_id;
}

function startDevice(clientId: string) {
  return postForm(idp.deviceAuthorizationEndpoint, {
    client_id: clientId,
    scope: 'mcp:read',
    resource: mcp.url,
  });
}

function pollDevice(clientId: string, deviceCode: string) {
  return postForm(idp.tokenEndpoint, {
    grant_type: DEVICE_GRANT,
    device_code: deviceCode,
    client_id: clientId,
  });
}

test('authorization server metadata is served on both well-known paths', async () => {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const response = await fetch(`${idp.issuer}${path}`);
    assert.equal(response.status, 200, path);
    const metadata = (await response.json()) as Record<string, any>;
    assert.equal(metadata.issuer, idp.issuer);
    assert.equal(metadata.token_endpoint, idp.tokenEndpoint);
    assert.equal(metadata.device_authorization_endpoint, idp.deviceAuthorizationEndpoint);
    assert.equal(metadata.registration_endpoint, idp.registrationEndpoint);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.ok(metadata.grant_types_supported.includes('client_credentials'));
    assert.ok(metadata.scopes_supported.includes('mcp:admin'));
  }
});

test('protected-resource metadata names the MCP URL and the issuer', async () => {
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    const response = await fetch(`${mcp.origin}${path}`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, any>;
    assert.equal(metadata.resource, mcp.url);
    assert.deepEqual(metadata.authorization_servers, [idp.issuer]);
    assert.ok(metadata.scopes_supported.includes('mcp:read'));
  }
});

test('obtainTokenSet returns a JWT for the MCP URL and a refresh token', async () => {
  const tokens = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' });
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.token_endpoint_auth_method, 'none');
  assert.equal(tokens.issuer, idp.issuer);
  assert.ok(tokens.refresh_token);
  const claims = decodeJwt(tokens.access_token);
  assert.equal(claims.aud, mcp.url);
  assert.equal(claims.iss, idp.issuer);
  assert.equal(claims.scope, 'mcp:read');
  assert.equal(claims.sub, 'test-user');
});

test('MCP server: 401 with resource_metadata without a token, tools with one', async () => {
  const denied = await rpc('tools/list', {});
  assert.equal(denied.status, 401);
  const challenge = denied.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  assert.ok(challenge.includes(`resource_metadata="${mcp.resourceMetadataUrl}"`), challenge);
  assert.equal(mcp.requests.at(-1)?.authorization, false);

  const tokens = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' });
  const client = await connect(tokens.access_token);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [
      'add',
      'admin_reset',
      'echo',
      'fail',
      'get_weather',
      'slow',
      'whoami',
    ]);
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    assert.deepEqual(sum.structuredContent, { sum: 5 });
    const failed = await client.callTool({ name: 'fail', arguments: { message: 'boom' } });
    assert.equal(failed.isError, true);
    const me = await client.callTool({ name: 'whoami', arguments: {} });
    assert.deepEqual((me.structuredContent as any).scopes, ['mcp:read']);
  } finally {
    await client.close();
  }
  assert.ok(mcp.requests.some((r) => r.authorization && r.rpcMethod === 'tools/list' && r.status === 200));
});

test('MCP server: a token for another audience is refused', async () => {
  const tokens = await idp.obtainTokenSet({ resource: 'http://127.0.0.1:1/other', scope: 'mcp:read' });
  const response = await rpc('tools/list', {}, tokens.access_token);
  assert.equal(response.status, 401);
  assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
});

test('MCP server: admin_reset needs mcp:admin (403 insufficient_scope)', async () => {
  const reader = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' });
  const forbidden = await rpc('tools/call', { name: 'admin_reset', arguments: {} }, reader.access_token);
  assert.equal(forbidden.status, 403);
  const challenge = forbidden.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /error="insufficient_scope"/);
  assert.match(challenge, /scope="mcp:read mcp:admin"/);
  assert.ok(challenge.includes(`resource_metadata="${mcp.resourceMetadataUrl}"`));

  const admin = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read mcp:admin' });
  const client = await connect(admin.access_token);
  try {
    const result = await client.callTool({ name: 'admin_reset', arguments: {} });
    assert.equal(result.isError, undefined);
  } finally {
    await client.close();
  }
});

test('refresh rotates; reusing the old refresh token fails invalid_grant', async () => {
  const tokens = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' });
  const first = await refresh(tokens.refresh_token!, tokens.client_id);
  assert.equal(first.status, 200);
  assert.ok(first.body.refresh_token && first.body.refresh_token !== tokens.refresh_token, 'rotated');
  assert.equal(decodeJwt(first.body.access_token).aud, mcp.url, 'audience kept without resource');

  const reused = await refresh(tokens.refresh_token!, tokens.client_id);
  assert.equal(reused.status, 400);
  assert.equal(reused.body.error, 'invalid_grant');
});

test('revokeGrants makes every refresh fail invalid_grant', async () => {
  const tokens = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' });
  assert.ok(idp.revokeGrants() > 0);
  const refused = await refresh(tokens.refresh_token!, tokens.client_id);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error, 'invalid_grant');
});

test('client_credentials with resource gives a token the MCP server accepts', async () => {
  const basic = `Basic ${Buffer.from(`ci-client:${CI_SECRET}`).toString('base64')}`;
  const { status, body } = await postForm(
    idp.tokenEndpoint,
    { grant_type: 'client_credentials', scope: 'mcp:read', resource: mcp.url },
    { authorization: basic },
  );
  assert.equal(status, 200);
  assert.equal(body.refresh_token, undefined);
  assert.equal(decodeJwt(body.access_token).aud, mcp.url);
  const client = await connect(body.access_token);
  try {
    const me = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((me.structuredContent as any).clientId, 'ci-client');
  } finally {
    await client.close();
  }
  const logged = idp.requests.find((r) => r.grantType === 'client_credentials');
  assert.equal(logged?.clientId, 'ci-client');
  assert.equal(logged?.status, 200);
});

test('device flow: no interval by default, approveDevice, then the poll gets a token', async () => {
  const clientId = await deviceClient();
  const started = await startDevice(clientId);
  assert.equal(started.status, 200);
  assert.equal('interval' in started.body, false);
  assert.ok(started.body.verification_uri_complete.startsWith(`${idp.issuer}/device`));

  const pending = await pollDevice(clientId, started.body.device_code);
  assert.equal(pending.body.error, 'authorization_pending');

  await idp.approveDevice(started.body.user_code);
  const granted = await pollDevice(clientId, started.body.device_code);
  assert.equal(granted.status, 200);
  assert.equal(decodeJwt(granted.body.access_token).aud, mcp.url);
  assert.ok(granted.body.refresh_token);
});

test('device flow: deny gives access_denied; slowDownNext answers slow_down', async () => {
  const clientId = await deviceClient();
  const started = await startDevice(clientId);
  idp.slowDownNext(2);
  for (let i = 0; i < 2; i++) {
    const slowed = await pollDevice(clientId, started.body.device_code);
    assert.equal(slowed.status, 400);
    assert.equal(slowed.body.error, 'slow_down');
  }
  assert.equal((await pollDevice(clientId, started.body.device_code)).body.error, 'authorization_pending');
  await idp.approveDevice(started.body.user_code, { deny: true });
  const denied = await pollDevice(clientId, started.body.device_code);
  assert.equal(denied.status, 400);
  assert.equal(denied.body.error, 'access_denied');
});

test('deviceInterval puts interval into the device authorization response', async () => {
  const other = await startIdp({ deviceInterval: 2 });
  try {
    const client = await other.registerClient({
      grant_types: [DEVICE_GRANT],
      response_types: [],
      token_endpoint_auth_method: 'none',
    });
    const { status, body } = await postForm(other.deviceAuthorizationEndpoint, {
      client_id: client.client_id,
    });
    assert.equal(status, 200);
    assert.equal(body.interval, 2);
  } finally {
    await other.close();
  }
});

test('approveAuthorization with deny returns the redirect carrying access_denied', async () => {
  const client = await idp.registerClient({
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  const url = new URL(`${idp.issuer}/auth`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: 'http://127.0.0.1:5555/callback',
    scope: 'mcp:read',
    state: 'xyz',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    resource: mcp.url,
  }).toString();
  const denied = new URL(await idp.approveAuthorization(url.href, { deny: true }));
  assert.equal(denied.origin, 'http://127.0.0.1:5555', 'any loopback port for a native client');
  assert.equal(denied.searchParams.get('error'), 'access_denied');
  assert.equal(denied.searchParams.get('state'), 'xyz');

  const approved = new URL(await approveInBrowser(url.href));
  assert.ok(approved.searchParams.get('code'));
  assert.equal(approved.searchParams.get('iss'), idp.issuer);
});

test('setFault: injected 500, limited by times and path, then cleared', async () => {
  idp.setFault({ status: 500 }, { path: '/token', times: 1 });
  const metadata = await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`);
  assert.equal(metadata.status, 200, 'other paths unaffected');
  await metadata.body?.cancel();
  const failed = await postForm(idp.tokenEndpoint, { grant_type: 'client_credentials' });
  assert.equal(failed.status, 500);
  assert.equal(failed.body.error, 'server_error');
  const after = await postForm(idp.tokenEndpoint, { grant_type: 'client_credentials' });
  // The fault is used up: the provider itself answers (and rejects a request without a client).
  assert.equal(after.status, 400);
  assert.equal(after.body.error, 'invalid_request');

  idp.setFault({ delayMs: 150 });
  const started = Date.now();
  await (await fetch(`${idp.issuer}/jwks`)).body?.cancel();
  assert.ok(Date.now() - started >= 140);

  idp.setFault({ hang: true }, { path: '/token' });
  await assert.rejects(
    fetch(idp.tokenEndpoint, { method: 'POST', signal: AbortSignal.timeout(200) }),
    (error: Error) => error.name === 'TimeoutError',
  );
  idp.setFault(null);
  const healthy = await fetch(`${idp.issuer}/jwks`);
  assert.equal(healthy.status, 200);
  await healthy.body?.cancel();
});

test('the request log records token grant types and statuses, never secrets', async () => {
  const grantTypes = new Set(idp.requests.filter((r) => r.path === '/token').map((r) => r.grantType));
  for (const grant of ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_GRANT]) {
    assert.ok(grantTypes.has(grant), grant);
  }
  assert.ok(idp.requests.some((r) => r.path === '/token' && r.status === 400));
  const serialized = JSON.stringify(idp.requests);
  assert.equal(serialized.includes(CI_SECRET), false);
  assert.equal(serialized.includes('code='), false);
  assert.equal(JSON.stringify(mcp.requests).includes('Bearer'), false);
});

test('stdio server lists the same tools', async () => {
  const script = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));
  const client = new Client({ name: 'oauth-server-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [script], stderr: 'pipe' }),
  );
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'get_weather' && tool.outputSchema));
    const weather = await client.callTool({ name: 'get_weather', arguments: { city: 'Paris' } });
    assert.deepEqual(weather.structuredContent, { city: 'Paris', temperatureC: 18, conditions: 'cloudy' });
  } finally {
    await client.close();
  }
});

test('an MCP server with auth: false serves without a token', async () => {
  const open = await startMcpServer({ auth: false });
  try {
    const client = new Client({ name: 'oauth-server-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(open.url)));
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    assert.deepEqual(echoed.content, [{ type: 'text', text: 'hi' }]);
    await client.close();
  } finally {
    await open.close();
  }
});
