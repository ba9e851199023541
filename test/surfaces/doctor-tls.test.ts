import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';

let env: ReturnType<typeof isolatedEnv>;
let server: https.Server;
let url: string;
let caFile: string;
before(async () => {
  env = isolatedEnv();
  const dir = env.MCPTEST_HOME as string;
  caFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  // A self-signed certificate for 127.0.0.1 (openssl is part of the base system here).
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      caFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  server = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(caFile) },
    (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="tls-test"' });
      res.end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await env.cleanup();
});

test('doctor: an untrusted certificate fails the TLS layer with a hint; a trusted one passes it', async () => {
  const untrusted = await runCli(['doctor', '--url', url, '--json'], { env });
  assert.equal(untrusted.code, 1);
  const report = JSON.parse(untrusted.stdout);
  const network = report.layers.find((l: { layer: string }) => l.layer === 'network');
  assert.equal(network.status, 'fail');
  assert.match(network.summary, /TLS handshake with 127\.0\.0\.1:\d+ failed .*self-signed certificate/);
  assert.match(network.hint, /NODE_EXTRA_CA_CERTS/);

  const trusted = await runCli(['doctor', '--url', url], {
    env: { ...stripCleanup(env), NODE_EXTRA_CA_CERTS: caFile },
  });
  assert.equal(trusted.code, 3, 'TLS passes; the AUTH layer then reports no credentials');
  assert.match(trusted.stdout, /\[ok\]\s+DNS\/TCP\/TLS .*TLS TLSv1\.[23] certificate valid for 127\.0\.0\.1/);
  assert.match(trusted.stdout, /\[FAIL\]\s+AUTH\s+no credentials supplied/);
});

function stripCleanup(e: typeof env): NodeJS.ProcessEnv {
  const { cleanup: _c, ...rest } = e;
  return rest;
}
