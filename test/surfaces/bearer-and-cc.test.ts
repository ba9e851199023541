/**
 * tools / call / doctor through the real CLI against the real IdP and protected MCP server:
 * bearer_token_env, client credentials minted by the real daemon, stdio, and the auth error.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { type Idp, startIdp, clientCredentialsClient } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { type CliRun, isolatedEnv, runCli } from '../helpers/cli.js';

const CI_SECRET = 's3cret-value-for-surfaces-0123456789';
const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

let idp: Idp;
let mcp: McpExampleServer;
let readToken: string;
let writeOnlyToken: string;
let env: ReturnType<typeof isolatedEnv>;
const outputs: CliRun[] = [];

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const run = await runCli(args, { env: { ...env, ...extraEnv } });
  outputs.push(run);
  return run;
}

before(async () => {
  idp = await startIdp({
    clients: [
      clientCredentialsClient('ci', CI_SECRET, 'mcp:read'),
      clientCredentialsClient('ci-admin', CI_SECRET, 'mcp:read mcp:admin'),
      clientCredentialsClient('ci-par', CI_SECRET, 'mcp:read'),
      clientCredentialsClient('ci-auto', CI_SECRET, 'mcp:read mcp:admin'),
      clientCredentialsClient('ci-empty', CI_SECRET, 'mcp:read'),
    ],
  });
  mcp = await startMcpServer({ issuer: idp.issuer });
  readToken = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  writeOnlyToken = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:write' })).access_token;
  env = isolatedEnv({ MCP_TOKEN: readToken, WRITE_TOKEN: writeOnlyToken, BAD_TOKEN: 'not-a-valid-token' });
});

after(async () => {
  await env?.cleanup();
  await mcp?.close();
  await idp?.close();
});

test('tools --bearer-token-env lists the tools with their parameters (human and JSON)', async () => {
  const human = await cli(['tools', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^add {2}Adds two numbers\.$/m);
  assert.match(human.stdout, /^ {4}a: number \(required\)$/m);
  const json = await cli(['tools', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout);
  assert.equal(body.server.name, 'mcptest-example');
  const weather = body.tools.find((t: any) => t.name === 'get_weather');
  assert.deepEqual(weather.params, [{ name: 'city', type: 'string', required: true }]);
  assert.equal(body.tools.length, 7);
  assert.ok(mcp.requests.some((r) => r.authorization && r.status === 200));
});

/** `mcptest call --url <server> --bearer-token-env MCP_TOKEN ...rest`. */
const callWithToken = (...rest: string[]) =>
  cli(['call', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', ...rest]);

test('call prints text and structuredContent, --json the whole result, isError exits 1', async () => {
  const add = await callWithToken('add', '--args', '{"a":2,"b":3}');
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^5$/m);
  assert.match(add.stdout, /"sum": 5/);
  const argsFile = path.join(env.MCPTEST_HOME as string, 'args.json');
  fs.writeFileSync(argsFile, '{"city":"Paris"}');
  const weather = await callWithToken('get_weather', '--args-file', argsFile, '--json');
  assert.equal(weather.code, 0, weather.stderr);
  assert.deepEqual(JSON.parse(weather.stdout).structuredContent, {
    city: 'Paris',
    temperatureC: 18,
    conditions: 'cloudy',
  });
  const fail = await callWithToken('fail', '--args', '{"message":"boom"}');
  assert.equal(fail.code, 1);
  assert.match(fail.stdout, /^boom$/m);
  assert.match(fail.stderr, /isError/);
  assert.doesNotMatch(fail.stderr, /rejected the arguments/);
  const badArgs = await callWithToken('add', '--args', '{"a":1}');
  assert.equal(badArgs.code, 1);
  assert.match(
    badArgs.stderr,
    new RegExp(`hint: the server rejected the arguments; see what add takes: mcptest tools --url ${mcp.url}`),
  );
  const badJson = await callWithToken('add', '--args', '{a:1}');
  assert.equal(badJson.code, 2);
  assert.match(badJson.stderr, /--args is not valid JSON/);
  assert.match(
    badJson.stderr,
    /hint: names and strings take double quotes.*add --args '\{"name":"value","n":1\}'/,
  );
});

test('a token pasted with its Bearer scheme is used without it; a value that is not one token is refused by name', async () => {
  const pasted = await cli(['tools', '--url', mcp.url, '--bearer-token-env', 'PASTED', '--json'], {
    PASTED: `Bearer ${readToken}\n`,
  });
  assert.equal(pasted.code, 0, pasted.stderr);
  assert.ok(JSON.parse(pasted.stdout).tools.length > 0);
  const broken = `${readToken.slice(0, 10)} ${readToken.slice(10)}`;
  for (const args of [
    ['tools', '--url', mcp.url, '--bearer-token-env', 'BROKEN'],
    ['doctor', '--url', mcp.url, '--bearer-token-env', 'BROKEN'],
  ]) {
    const run = await cli(args, { BROKEN: broken });
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /env var BROKEN does not hold one bearer token/);
    assert.match(run.stdout + run.stderr, /export BROKEN="<token>"/);
    assert.ok(!(run.stdout + run.stderr).includes(readToken.slice(10)), 'the value is never shown');
  }
});

test('env var named but unset: the auth error, field by field', async () => {
  const run = await cli(['tools', '--url', mcp.url, '--bearer-token-env', 'MISSING_TOKEN', '--json']);
  assert.equal(run.code, 3);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.code, 'auth_failed');
  assert.equal(error.details.status, 401);
  assert.equal(error.details.serverUrl, mcp.url);
  assert.equal(error.details.scheme, 'Bearer');
  assert.equal(error.details.params.resource_metadata, mcp.resourceMetadataUrl);
  assert.equal(error.details.params.scope, 'mcp:read');
  assert.equal(error.details.input, 'bearer_token_env');
  assert.equal(error.details.envVar, 'MISSING_TOKEN');
  assert.equal(error.details.state, 'env_unset');
  assert.equal(
    error.details.doctorCommand,
    `mcptest doctor --url ${mcp.url} --bearer-token-env MISSING_TOKEN`,
  );
  // One logical line in --json and on a pipe: a plain search finds the words together.
  assert.doesNotMatch(error.message, /\n/);
  assert.match(error.message, /is not set or is empty in this process/);
  const [first, second, ...rest] = run.stderr.trimEnd().split('\n');
  assert.match(
    first,
    new RegExp(`^error: auth failed: HTTP 401 from ${mcp.url}, server advertises .*is not set or is empty`),
  );
  assert.equal(second, `Diagnose with: mcptest doctor --url ${mcp.url} --bearer-token-env MISSING_TOKEN`);
  assert.deepEqual(rest, []);
});

test('a rejected bearer token (401) and a token lacking scope (403) each say what to fix', async () => {
  const rejected = await cli(['tools', '--url', mcp.url, '--bearer-token-env', 'BAD_TOKEN', '--json']);
  assert.equal(rejected.code, 3);
  const r = JSON.parse(rejected.stdout).error.details;
  assert.equal(r.state, 'token_rejected');
  assert.equal(r.status, 401);
  assert.equal(r.params.error, 'invalid_token');
  assert.match(r.fingerprint, /^[0-9a-f]{12}$/);
  const scope = await cli(['call', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', 'admin_reset']);
  assert.equal(scope.code, 3);
  assert.match(scope.stderr, /HTTP 403 from/);
  assert.match(scope.stderr.replace(/\n/g, ' '), /asks for scope `mcp:read mcp:admin`/);
});

test('doctor AUTH states: env unset, 401, 403 each with their own hint; all layers pass with a good token', async () => {
  const good = await cli(['doctor', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--json']);
  assert.equal(good.code, 0, good.stdout);
  const report = JSON.parse(good.stdout);
  assert.deepEqual(
    report.layers.map((l: any) => l.layer),
    ['config', 'network', 'http', 'auth', 'initialize', 'discover', 'legacy', 'tools'],
  );
  // The era layers report (a server speaking only the 2025 era warns); every other layer passes.
  for (const l of report.layers)
    assert.ok(
      l.status === 'pass' || (l.layer === 'discover' && l.status === 'warn'),
      `${l.layer}: ${l.status}`,
    );
  assert.equal(report.protocol.legacy, 'served');
  const init = report.layers.find((l: any) => l.layer === 'initialize');
  assert.equal(init.details.serverInfo.name, 'mcptest-example');
  assert.ok(init.details.protocolVersion);
  assert.equal(report.layers.find((l: any) => l.layer === 'tools').details.count, 7);

  const cases: Array<[string, string, RegExp]> = [
    ['MISSING_TOKEN', 'env_unset', /^export MISSING_TOKEN=/],
    ['BAD_TOKEN', 'token_rejected', /export a fresh token into BAD_TOKEN/],
    ['WRITE_TOKEN', 'insufficient_scope', /scope includes `mcp:read`/],
  ];
  for (const [envVar, state, hint] of cases) {
    const run = await cli(['doctor', '--url', mcp.url, '--bearer-token-env', envVar, '--json']);
    assert.equal(run.code, 3, `${envVar}: ${run.stdout}`);
    const auth = JSON.parse(run.stdout).layers.find((l: any) => l.layer === 'auth');
    assert.equal(auth.status, 'fail');
    assert.equal(auth.details.state, state);
    assert.match(auth.hint, hint);
    const later = JSON.parse(run.stdout).layers.filter(
      (l: any) => l.layer === 'initialize' || l.layer === 'tools',
    );
    assert.deepEqual(
      later.map((l: any) => l.status),
      ['skip', 'skip'],
    );
  }
  const human = await cli(['doctor', '--url', mcp.url, '--bearer-token-env', 'BAD_TOKEN']);
  assert.equal(human.code, 3);
  assert.match(human.stdout, /\[FAIL\] AUTH +token sent and rejected \(401/);
  assert.match(human.stdout, /hint: export a fresh token into BAD_TOKEN/);
});

test('doctor on an unreachable port fails the network layer with exit 1', async () => {
  const run = await cli(['doctor', '--url', 'http://127.0.0.1:9/mcp', '--json']);
  assert.equal(run.code, 1);
  const layers = JSON.parse(run.stdout).layers;
  assert.equal(layers[1].layer, 'network');
  assert.equal(layers[1].status, 'fail');
  assert.match(layers[1].summary, /ECONNREFUSED/);
  assert.equal(layers[2].status, 'skip');
});

test('plain http to a non-loopback host is refused', async () => {
  const run = await cli(['tools', '--url', 'http://mcp.example.com/mcp']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /must use https/);
});

test('a URL without the MCP path: the hint names the path to try, in tools and in doctor', async () => {
  const origin = new URL(mcp.url).origin;
  const tools = await cli(['tools', '--url', `${origin}/`, '--bearer-token-env', 'MCP_TOKEN']);
  assert.equal(tools.code, 1);
  assert.match(tools.stderr, /answered HTTP 404/);
  assert.match(tools.stderr, new RegExp(`hint: no MCP endpoint at the root: try --url ${origin}/mcp`));
  const doctor = await cli([
    'doctor',
    '--url',
    `${origin}/nope`,
    '--bearer-token-env',
    'MCP_TOKEN',
    '--json',
  ]);
  const init = JSON.parse(doctor.stdout).layers.find((l: { layer: string }) => l.layer === 'initialize');
  assert.equal(init.status, 'fail');
  assert.match(init.hint, /^no MCP endpoint at \/nope: check the path in --url/);
});

test('a 404 with an HTML page: the message names the page, it does not dump it', async () => {
  const page = `<!DOCTYPE html><html><head><title>404 Not Found</title><style>${'body{color:red}'.repeat(300)}</style></head><body><h1>Not Found</h1></body></html>`;
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    for (const verb of ['tools', 'doctor']) {
      const run = await cli([verb, '--url', url, '--json']);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /answered HTTP 404: .*an HTML page titled \\"404 Not Found\\"/, verb);
      assert.doesNotMatch(run.stdout, /color:red|<html/, verb);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('a URL typed without its scheme gets the one it needs in the hint', async () => {
  const local = await cli(['tools', '--url', 'localhost:8080/mcp']);
  assert.equal(local.code, 2);
  assert.match(local.stderr, /server URL "localhost:8080\/mcp" has no scheme/);
  assert.match(local.stderr, /hint: use http:\/\/localhost:8080\/mcp/);
  const remote = await cli(['login', 'mcp.example.com/mcp', '--no-browser']);
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /hint: use https:\/\/mcp\.example\.com\/mcp/);
});

test('client credentials flags: the daemon mints a token at --token-url and tools succeed', async () => {
  const args = [
    '--url',
    mcp.url,
    '--client-id',
    'ci',
    '--client-secret-env',
    'CI_SECRET',
    '--token-url',
    idp.tokenEndpoint,
    '--scope',
    'mcp:read',
  ];
  const before = idp.requests.filter((r) => r.grantType === 'client_credentials').length;
  const run = await cli(['call', ...args, 'whoami', '--json'], { CI_SECRET });
  assert.equal(run.code, 0, run.stderr);
  const who = JSON.parse(run.stdout).structuredContent;
  assert.equal(who.clientId, 'ci');
  assert.deepEqual(who.scopes, ['mcp:read']);
  const again = await cli(['tools', ...args], { CI_SECRET });
  assert.equal(again.code, 0, again.stderr);
  // The daemon caches the minted token for every later process.
  assert.equal(idp.requests.filter((r) => r.grantType === 'client_credentials').length - before, 1);
  const doctor = await cli(['doctor', ...args, '--json'], { CI_SECRET });
  assert.equal(doctor.code, 0, doctor.stdout);
});

test('client credentials step up on 403 insufficient_scope: one mint with the union scope, no human', async () => {
  const args = (clientId: string) => [
    '--url',
    mcp.url,
    '--client-id',
    clientId,
    '--client-secret-env',
    'CI_SECRET',
    '--token-url',
    idp.tokenEndpoint,
    '--scope',
    'mcp:read',
  ];
  const mints = () => idp.requests.filter((r) => r.grantType === 'client_credentials').length;
  const before = mints();
  const run = await cli(['call', ...args('ci-admin'), 'admin_reset'], { CI_SECRET });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /reset done/);
  assert.match(
    run.stderr,
    /needs scope `mcp:read mcp:admin`; minted a client-credentials token for `mcp:read mcp:admin`/,
  );
  assert.equal(mints() - before, 2, 'one mint for mcp:read, one for the union');
  const who = await cli(['call', ...args('ci-admin'), '--scope', 'mcp:read mcp:admin', 'whoami', '--json'], {
    CI_SECRET,
  });
  assert.deepEqual(JSON.parse(who.stdout).structuredContent.scopes, ['mcp:read', 'mcp:admin']);
  assert.equal(mints() - before, 2, 'the wider token is cached in the daemon for later processes');

  // A client that may not hold the wider scope: the IdP's refusal, with the scope and client named.
  const refused = await cli(['call', ...args('ci'), 'admin_reset', '--json'], { CI_SECRET });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  const { error } = JSON.parse(refused.stdout);
  assert.equal(error.code, 'invalid_scope');
  assert.match(error.message, /requires scope `mcp:read mcp:admin` \(HTTP 403 insufficient_scope\)/);
  assert.match(error.message, /refused scope "mcp:read mcp:admin" for client `ci`/);
  assert.ok(error.hint, 'a hint comes with the refusal');

  /** A suite of `tests` against the example server, authenticated as `clientId` with scope mcp:read. */
  const ccSuite = (file: string, clientId: string, tests: string[]) => {
    const suitePath = path.join(env.MCPTEST_HOME as string, file);
    const oauth = `{ grant: client_credentials, client_id: ${clientId}, client_secret_env: CI_SECRET, token_url: ${JSON.stringify(idp.tokenEndpoint)}, scope: "mcp:read" }`;
    fs.writeFileSync(
      suitePath,
      [
        'servers:',
        '  api:',
        `    url: ${mcp.url}`,
        `    auth: { oauth: ${oauth} }`,
        'tests:',
        ...tests,
        '',
      ].join('\n'),
    );
    return suitePath;
  };

  // In a suite, a refused widening fails that test only; the next ones keep the working token.
  const suite = ccSuite('cc-widen.yaml', 'ci', [
    '  - { name: needs admin, tool: admin_reset }',
    '  - { name: echo after, tool: echo, arguments: { text: still fine } }',
  ]);
  const suiteRun = await cli(['run', suite, '--reporter', 'json', '--concurrency', '1'], { CI_SECRET });
  const report = JSON.parse(suiteRun.stdout);
  assert.deepEqual(
    report.tests.map((t: { name: string; status: string }) => [t.name, t.status]),
    [
      ['needs admin', 'failed'],
      ['echo after', 'passed'],
    ],
    suiteRun.stdout,
  );
  assert.match(JSON.stringify(report.tests[0]), /invalid_scope/);

  // Twelve tests refused at once share one widening, then all pass (and no listener warning).
  const many = ccSuite(
    'cc-many.yaml',
    'ci-admin',
    Array.from({ length: 12 }, (_, i) => `  - { name: admin ${i}, tool: admin_reset }`),
  );
  const mintsBefore = mints();
  const manyRun = await cli(['run', many, '--reporter', 'json', '--concurrency', '12'], { CI_SECRET });
  assert.equal(manyRun.code, 0, manyRun.stdout + manyRun.stderr);
  assert.deepEqual(JSON.parse(manyRun.stdout).summary, { total: 12, passed: 12, failed: 0, skipped: 0 });
  assert.ok(mints() - mintsBefore <= 1, 'the union token was already cached, or minted once');
});

test('client credentials without a scope: 20 parallel processes cause one exchange, with the challenge scope', async () => {
  const mints = (clientId: string) =>
    idp.requests.filter((r) => r.grantType === 'client_credentials' && r.clientId === clientId).length;
  const args = [
    'tools',
    '--url',
    mcp.url,
    '--client-id',
    'ci-par',
    '--client-secret-env',
    'CI_SECRET',
    '--json',
  ];
  const runs = await Promise.all(Array.from({ length: 20 }, () => cli(args, { CI_SECRET })));
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  assert.equal(mints('ci-par'), 1, 'one exchange at the IdP for all twenty');
  const who = await cli(['call', ...args.slice(1, -1), 'whoami', '--json'], { CI_SECRET });
  assert.deepEqual(JSON.parse(who.stdout).structuredContent.scopes, ['mcp:read'], 'the 401 challenge scope');

  // A step-up without a configured scope is remembered for the server and client.
  const auto = ['--url', mcp.url, '--client-id', 'ci-auto', '--client-secret-env', 'CI_SECRET'];
  const reset = await cli(['call', ...auto, 'admin_reset'], { CI_SECRET });
  assert.equal(reset.code, 0, reset.stderr);
  const afterStepUp = mints('ci-auto');
  assert.equal(afterStepUp, 2, 'one mint for the challenge scope, one for the union');
  const again = await cli(['call', ...auto, 'admin_reset', '--json'], { CI_SECRET });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /needs scope/, 'no second step-up');
  assert.equal(mints('ci-auto'), afterStepUp, 'a later process goes straight to the scope that worked');
});

test('an IdP answering a bare 403 with no body: the message says so and suggests --scope', async () => {
  idp.setFault({ status: 403, empty: true }, { path: new URL(idp.tokenEndpoint).pathname, times: 1 });
  const run = await cli(
    [
      'tools',
      '--url',
      mcp.url,
      '--client-id',
      'ci-empty',
      '--client-secret-env',
      'CI_SECRET',
      '--token-url',
      idp.tokenEndpoint,
      '--json',
    ],
    { CI_SECRET },
  );
  assert.notEqual(run.code, 0);
  const { error } = JSON.parse(run.stdout);
  assert.match(error.message, /HTTP 403 with an empty body/);
  assert.doesNotMatch(error.message, /content-type/i);
  assert.match(error.hint, /--scope/);
});

test('client credentials with the secret env var unset: an error naming the env var', async () => {
  const unset = ['--url', mcp.url, '--client-id', 'ci', '--client-secret-env', 'UNSET_SECRET'];
  const run = await cli(['tools', ...unset, '--token-url', idp.tokenEndpoint, '--json']);
  assert.equal(run.code, 3);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.code, 'env_var_missing');
  assert.match(error.message, /`UNSET_SECRET` \(named by `client_secret_env`\)/);
  assert.equal(error.details.envVar, 'UNSET_SECRET');
  assert.match(error.hint, /--client-secret-env UNSET_SECRET/);
  const doctor = await cli(['doctor', ...unset, '--token-url', idp.tokenEndpoint, '--json']);
  assert.equal(doctor.code, 3);
  const auth = JSON.parse(doctor.stdout).layers.find((l: any) => l.layer === 'auth');
  assert.equal(auth.details.state, 'env_unset');
  assert.equal(auth.hint, 'export UNSET_SECRET=<the client secret>');
});

test('stdio server: tools, call and doctor', async () => {
  const stdio = ['--command', process.execPath, '--arg', STDIO_SERVER];
  const tools = await cli(['tools', ...stdio, '--json']);
  assert.equal(tools.code, 0, tools.stderr);
  assert.ok(JSON.parse(tools.stdout).tools.some((t: any) => t.name === 'echo'));
  const call = await cli(['call', ...stdio, 'echo', '--args', '{"text":"over stdio"}']);
  assert.equal(call.code, 0, call.stderr);
  assert.equal(call.stdout, 'over stdio\n');
  const unknown = await cli(['call', ...stdio, 'ehco', '--args', '{"text":"typo"}']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: the server has no tool named `ehco` \(it has: echo, add, /m);
  assert.match(unknown.stderr, /^hint: mcptest tools --command \S+ --arg \S+stdio-server\.js$/m);
  const failing = await cli(['call', ...stdio, 'fail', '--args', '{"message":"on purpose"}']);
  assert.equal(failing.code, 1);
  assert.match(
    failing.stderr,
    /^error: tool fail answered with isError: true$/m,
    'a listed tool keeps its own error',
  );
  const doctor = await cli(['doctor', ...stdio, '--json']);
  assert.equal(doctor.code, 0, doctor.stdout);
  assert.deepEqual(
    JSON.parse(doctor.stdout).layers.map((l: any) => l.status),
    ['pass', 'skip', 'skip', 'skip', 'pass', 'pass', 'pass', 'pass'],
    'the dual-era stdio example: server/discover and the 2025 clients check pass',
  );
  const missing = await cli(['tools', '--command', 'no-such-mcp-server-binary']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot start stdio server `no-such-mcp-server-binary`/);
  // A server that dies at start: its own last words, and the command to run it by hand.
  const dies = await cli([
    'tools',
    '--command',
    'sh',
    '--arg',
    '-c',
    '--arg',
    'echo "fatal: bad config" >&2; exit 3',
  ]);
  assert.equal(dies.code, 1);
  assert.match(dies.stderr, /exited before it initialized; its stderr ends: fatal: bad config/);
  assert.match(
    dies.stderr,
    /^hint: run it by hand to see why: sh -c 'echo "fatal: bad config" >&2; exit 3'$/m,
  );
  // Given as one command line, the hint is still a command line to paste, not one quoted word.
  for (const verb of ['tools', 'doctor']) {
    const line = await cli([verb, '--command', `sh -c 'echo "fatal: bad config" >&2; exit 3'`, '--json']);
    assert.notEqual(line.code, 0);
    assert.match(
      line.stdout,
      /run it by hand to see why: sh -c 'echo \\"fatal: bad config\\" >&2; exit 3'"/,
      `${verb}: ${line.stdout}`,
    );
  }
});

test('a redirect to another origin is refused and the token never follows it', async () => {
  const seen: Array<string | undefined> = [];
  const elsewhere = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(500).end();
  });
  const redirector = createServer((_req, res) => {
    const port = (elsewhere.address() as AddressInfo).port;
    res.writeHead(307, { location: `http://localhost:${port}/mcp` }).end();
  });
  await Promise.all(
    [elsewhere, redirector].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))),
  );
  try {
    const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/mcp`;
    const run = await cli(['tools', '--url', url, '--bearer-token-env', 'MCP_TOKEN']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /redirected to another origin \(http:\/\/localhost:\d+\)/);
    assert.deepEqual(seen, []);
  } finally {
    await Promise.all([elsewhere, redirector].map((s) => new Promise((r) => s.close(r))));
  }
});

test('no token or secret value ever appears in any output', () => {
  assert.ok(outputs.length > 20);
  for (const run of outputs) {
    for (const secret of [readToken, writeOnlyToken, CI_SECRET, 'not-a-valid-token']) {
      assert.ok(!run.stdout.includes(secret), 'secret in stdout');
      assert.ok(!run.stderr.includes(secret), 'secret in stderr');
    }
  }
});

test('a call timeout names the limit and the flag that sets it', async () => {
  const run = await callWithToken('slow', '--args', '{"ms":5000}', '--timeout', '0.5', '--json');
  assert.equal(run.code, 1, run.stderr);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.code, 'timeout');
  assert.match(error.message, /did not answer within 0\.5 s/);
  assert.match(error.message, /--timeout SECONDS, or timeout_ms in a suite/);
});
