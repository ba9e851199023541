/**
 * The fast listing of `mcptest tools --url URL --bearer-token-env VAR` (cli/fast-tools.ts):
 * against a modern server it lists without loading the SDK, with the wire and the output of the
 * full command; everything it does not vouch for (a 2025-era server, a refused token, a result
 * the spec's schema refuses, a server request mid-listing) is handed to the full command, whose
 * verdict is the one the user sees. Which path ran is read from the modules the process loaded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listToolsFast } from '../../cli/fast-tools.js';
import { type CliRun, isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type EraServer, startEraServer } from '../helpers/era-servers.js';

const PRELOAD = fileURLToPath(new URL('../helpers/module-log-preload.js', import.meta.url));
const GOOD = 'fast-good-token';

let env: ReturnType<typeof isolatedEnv>;
let modern: EraServer;
let dual: EraServer;
let legacy: EraServer;
let daemon: TestDaemon;

before(async () => {
  env = isolatedEnv({ FAST_TOKEN: GOOD });
  const bearer = (t: string | null) => t === GOOD;
  [modern, dual, legacy] = await Promise.all([
    startEraServer('modern', { bearer }),
    startEraServer('dual', { bearer }),
    startEraServer('legacy', { bearer }),
  ]);
  daemon = await startTestDaemon({ env });
});

after(async () => {
  await Promise.all([modern?.close(), dual?.close(), legacy?.close()]);
  await daemon?.cleanup();
});

/** Runs `mcptest ARGS` and reports whether the process loaded the MCP SDK. */
async function tools(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun & { sdk: boolean }> {
  const log = path.join(env.MCPTEST_HOME as string, `modules-${Math.random().toString(36).slice(2)}.log`);
  const { cleanup: _c, ...plain } = env;
  const run = await runCli(['tools', ...args], {
    env: { ...plain, ...extra, NODE_OPTIONS: `--import ${PRELOAD}`, MCPTEST_MODULE_LOG: log },
  });
  const loaded = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  fs.rmSync(log, { force: true });
  return { ...run, sdk: loaded.includes('@modelcontextprotocol') };
}

test('a modern server: listed without the SDK, two requests in the 2026-07-28 shape, the full command’s output', async () => {
  for (const server of [modern, dual]) {
    const at = server.requests.length;
    const fast = await tools(['--url', server.url, '--bearer-token-env', 'FAST_TOKEN']);
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(fast.sdk, false, `${server.kind}: the fast listing loads no SDK module`);
    assert.equal(fast.stderr, 'MCP 2026-07-28 (modern)\n');
    assert.match(fast.stdout, /^echo {2}/m);
    const wire = server.requests.slice(at);
    assert.deepEqual(
      wire.map((r) => [r.method, r.rpcMethods[0], r.mcpMethodHeader, r.protocolVersionHeader, r.authorized]),
      [
        ['POST', 'server/discover', 'server/discover', '2026-07-28', true],
        ['POST', 'tools/list', 'tools/list', '2026-07-28', true],
      ],
    );
    // Any other flag takes the full command: the same listing, byte for byte.
    const full = await tools(['--url', server.url, '--bearer-token-env', 'FAST_TOKEN', '--protocol', 'auto']);
    assert.equal(full.code, 0, full.stderr);
    assert.equal(full.sdk, true);
    assert.equal(fast.stdout, full.stdout);
    assert.equal(fast.stderr, full.stderr);
    assert.ok(!fast.stdout.includes(GOOD) && !fast.stderr.includes(GOOD));
  }
});

test('a cached login: its token from the running daemon in one round trip, the same listing', async () => {
  await daemon.client.importCredential({
    serverUrl: modern.url,
    accessToken: GOOD,
    expiresIn: 3600,
    scope: 'mcp:read',
    issuer: 'http://127.0.0.1:9',
    tokenEndpoint: 'http://127.0.0.1:9/token',
    clientId: 'fast-tools',
    authMethod: 'none',
    resource: modern.url,
  });
  const at = modern.requests.length;
  const fast = await tools(['--url', modern.url]);
  assert.equal(fast.code, 0, fast.stderr);
  assert.equal(fast.sdk, false);
  assert.ok(modern.requests.slice(at).every((r) => r.authorized));
  const full = await tools(['--url', modern.url, '--protocol', 'auto']);
  assert.equal(full.sdk, true);
  assert.equal(fast.stdout, full.stdout);
  assert.equal(fast.stderr, full.stderr);
  // A server with no login cached: the full command, which goes without a token and explains the 401.
  const none = await tools(['--url', dual.url]);
  assert.equal(none.sdk, true);
  assert.equal(none.code, 3, none.stderr);
  assert.match(none.stderr, /HTTP 401/);
});

test('a 2025-era server, a refused token, an unset variable: the full command runs and answers', async () => {
  const old = await tools(['--url', legacy.url, '--bearer-token-env', 'FAST_TOKEN']);
  assert.equal(old.code, 0, old.stderr);
  assert.equal(old.sdk, true);
  assert.match(old.stderr, /^MCP 2025-\d\d-\d\d \(legacy\)$/m);
  assert.match(old.stdout, /^echo {2}/m);

  const refused = await tools(['--url', modern.url, '--bearer-token-env', 'FAST_TOKEN'], {
    FAST_TOKEN: 'stale-token',
  });
  assert.equal(refused.code, 3, refused.stderr);
  assert.equal(refused.sdk, true);
  assert.match(refused.stderr, /auth failed: HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/mcp/);
  assert.ok(!refused.stderr.includes('stale-token'));

  const unset = await tools(['--url', modern.url, '--bearer-token-env', 'NOT_SET_ANYWHERE']);
  assert.equal(unset.code === 0, false);
  assert.match(unset.stderr, /NOT_SET_ANYWHERE/);
});

/**
 * A hand-made modern server: `server/discover` offers 2026-07-28 and `tools/list` answers with
 * `page(cursor)`, as JSON or as an event stream.
 */
async function craftedServer(
  page: (cursor: string | undefined) => unknown,
  options: { stream?: boolean } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const msg = JSON.parse(body) as { id: number; method: string; params?: { cursor?: string } };
      const result =
        msg.method === 'server/discover'
          ? {
              resultType: 'complete',
              supportedVersions: ['2026-07-28'],
              capabilities: { tools: {} },
              _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'crafted', version: '1.0.0' } },
            }
          : msg.method === 'tools/list'
            ? page(msg.params?.cursor)
            : undefined;
      if (result === HANG) return; // never answered
      const answer =
        result === undefined
          ? { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }
          : { jsonrpc: '2.0', id: msg.id, result };
      if (options.stream && msg.method === 'tools/list') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const note = {
          jsonrpc: '2.0',
          method: 'notifications/message',
          params: { level: 'info', data: 'hi' },
        };
        res.write(`event: message\ndata: ${JSON.stringify(note)}\n\n`);
        res.write(`event: message\ndata: ${JSON.stringify(answer)}\n\n`);
        return; // the stream stays open: the answer alone must be enough
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What `page` returns for a `tools/list` that is never answered. */
const HANG = Symbol('hang');

const tool = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: `The ${name} tool.\nMore text.`,
  inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
  ...extra,
});

test('pages followed, an event stream read up to its answer: the listing of every page', async () => {
  const pages = await craftedServer((cursor) =>
    cursor === undefined
      ? { resultType: 'complete', tools: [tool('first')], nextCursor: 'p2' }
      : { resultType: 'complete', tools: [tool('second', { annotations: { readOnlyHint: true } })] },
  );
  const streamed = await craftedServer(() => ({ resultType: 'complete', tools: [tool('streamed')] }), {
    stream: true,
  });
  try {
    const listed = await listToolsFast(new URL(pages.url), GOOD);
    assert.equal(
      listed,
      'first  The first tool.\n    q: string (required)\nsecond  The second tool.\n    q: string (required)\n',
    );
    const started = Date.now();
    assert.equal(
      await listToolsFast(new URL(streamed.url), GOOD),
      'streamed  The streamed tool.\n    q: string (required)\n',
    );
    assert.ok(Date.now() - started < 5_000, 'the open stream is not waited out');
  } finally {
    await Promise.all([pages.close(), streamed.close()]);
  }
});

test('results the spec refuses are handed to the full command, which reports them', async () => {
  const cases: Array<[string, unknown]> = [
    ['no resultType', { tools: [tool('a')] }],
    [
      'an input schema that is not an object schema',
      { resultType: 'complete', tools: [tool('a', { inputSchema: { type: 'string' } })] },
    ],
    ['a tool without a name', { resultType: 'complete', tools: [{ inputSchema: { type: 'object' } }] }],
    [
      'a hint that is not a boolean',
      { resultType: 'complete', tools: [tool('a', { annotations: { readOnlyHint: 'yes' } })] },
    ],
    ['a cursor handed out twice', { resultType: 'complete', tools: [tool('a')], nextCursor: 'again' }],
    ['an input request', { resultType: 'input_required', inputRequests: {} }],
  ];
  for (const [what, result] of cases) {
    const server = await craftedServer(() => result);
    try {
      assert.equal(await listToolsFast(new URL(server.url), GOOD), null, `${what}: handed over`);
    } finally {
      await server.close();
    }
  }
  // As the user runs it: the full command's verdict, never a listing.
  const bad = await craftedServer(() => ({
    resultType: 'complete',
    tools: [tool('a', { inputSchema: { type: 'string' } })],
  }));
  try {
    const run = await tools(['--url', bad.url, '--bearer-token-env', 'FAST_TOKEN']);
    assert.equal(run.sdk, true);
    assert.notEqual(run.code, 0, run.stdout);
    assert.equal(run.stdout, '');
  } finally {
    await bad.close();
  }
});

test('a server that never answers the listing is handed over in seconds, not waited out', async () => {
  const silent = await craftedServer(() => HANG);
  try {
    const started = Date.now();
    assert.equal(await listToolsFast(new URL(silent.url), GOOD), null);
    const waited = Date.now() - started;
    assert.ok(waited >= 4_000 && waited < 9_000, `handed over after ${waited} ms`);
  } finally {
    await silent.close();
  }
});

test('only the plain form is taken: other flags, plain http off loopback and odd values go to the full command', async () => {
  const { plainToolsArgs } = await import('../../cli/fast-tools.js');
  const e = { T: GOOD };
  assert.ok(plainToolsArgs(['--url', 'https://mcp.example.com/mcp', '--bearer-token-env', 'T'], e));
  assert.ok(plainToolsArgs(['--bearer-token-env=T', '--url=http://127.0.0.1:9/mcp'], e));
  assert.equal(plainToolsArgs(['--url', 'https://mcp.example.com/mcp'], e)?.token, null, 'the cached login');
  for (const args of [
    ['--url'],
    ['--bearer-token-env', 'T'],
    ['--url', 'https://mcp.example.com/mcp', '--bearer-token-env', 'T', '--json'],
    ['--url', 'http://mcp.example.com/mcp', '--bearer-token-env', 'T'],
    ['--url', 'https://u:p@mcp.example.com/mcp', '--bearer-token-env', 'T'],
    ['--url', 'https://mcp.example.com/mcp', '--bearer-token-env', 'UNSET'],
    [
      '--url',
      'https://mcp.example.com/mcp',
      '--url',
      'https://other.example.com/mcp',
      '--bearer-token-env',
      'T',
    ],
    ['--url', 'https://mcp.example.com/mcp', '--bearer-token-env', 'T', '--help'],
  ]) {
    assert.equal(plainToolsArgs(args, e), null, args.join(' '));
  }
  assert.equal(
    plainToolsArgs(['--url', 'https://mcp.example.com/mcp', '--bearer-token-env', 'T'], { T: 'two words' }),
    null,
  );
  assert.equal(
    plainToolsArgs(['--url', 'https://mcp.example.com/mcp', '--bearer-token-env', 'T'], { T: 'Bearer abc' })
      ?.token,
    'abc',
  );
});
