/**
 * `mcptest snapshot` through the real CLI: against the protected example server (a bearer token
 * from the real IdP) in both eras, and against `@modelcontextprotocol/server-everything` over
 * stdio. A recording is stable (twice gives the same bytes), the two eras give the same tools,
 * prompts and resources, and a refused token is the usual auth error.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
/** server-everything's entry, run over stdio as a host would. */
const EVERYTHING = path.join(
  path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);
const everything = ['--command', process.execPath, '--arg', EVERYTHING, '--arg', 'stdio'];

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let dir: string;
const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  const token = (await idp.obtainTokenSet({ resource: mcp.url })).access_token;
  env = isolatedEnv({ MCP_TOKEN: token });
  dir = env.MCPTEST_HOME as string;
});
after(async () => {
  await env.cleanup();
  await mcp.close();
  await idp.close();
});

const example = () => ['--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN'];
const TIMEOUT = { timeoutMs: 120_000 };

test('snapshot of the protected example server: a stable file, rewritten only when it differs', async () => {
  const first = await runCli(['snapshot', ...example(), '-o', 'a.json'], { env, ...TIMEOUT });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '');
  assert.match(
    first.stderr,
    /^a\.json written: \d+ tools, 1 prompt, \d+ resources, \d+ resource templates?$/m,
  );
  const again = await runCli(['snapshot', ...example(), '-o', 'a.json'], { env, ...TIMEOUT });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^a\.json unchanged: /m);
  const second = await runCli(['snapshot', ...example(), '-o', 'b.json'], { env, ...TIMEOUT });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(read('a.json'), read('b.json'));

  const surface = JSON.parse(read('a.json'));
  assert.equal(surface.format, 'mcptest-surface/1');
  assert.deepEqual(surface.server, { name: 'mcptest-example', version: '1.0.0' });
  assert.ok(surface.tools.echo?.inputSchema, 'echo with its input schema');
  assert.ok(surface.tools.get_weather, 'get_weather');
  assert.deepEqual(Object.keys(surface.tools), Object.keys(surface.tools).sort());
  assert.equal(surface.prompts.review_code.arguments.code.required, true);
  assert.ok(surface.resources['example://weather/cities'], 'the cities resource, keyed by URI');
  assert.doesNotMatch(read('a.json'), /"_meta"|"ttlMs"|"cacheScope"/);
  assert.ok(read('a.json').endsWith('}\n'));
});

test('both eras give the same tools, prompts and resources; only the recording differs', async () => {
  const modern = await runCli(['snapshot', ...example(), '--protocol', '2026-07-28', '-o', 'modern.json'], {
    env,
    ...TIMEOUT,
  });
  assert.equal(modern.code, 0, modern.stderr);
  assert.match(modern.stderr, /MCP 2026-07-28 \(modern\)/);
  const legacy = await runCli(['snapshot', ...example(), '--protocol', '2025-11-25', '-o', 'legacy.json'], {
    env,
    ...TIMEOUT,
  });
  assert.equal(legacy.code, 0, legacy.stderr);
  assert.match(legacy.stderr, /MCP 2025-11-25 \(legacy\)/);
  const [m, l] = [JSON.parse(read('modern.json')), JSON.parse(read('legacy.json'))];
  assert.deepEqual(m.recordedWith, { era: 'modern', protocolVersion: '2026-07-28' });
  assert.deepEqual(l.recordedWith, { era: 'legacy', protocolVersion: '2025-11-25' });
  assert.ok(
    m.discover?.supportedVersions.includes('2026-07-28'),
    'server/discover recorded in the modern era',
  );
  assert.equal(l.discover, undefined);
  assert.ok(Object.keys(m.tools).length > 0);
  assert.deepEqual(m.tools, l.tools);
  assert.deepEqual(m.prompts, l.prompts);
  assert.deepEqual(m.resources, l.resources);
  // And the diff across eras says so, with nothing breaking.
  const diff = await runCli(['diff', 'modern.json', 'legacy.json'], { env, ...TIMEOUT });
  assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  assert.match(
    diff.stdout,
    /^compatible {2}\/recordedWith\/era {2}recorded in the modern era \(2026-07-28\) before/m,
  );
});

test('without -o the surface goes to stdout; --json with -o says what was written', async () => {
  const out = await runCli(['snapshot', ...example()], { env, ...TIMEOUT });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, read('a.json'));
  assert.match(out.stderr, /\d+ tools, 1 prompt/);
  const json = await runCli(['snapshot', ...example(), '-o', 'a.json', '--json'], { env, ...TIMEOUT });
  assert.equal(json.code, 0, json.stderr);
  const info = JSON.parse(json.stdout);
  assert.equal(info.file, 'a.json');
  assert.equal(info.status, 'unchanged');
  assert.equal(info.counts.prompts, 1);
  assert.deepEqual(info.protocol, { era: 'modern', version: '2026-07-28' });
});

test('a token the server refuses is the auth error (exit 3), and no file is written', async () => {
  const refused = await runCli(
    ['snapshot', '--url', mcp.url, '--bearer-token-env', 'UNSET_TOKEN', '-o', 'no.json'],
    {
      env,
      ...TIMEOUT,
    },
  );
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /UNSET_TOKEN/);
  assert.equal(fs.existsSync(path.join(dir, 'no.json')), false);
});

test('no server, or two, is a usage error (exit 2) whose hint is a snapshot command', async () => {
  for (const args of [
    ['snapshot', '-o', 'none.json'],
    ['snapshot', '--url', mcp.url, '--command', 'node', '-o', 'none.json'],
  ]) {
    const r = await runCli(args, { env, ...TIMEOUT });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /give exactly one of --url URL or --command CMD/);
    assert.match(r.stderr, /hint: mcptest snapshot --url https:\/\/mcp\.example\.com\/mcp .* -o none\.json/);
  }
  assert.equal(fs.existsSync(path.join(dir, 'none.json')), false);
});

test('server-everything over stdio: every kind of item recorded, twice the same bytes', async () => {
  const one = await runCli(['snapshot', ...everything, '-o', 'everything-1.json'], { env, ...TIMEOUT });
  assert.equal(one.code, 0, one.stderr);
  const two = await runCli(['snapshot', ...everything, '-o', 'everything-2.json'], { env, ...TIMEOUT });
  assert.equal(two.code, 0, two.stderr);
  assert.equal(read('everything-1.json'), read('everything-2.json'));
  const s = JSON.parse(read('everything-1.json'));
  assert.equal(s.server.name, 'mcp-servers/everything');
  assert.equal(s.tools.echo.inputSchema.properties.message.type, 'string');
  assert.ok(s.tools['get-structured-content'].outputSchema, 'a tool with an outputSchema');
  assert.ok(s.tools.echo.annotations, 'annotations recorded');
  assert.equal(s.prompts['args-prompt'].arguments.city.required, true);
  assert.equal(s.prompts['args-prompt'].arguments.state.required, false);
  assert.ok(Object.keys(s.resources).length > 0, 'resources');
  assert.ok(
    s.resourceTemplates['demo://resource/dynamic/text/{resourceId}'],
    'templates keyed by uriTemplate',
  );
  assert.equal(s.capabilities.resources.subscribe, true);
  // The same server, the same file: no change at all.
  const diff = await runCli(['diff', 'everything-1.json', 'everything-2.json', '--fail-on', 'compatible'], {
    env,
    ...TIMEOUT,
  });
  assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  assert.equal(diff.stdout, 'No changes between everything-1.json and everything-2.json.\n');
});
