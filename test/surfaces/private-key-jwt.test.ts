import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
before(async () => {
  idp = await startIdp({
    clients: [
      {
        client_id: 'jwt-client',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), use: 'sig' }] },
        scope: 'mcp:read',
      },
    ],
  });
  mcp = await startMcpServer({ issuer: idp.issuer });
  env = isolatedEnv({ JWT_KEY: pem });
});
after(async () => {
  await env.cleanup();
  await mcp.close();
  await idp.close();
});

test('client credentials with private_key_jwt from an env var: the daemon signs the assertion (ES256 from the key)', async () => {
  const before = idp.requests.filter((r) => r.grantType === 'client_credentials').length;
  const args = [
    'call',
    '--url',
    mcp.url,
    'whoami',
    '--client-id',
    'jwt-client',
    '--auth-method',
    'private_key_jwt',
    '--private-key-env',
    'JWT_KEY',
    '--scope',
    'mcp:read',
    '--json',
  ];
  const run = await runCli(args, { env });
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.equal(result.structuredContent?.clientId, 'jwt-client');
  assert.equal(idp.requests.filter((r) => r.grantType === 'client_credentials').length - before, 1);
  for (const out of [run.stdout, run.stderr])
    assert.ok(!out.includes('PRIVATE KEY'), 'the key never appears');

  const { cleanup: _c, ...base } = env;
  const unset = await runCli(args, { env: { ...base, JWT_KEY: '' } });
  assert.equal(unset.code, 3);
  assert.match(unset.stderr, /env var `JWT_KEY` \(named by `private_key_env`\) is not set or is empty/);
  assert.match(unset.stderr, /hint: mcptest doctor .* --private-key-env JWT_KEY/);
});

test('--private-key-env without --auth-method means private_key_jwt', async () => {
  const run = await runCli(
    [
      'call',
      '--url',
      mcp.url,
      'whoami',
      '--client-id',
      'jwt-client',
      '--private-key-env',
      'JWT_KEY',
      '--json',
    ],
    { env },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).structuredContent?.clientId, 'jwt-client');
});
