/**
 * `mcptest proxy` against the real daemon, IdP and protected MCP server: an SDK client with no
 * token of its own works through it on TCP (with the secret) and over the default Unix socket;
 * requests without the secret, with a foreign Host or from another Unix user are refused before
 * the server sees them; an expired token is refreshed by the daemon between requests; and
 * `--verbose` logs requests without a token, nor does the daemon's trace log hold one; the flags
 * a forwarder cannot honour are refused.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { CLI } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

interface RunningProxy {
  child: ChildProcess;
  /** The first stdout line: the socket path or the URL. */
  first: Record<string, any>;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

let idp: Idp;
let mcp: McpExampleServer;
let daemon: TestDaemon;
const secrets: string[] = [];
const proxies: RunningProxy[] = [];

async function startProxy(args: string[]): Promise<RunningProxy> {
  const { cleanup: _c, ...env } = daemon.env;
  const child = spawn(process.execPath, [CLI, 'proxy', '--json', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      stdout += d;
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  const proxy: RunningProxy = {
    child,
    first: JSON.parse(first),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  proxies.push(proxy);
  if (proxy.first.secret) secrets.push(proxy.first.secret);
  return proxy;
}

/** One request with node:http; the body as text. */
function request(
  options: http.RequestOptions,
  body?: unknown,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: body === undefined ? 'GET' : 'POST',
        ...options,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
};

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  daemon = await startTestDaemon();
  const set = await seedLogin(idp, daemon.client, mcp.url);
  secrets.push(set.access_token, set.refresh_token as string);
});

after(async () => {
  for (const p of proxies) await p.stop();
  await daemon?.cleanup();
  await mcp?.close();
  await idp?.close();
});

test('on TCP an SDK client with no token of its own lists and calls tools through the secret URL', async () => {
  const proxy = await startProxy(['--url', mcp.url, '--listen', '127.0.0.1:0']);
  const { url, secret, port } = proxy.first;
  assert.equal(url, `http://127.0.0.1:${port}/${secret}/mcp`);
  const client = new Client({ name: 'proxy-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 7);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((who.structuredContent as { authenticated: boolean }).authenticated, true);
  } finally {
    await client.close();
  }
  // The secret may come in its header instead of the path.
  const viaHeader = await request(
    { host: '127.0.0.1', port, path: '/mcp', headers: { 'x-mcptest-proxy-secret': secret } },
    INITIALIZE,
  );
  assert.equal(viaHeader.status, 200, viaHeader.text);
});

test('on TCP a request without the secret, or for another Host, gets 403 and the server sees nothing', async () => {
  const proxy = await startProxy(['--url', mcp.url, '--listen', '127.0.0.1:0']);
  const { port, secret } = proxy.first;
  const seen = mcp.requests.length;
  const bare = await request({ host: '127.0.0.1', port, path: '/mcp' }, INITIALIZE);
  assert.equal(bare.status, 403);
  const wrong = await request(
    { host: '127.0.0.1', port, path: `/${'x'.repeat(secret.length)}/mcp` },
    INITIALIZE,
  );
  assert.equal(wrong.status, 403);
  // A web page on a name that resolves to 127.0.0.1 (DNS rebinding) is refused even with the secret.
  const rebound = await request(
    { host: '127.0.0.1', port, path: `/${secret}/mcp`, headers: { host: `attacker.example:${port}` } },
    INITIALIZE,
  );
  assert.equal(rebound.status, 403);
  assert.equal(mcp.requests.length, seen, 'no request reached the server');
});

test('the TCP proxy refuses to listen on any address but 127.0.0.1', async () => {
  const { cleanup: _c, ...env } = daemon.env;
  const run = spawnSync(process.execPath, [CLI, 'proxy', '--url', mcp.url, '--listen', '0.0.0.0:0'], {
    env,
    encoding: 'utf8',
  });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /loopback only/);
});

test('by default it serves a 0600 Unix socket in the private folder, removed on SIGTERM', async () => {
  const proxy = await startProxy(['--url', mcp.url]);
  const socket = proxy.first.socket as string;
  assert.equal(path.dirname(socket), path.dirname(daemon.env.MCPTEST_SOCKET as string));
  assert.match(path.basename(socket), /^proxy-[0-9a-f]{16}\.sock$/);
  assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(socket)).mode & 0o777, 0o700);
  // As curl --unix-socket PATH http://mcp/mcp does it: the Host is not checked on the socket.
  const init = await request({ socketPath: socket, path: '/mcp', headers: { host: 'mcp' } }, INITIALIZE);
  assert.equal(init.status, 200, init.text);
  assert.match(init.text, /"serverInfo"/);
  const list = await request(
    { socketPath: socket, path: '/mcp', headers: { host: 'mcp' } },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  );
  assert.equal(list.status, 200, list.text);
  assert.match(list.text, /"whoami"/);
  assert.equal(await proxy.stop(), 0);
  assert.equal(fs.existsSync(socket), false, 'the socket is removed');
});

test('another Unix user cannot use the proxy socket', async () => {
  const other = 'mcptest-other';
  if (spawnSync('id', ['-u', other]).status !== 0) {
    assert.equal(process.getuid?.(), 0, 'creating the test user needs root (CI runs as root)');
    execFileSync('useradd', ['-M', '-r', '-s', '/usr/sbin/nologin', other], { stdio: 'pipe' });
  }
  const proxy = await startProxy(['--url', mcp.url]);
  const socket = proxy.first.socket as string;
  const home = daemon.env.MCPTEST_HOME as string;
  const dir = path.dirname(socket);
  fs.chmodSync(home, 0o755);
  const connectAs = () => {
    const script = `const s=require('net').connect(${JSON.stringify(socket)});s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',e=>console.log(e.code))`;
    const run = spawnSync('runuser', ['-u', other, '--', process.execPath, '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trim();
  };
  try {
    assert.equal(connectAs(), 'EACCES', 'the 0700 folder stops them');
    fs.chmodSync(dir, 0o711);
    assert.equal(connectAs(), 'EACCES', 'and so does the 0600 socket');
  } finally {
    fs.chmodSync(dir, 0o700);
    fs.chmodSync(home, 0o700);
    await proxy.stop();
  }
});

test('an expired token is refreshed by the daemon between requests, once, and --verbose logs no token', async () => {
  const other = await startMcpServer({ issuer: idp.issuer });
  try {
    const set = await seedLogin(idp, daemon.client, other.url, { expiresIn: 3600 });
    secrets.push(set.access_token, set.refresh_token as string);
    const proxy = await startProxy(['--url', other.url, '--listen', '127.0.0.1:0', '--verbose']);
    const { port, secret } = proxy.first;
    const at = { host: '127.0.0.1', port, path: `/${secret}/mcp` };
    assert.equal((await request(at, INITIALIZE)).status, 200);
    // The daemon now believes the token expired: the next request gets a refreshed one.
    await seedLogin(idp, daemon.client, other.url, { expiresIn: 0 }).then((s) =>
      secrets.push(s.access_token, s.refresh_token as string),
    );
    const refreshesBefore = refreshRequests(idp);
    const list = await request(at, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.equal(list.status, 200, list.text);
    assert.equal((await request(at, { jsonrpc: '2.0', id: 3, method: 'tools/list' })).status, 200);
    assert.equal(refreshRequests(idp) - refreshesBefore, 1, 'one refresh at the IdP');
    assert.equal(other.requests.filter((r) => r.status === 401).length, 0, 'no request was refused');
    await proxy.stop();
    const log = proxy.stderr();
    assert.match(log, /^POST \/mcp 200 \d+ms$/m);
    assert.ok(!log.includes(secret), 'the secret is not logged');
    assert.doesNotMatch(log, /bearer/i);
    for (const s of secrets) assert.ok(!log.includes(s), 'no token in stderr');
  } finally {
    await other.close();
  }
});

test('a 401 reports the rejected token, and the request is sent once more with the renewed one', async () => {
  const other = await startMcpServer({ issuer: idp.issuer });
  try {
    // A real token for another audience: the server answers 401 invalid_token.
    const wrong = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
    const set = await idp.obtainTokenSet({ resource: other.url, scope: 'mcp:read' });
    secrets.push(wrong, set.access_token, set.refresh_token as string);
    await daemon.client.importCredential({
      serverUrl: other.url,
      accessToken: wrong,
      refreshToken: set.refresh_token,
      expiresIn: 3600,
      scope: set.scope,
      issuer: set.issuer,
      tokenEndpoint: set.token_endpoint,
      clientId: set.client_id,
      clientSecret: set.client_secret,
      authMethod: set.token_endpoint_auth_method as 'none',
      resource: other.url,
    });
    const proxy = await startProxy(['--url', other.url]);
    const before = refreshRequests(idp);
    const init = await request(
      { socketPath: proxy.first.socket, path: '/mcp', headers: { host: 'mcp' } },
      INITIALIZE,
    );
    assert.equal(init.status, 200, init.text);
    assert.equal(refreshRequests(idp) - before, 1, 'one refresh');
    // The proxy's requests carry a token; the daemon's own look at the server's metadata after
    // the rejection (has its authorization server changed?) carries none.
    assert.deepEqual(
      other.requests.filter((r) => r.authorization).map((r) => r.status),
      [401, 200],
      'the refused request, then its replay with the fresh token',
    );
  } finally {
    await other.close();
  }
});

test('the URL as an argument works; --help offers no stdio, era or timeout flags, and given they are refused', async () => {
  const proxy = await startProxy([mcp.url]);
  const init = await request(
    { socketPath: proxy.first.socket, path: '/mcp', headers: { host: 'mcp' } },
    INITIALIZE,
  );
  assert.equal(init.status, 200, init.text);
  assert.equal(await proxy.stop(), 0);

  const { cleanup: _c, ...env } = daemon.env;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'proxy', ...args], { env, encoding: 'utf8', timeout: 30_000 });
  const help = run('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: mcptest proxy \[options\] \[url\]/);
  assert.match(help.stdout, /--listen <address>/);
  for (const flag of ['--command', '--arg', '--env', '--timeout', '--protocol']) {
    assert.ok(!help.stdout.includes(`${flag} `), `${flag} is not offered`);
  }
  const cases: Array<[string[], RegExp]> = [
    [[], /mcptest proxy needs the server URL/],
    [['--command', 'node server.js'], /forwards to HTTP servers only, not --command/],
    [[mcp.url, '--url', 'http://127.0.0.1:1/other'], /two server URLs given/],
    [[mcp.url, '--protocol', '2025-11-25'], /forwards whichever MCP era its client speaks/],
    [[mcp.url, '--timeout', '60'], /--timeout does not apply/],
  ];
  for (const [args, message] of cases) {
    const refused = run(...args);
    assert.equal(refused.status, 2, `${args.join(' ')}: ${refused.stderr}`);
    assert.match(refused.stderr, message);
    assert.match(refused.stderr, /^error: [^\n]+\n(hint: [^\n]+\n)?$/, 'one error line, perhaps its hint');
  }
});

test('--listen unix:PATH in a folder others can open is refused with a hint about --listen', async () => {
  const open = fs.mkdtempSync(path.join(daemon.env.MCPTEST_HOME as string, 'open-'));
  fs.chmodSync(open, 0o755);
  const { cleanup: _c, ...env } = daemon.env;
  const socket = path.join(open, 'proxy.sock');
  const run = spawnSync(process.execPath, [CLI, 'proxy', '--url', mcp.url, '--listen', `unix:${socket}`], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`--listen unix:${socket}: ${open} is open to other users`));
  assert.match(run.stderr, /hint: put the socket in a folder only you can open \(mode 700\)/);
  assert.equal(fs.existsSync(socket), false, 'no socket was made');
});

test("the daemon's log at trace level holds no token and no proxy secret", async () => {
  for (const p of proxies) await p.stop();
  const log = await daemon.flushedLog();
  assert.match(log, /token refreshed/);
  for (const s of secrets) assert.ok(!log.includes(s), 'a token or secret reached the daemon log');
  assert.doesNotMatch(log, /bearer [a-z0-9._-]{8,}/i);
});
