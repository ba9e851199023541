/**
 * `mcptest mcp-server` driven as an agent drives it: the SDK Client over stdio spawning the real
 * built CLI, against the real IdP and protected MCP server from examples/oauth-server. Every verb
 * once for success, a scaffolded suite passing `mcptest run` unchanged, the auth error as data
 * with ask_human, a device login through the verbs, and no token value anywhere.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parse as parseYaml } from 'yaml';
import { DaemonClient } from '../../client/daemon-client.js';
import { type Idp, startIdp, clientCredentialsClient } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { rawAgentCall, startAgent } from '../helpers/agent.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let agent: Client;
let home: string;
const CI_SECRET = 'agent-ci-secret-0123456789abcdef';
const secrets: string[] = [CI_SECRET];
/** Every text the agent server answered, checked for secrets at the end. */
const seen: string[] = [];

type Answer = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: any };

async function call(name: string, args: Record<string, unknown> = {}): Promise<Answer> {
  const res = (await agent.callTool({ name, arguments: args }, undefined, { timeout: 90_000 })) as Answer;
  seen.push(JSON.stringify(res));
  return res;
}

function ok(res: Answer): any {
  assert.notEqual(res.isError, true, res.content.map((c) => c.text).join('\n'));
  assert.equal(res.structuredContent.ok, true);
  return res.structuredContent;
}

before(async () => {
  idp = await startIdp({
    deviceInterval: 1,
    clients: [clientCredentialsClient('agent-ci', CI_SECRET, 'mcp:read')],
  });
  mcp = await startMcpServer({ issuer: idp.issuer });
  const set = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read mcp:write' });
  secrets.push(set.access_token);
  if (set.refresh_token) secrets.push(set.refresh_token);
  env = isolatedEnv({ MCP_TOKEN: set.access_token, CI_SECRET });
  home = env.MCPTEST_HOME as string;
  agent = await startAgent(env, { cwd: home });
  // Listing first lets the SDK client validate every structuredContent against its outputSchema.
  await agent.listTools();
});

after(async () => {
  await agent?.close().catch(() => undefined);
  await env?.cleanup();
  await mcp?.close();
  await idp?.close();
});

test('the server offers the eleven verbs, each with an input and an output schema', async () => {
  const { tools } = await agent.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    [
      'list_tools',
      'call_tool',
      'get_prompt',
      'read_resource',
      'scaffold_suite',
      'propose_assertions',
      'run_suite',
      'doctor',
      'auth_status',
      'login_device_start',
      'login_status',
    ],
  );
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.equal(t.outputSchema?.type, 'object', t.name);
    assert.ok((t.description ?? '').length > 80, `${t.name} has a description written for an agent`);
  }
  const listTools = tools.find((t) => t.name === 'list_tools');
  assert.ok(listTools?.inputSchema.properties?.bearer_token_env, 'targets take bearer_token_env');
});

test('list_tools with url + bearer_token_env lists the example tools', async () => {
  const out = ok(await call('list_tools', { url: mcp.url, bearer_token_env: 'MCP_TOKEN' }));
  assert.equal(out.server.name, 'mcptest-example');
  const names = out.tools.map((t: { name: string }) => t.name);
  assert.deepEqual(names.sort(), ['add', 'admin_reset', 'echo', 'fail', 'get_weather', 'slow', 'whoami']);
  const add = out.tools.find((t: { name: string }) => t.name === 'add');
  assert.deepEqual(add.inputSchema.required.sort(), ['a', 'b']);
  assert.equal(add.outputSchema.type, 'object');
});

test('call_tool returns content, structuredContent and isError', async () => {
  const out = ok(
    await call('call_tool', {
      url: mcp.url,
      bearer_token_env: 'MCP_TOKEN',
      tool: 'add',
      arguments: { a: 40, b: 2 },
    }),
  );
  assert.deepEqual(out.structuredContent, { sum: 42 });
  assert.equal(out.isError, false);
  assert.equal(out.content[0].text, '42');
  const failing = ok(
    await call('call_tool', {
      url: mcp.url,
      bearer_token_env: 'MCP_TOKEN',
      tool: 'fail',
      arguments: { message: 'boom' },
    }),
  );
  assert.equal(failing.isError, true, 'a tool error is data, not a failure of the verb');
  assert.equal(failing.content[0].text, 'boom');
});

test('get_prompt returns the messages; an unknown prompt is not_found naming the prompts', async () => {
  const target = { url: mcp.url, bearer_token_env: 'MCP_TOKEN' };
  const out = ok(await call('get_prompt', { ...target, name: 'review_code', arguments: { code: 'x = 1' } }));
  assert.deepEqual(out.messages, [
    { role: 'user', content: { type: 'text', text: 'Please review this code:\n\nx = 1' } },
  ]);
  const unknown = await call('get_prompt', { ...target, name: 'nope' });
  assert.equal(unknown.isError, true);
  assert.equal(unknown.structuredContent.error.code, 'not_found');
  assert.match(unknown.structuredContent.error.message, /it has: review_code/);
  assert.equal(
    unknown.structuredContent.error.hint,
    `mcptest prompts --url ${mcp.url} --bearer-token-env MCP_TOKEN`,
  );
});

test('read_resource returns text and blob contents with their size; an unknown URI is not_found', async () => {
  const target = { url: mcp.url, bearer_token_env: 'MCP_TOKEN' };
  const text = ok(await call('read_resource', { ...target, uri: 'example://weather/cities' }));
  assert.equal(JSON.parse(text.contents[0].text).cities.length, 3);
  assert.equal(text.contents[0].mimeType, 'application/json');
  const blob = ok(await call('read_resource', { ...target, uri: 'example://images/pixel.png' }));
  assert.equal(blob.contents[0].mimeType, 'image/png');
  assert.equal(blob.contents[0].bytes, 72);
  assert.equal(Buffer.from(blob.contents[0].blob, 'base64').subarray(1, 4).toString(), 'PNG');
  const unknown = await call('read_resource', { ...target, uri: 'example://nothing' });
  assert.equal(unknown.structuredContent.error.code, 'not_found');
  assert.equal(
    unknown.structuredContent.error.hint,
    `mcptest resources --url ${mcp.url} --bearer-token-env MCP_TOKEN`,
  );
  const refused = await call('read_resource', {
    url: mcp.url,
    bearer_token_env: 'UNSET_TOKEN_VAR',
    uri: 'x://y',
  });
  assert.equal(refused.structuredContent.error.code, 'auth_failed');
  assert.match(refused.structuredContent.error.ask_human, /UNSET_TOKEN_VAR/);
});

test('login_device_start that cannot start carries ask_human', async () => {
  // Nothing listens on port 9: no metadata, no device login.
  const res = await call('login_device_start', { url: 'http://127.0.0.1:9/mcp' });
  assert.equal(res.isError, true);
  const e = res.structuredContent.error;
  assert.match(e.ask_human, /^The device login to http:\/\/127\.0\.0\.1:9\/mcp could not start \(/);
  assert.match(res.content.at(-1)?.text ?? '', /^Ask the human: /);
});

test('scaffold_suite writes a suite that `mcptest run` passes unchanged, and refuses to overwrite it', async () => {
  const out = ok(
    await call('scaffold_suite', { url: mcp.url, bearer_token_env: 'MCP_TOKEN', path: 'scaffolded.yaml' }),
  );
  const file = path.join(home, 'scaffolded.yaml');
  assert.equal(out.path, file);
  assert.equal(out.written, true);
  assert.equal(fs.readFileSync(file, 'utf8'), out.yaml);
  assert.equal(out.tests.length, 8);
  const snapshot = out.tests.find((t: { kind: string }) => t.kind === 'snapshot');
  assert.deepEqual(snapshot, {
    name: 'the surface has no breaking change',
    tool: 'scaffolded.surface.json',
    kind: 'snapshot',
    outcome: 'ok',
  });
  assert.ok(
    fs.existsSync(path.join(home, 'scaffolded.surface.json')),
    'the surface is written beside the suite',
  );
  const admin = out.tests.find((t: { tool: string }) => t.tool === 'admin_reset');
  assert.equal(admin.kind, 'present');
  assert.equal(admin.outcome, 'auth_refused');
  assert.match(admin.note, /403 insufficient_scope.*mcp:admin/);
  assert.match(out.yaml, /# calling admin_reset was refused with HTTP 403/);
  assert.equal(out.tests.find((t: { tool: string }) => t.tool === 'fail').outcome, 'tool_error');
  const suite = parseYaml(out.yaml);
  assert.deepEqual(Object.values(suite.servers), [{ url: mcp.url, auth: { bearer_token_env: 'MCP_TOKEN' } }]);
  assert.equal(suite.schema_checks, 'error');

  const run = await runCli(['run', 'scaffolded.yaml', '--reporter', 'json'], { env });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(report.summary, { total: 8, passed: 8, failed: 0, skipped: 0 });

  const again = await call('scaffold_suite', {
    url: mcp.url,
    bearer_token_env: 'MCP_TOKEN',
    path: 'scaffolded.yaml',
  });
  assert.equal(again.isError, true);
  assert.equal(again.structuredContent.error.code, 'file_exists');
  assert.match(again.structuredContent.error.hint, /overwrite/);
  const replaced = ok(
    await call('scaffold_suite', {
      url: mcp.url,
      bearer_token_env: 'MCP_TOKEN',
      path: 'scaffolded.yaml',
      overwrite: true,
    }),
  );
  assert.equal(replaced.written, true);
});

test('propose_assertions proposes a runnable test: shapes for volatile values, output_schema, no latency bound', async () => {
  const out = ok(
    await call('propose_assertions', {
      url: mcp.url,
      bearer_token_env: 'MCP_TOKEN',
      tool: 'get_weather',
      arguments: { city: 'Paris' },
    }),
  );
  const expect = out.test.expect;
  assert.equal(expect.is_error, false);
  assert.equal(expect.output_schema, true);
  assert.equal(expect.json['$.city'], 'Paris');
  assert.equal(expect.json['$.temperatureC'], 18);
  assert.equal(expect.max_latency_ms, undefined, 'a latency bound would fail on a loaded machine');
  assert.equal(out.observed.calls, 3);

  const who = ok(
    await call('propose_assertions', { url: mcp.url, bearer_token_env: 'MCP_TOKEN', tool: 'whoami' }),
  );
  assert.deepEqual(who.test.expect.json['$.clientId'], { type: 'string' }, 'a client id is volatile');
  assert.deepEqual(who.test.expect.json['$.scopes'], { type: 'array' });
  assert.equal(who.test.expect.json['$.authenticated'], true);

  fs.writeFileSync(path.join(home, 'proposed.yaml'), out.yaml);
  const run = await runCli(['run', 'proposed.yaml'], { env });
  assert.equal(run.code, 0, run.stdout + run.stderr);

  const missing = await call('propose_assertions', {
    url: mcp.url,
    bearer_token_env: 'MCP_TOKEN',
    tool: 'nope',
  });
  assert.equal(missing.isError, true);
  assert.equal(missing.structuredContent.error.code, 'not_found');
});

test('a 403 insufficient_scope names the scope to ask for; client credentials are minted by the daemon', async () => {
  const res = await call('call_tool', { url: mcp.url, bearer_token_env: 'MCP_TOKEN', tool: 'admin_reset' });
  assert.equal(res.isError, true);
  const e = res.structuredContent.error;
  assert.equal(e.status, 403);
  assert.equal(e.state, 'insufficient_scope');
  assert.match(e.params.scope, /mcp:admin/);
  assert.match(e.fingerprint, /^[0-9a-f]{12}$/);
  assert.match(e.ask_human, /scope mcp:read mcp:admin into the environment variable MCP_TOKEN/);

  const cc = ok(
    await call('call_tool', {
      url: mcp.url,
      client_id: 'agent-ci',
      client_secret_env: 'CI_SECRET',
      scope: 'mcp:read',
      tool: 'whoami',
    }),
  );
  assert.equal(cc.structuredContent.clientId, 'agent-ci');

  // Client credentials step up by themselves; a client the IdP will not give the wider scope
  // comes back as invalid_scope, asking the human to allow exactly that scope.
  const wider = await call('call_tool', {
    url: mcp.url,
    client_id: 'agent-ci',
    client_secret_env: 'CI_SECRET',
    scope: 'mcp:read',
    tool: 'admin_reset',
  });
  assert.equal(wider.isError, true);
  const refused = wider.structuredContent.error;
  assert.equal(refused.code, 'invalid_scope');
  assert.match(refused.message, /requires scope `mcp:read mcp:admin` \(HTTP 403 insufficient_scope\)/);
  assert.match(refused.ask_human, /allow the OAuth client to request the scope mcp:read mcp:admin/);
});

test('run_suite takes schema_checks, coverage and min_coverage as mcptest run does', async () => {
  const checkServer = fileURLToPath(new URL('../helpers/result-check-server.js', import.meta.url));
  fs.writeFileSync(
    path.join(home, 'checks.yaml'),
    [
      'servers:',
      `  s: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(checkServer)}] }`,
      'tests:',
      '  - name: wrong type',
      '    tool: wrong_type',
      '  - name: good',
      '    tool: good',
      '',
    ].join('\n'),
  );
  const strict = ok(await call('run_suite', { path: 'checks.yaml' }));
  assert.equal(strict.exit_code, 1);
  assert.match(strict.tests.find((t: { name: string }) => t.name === 'wrong type').failure, /output_schema/);
  assert.equal(strict.coverage, undefined, 'no coverage unless asked');

  const lenient = ok(await call('run_suite', { path: 'checks.yaml', schema_checks: 'warn', coverage: true }));
  assert.equal(lenient.exit_code, 0);
  const warned = lenient.tests.find((t: { name: string }) => t.name === 'wrong type');
  assert.equal(warned.status, 'passed');
  assert.match(warned.warnings[0], /^output_schema: .*must be number/);
  const tools = lenient.coverage.servers[0].kinds.tools;
  assert.equal(tools.tested, 2);
  assert.ok(tools.untested.includes('missing'), JSON.stringify(tools));
  assert.equal(lenient.coverage.passed, true);

  const short = ok(
    await call('run_suite', { path: 'checks.yaml', schema_checks: 'off', min_coverage: 'tools=100' }),
  );
  assert.equal(short.exit_code, 1);
  assert.equal(short.summary.failed, 0);
  assert.equal(short.coverage.passed, false);
  assert.match(short.coverage.shortfalls[0], /tools 2\/\d+ .* is below 100%/);

  const bad = await call('run_suite', { path: 'checks.yaml', min_coverage: 'tools=lots' });
  assert.equal(bad.isError, true);
  assert.match(bad.content.map((c) => c.text).join('\n'), /--min-coverage tools=lots/);
});

test('run_suite returns per-test results and a summary', async () => {
  fs.writeFileSync(
    path.join(home, 'mixed.yaml'),
    [
      'servers:',
      '  example:',
      `    url: ${mcp.url}`,
      '    auth: { bearer_token_env: MCP_TOKEN }',
      'tests:',
      '  - name: adds',
      '    tool: add',
      '    arguments: { a: 1, b: 2 }',
      '    expect: { json: { "$.sum": 3 } }',
      '  - name: wrong sum',
      '    tool: add',
      '    arguments: { a: 1, b: 2 }',
      '    expect: { json: { "$.sum": 4 } }',
      '',
    ].join('\n'),
  );
  const out = ok(await call('run_suite', { path: 'mixed.yaml' }));
  assert.deepEqual(out.summary, { total: 2, passed: 1, failed: 1, skipped: 0 });
  assert.equal(out.exit_code, 1);
  const wrong = out.tests.find((t: { name: string }) => t.name === 'wrong sum');
  assert.equal(wrong.status, 'failed');
  assert.match(wrong.failure, /\$\.sum/);
  assert.equal(out.tests.find((t: { name: string }) => t.name === 'adds').failure, null);
  // An agent that asks for progress hears of the start and of every finished test.
  const heard: Array<{ progress: number; total?: number; message?: string }> = [];
  const withProgress = await agent.callTool(
    { name: 'run_suite', arguments: { path: 'mixed.yaml' } },
    undefined,
    {
      onprogress: (p) => heard.push(p),
    },
  );
  assert.equal(withProgress.isError, undefined);
  assert.deepEqual(
    heard.map((p) => [p.progress, p.total]),
    [
      [0, 2],
      [1, 2],
      [2, 2],
    ],
  );
  assert.match(heard[0].message ?? '', /^running 2 tests of mixed$/);
  assert.deepEqual(
    heard
      .slice(1)
      .map((p) => p.message)
      .sort(),
    ['adds: passed', 'wrong sum: failed'],
  );
  // An agent that asks for progress hears of the start and of every finished test, before the
  // result (an SDK client drops progress that comes after it).
  const wire = await rawAgentCall(env, home, {
    id: 7,
    method: 'tools/call',
    params: { name: 'run_suite', arguments: { path: 'mixed.yaml' }, _meta: { progressToken: 'suite-1' } },
  });
  const progress = wire.filter((m) => m.method === 'notifications/progress').map((m) => m.params);
  assert.equal(wire.at(-1)?.id, 7, 'the result comes last');
  assert.equal(wire.at(-1)?.result?.structuredContent?.summary?.total, 2);
  assert.deepEqual(
    progress.map((p) => [p.progressToken, p.progress, p.total]),
    [
      ['suite-1', 0, 2],
      ['suite-1', 1, 2],
      ['suite-1', 2, 2],
    ],
  );
  assert.equal(progress[0].message, 'running 2 tests of mixed');
  assert.deepEqual(
    progress
      .slice(1)
      .map((p) => p.message)
      .sort(),
    ['adds: passed', 'wrong sum: failed'],
  );
  const filtered = ok(await call('run_suite', { path: 'mixed.yaml', filter: 'adds' }));
  assert.equal(filtered.summary.total, 1);
  const bad = await call('run_suite', { path: 'no-such-suite.yaml' });
  assert.equal(bad.isError, true);
});

test('doctor returns the layered report as data', async () => {
  const out = ok(await call('doctor', { url: mcp.url, bearer_token_env: 'MCP_TOKEN' }));
  assert.equal(out.healthy, true);
  assert.deepEqual(
    out.layers.map((l: { layer: string }) => l.layer),
    ['config', 'network', 'http', 'auth', 'initialize', 'discover', 'legacy', 'tools'],
  );
  for (const l of out.layers as Array<{ layer: string; status: string }>)
    assert.ok(
      l.status === 'pass' || (l.layer === 'discover' && l.status === 'warn'),
      `${l.layer}: ${l.status}`,
    );
  assert.equal(out.protocol.legacy, 'served');
  const unset = ok(await call('doctor', { url: mcp.url, bearer_token_env: 'UNSET_TOKEN_VAR' }));
  assert.equal(unset.healthy, false);
  assert.equal(unset.exitCode, 3);
  assert.match(unset.ask_human, /UNSET_TOKEN_VAR/);
});

test('an unset bearer_token_env is an error result with the CLI message, the fields and ask_human', async () => {
  const res = await call('list_tools', { url: mcp.url, bearer_token_env: 'UNSET_TOKEN_VAR' });
  assert.equal(res.isError, true);
  const e = res.structuredContent.error;
  assert.equal(res.structuredContent.ok, false);
  assert.equal(e.code, 'auth_failed');
  assert.equal(e.status, 401);
  assert.equal(e.scheme, 'Bearer');
  assert.match(e.params.resource_metadata, /oauth-protected-resource/);
  assert.equal(e.input, 'bearer_token_env');
  assert.equal(e.env_var, 'UNSET_TOKEN_VAR');
  assert.equal(e.state, 'env_unset');
  assert.equal(e.doctor_command, `mcptest doctor --url ${mcp.url} --bearer-token-env UNSET_TOKEN_VAR`);
  assert.match(e.ask_human, /^Please set the environment variable UNSET_TOKEN_VAR .*mcp-server/);
  // The same message as the CLI prints for the same failure.
  const cli = await runCli(['tools', '--url', mcp.url, '--bearer-token-env', 'UNSET_TOKEN_VAR', '--json'], {
    env,
  });
  assert.equal(cli.code, 3);
  assert.equal(JSON.parse(cli.stdout).error.message, e.message);
  assert.doesNotMatch(e.message, /\n/, 'one logical line');
  assert.equal(res.content[0].text, `${e.message}\nhint: ${e.hint}`);
  assert.match(res.content[1].text ?? '', /^Ask the human: /);

  const bad = await call('list_tools', { url: mcp.url, bearer_token_env: 'not a name' });
  assert.equal(bad.isError, true, 'input is validated');
  const both = await call('list_tools', { url: mcp.url, command: 'node' });
  assert.equal(both.isError, true);
  assert.equal(both.structuredContent.error.code, 'invalid_request');
});

test('a device login through the verbs completes after approval; then list_tools works with just url', async () => {
  const before = await call('list_tools', { url: mcp.url });
  assert.equal(before.isError, true);
  assert.equal(before.structuredContent.error.state, 'no_credentials');
  assert.match(before.structuredContent.error.ask_human, new RegExp(`mcptest login ${mcp.url}`));

  const started = ok(await call('login_device_start', { url: mcp.url }));
  assert.match(started.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
  assert.ok(started.verification_uri.startsWith(idp.issuer));
  assert.match(started.ask_human, new RegExp(started.user_code));
  const pending = ok(await call('login_status', { login_id: started.login_id }));
  assert.equal(pending.status, 'pending');
  const status = ok(await call('auth_status'));
  assert.ok(status.pending_logins.some((l: { login_id: string }) => l.login_id === started.login_id));

  await idp.approveDevice(started.user_code);
  const done = ok(await call('login_status', { login_id: started.login_id, wait_seconds: 30 }));
  assert.equal(done.status, 'complete', done.message);

  const listed = ok(await call('list_tools', { url: mcp.url }));
  assert.equal(listed.tools.length, 7);
});

test('auth_status shows credentials by fingerprint, never a token value', async () => {
  // Seed a credential whose token strings we know, through the daemon the verbs started.
  const set = await idp.obtainTokenSet({ resource: 'http://127.0.0.1:9/other', scope: 'mcp:read' });
  secrets.push(set.access_token);
  if (set.refresh_token) secrets.push(set.refresh_token);
  const daemon = new DaemonClient(env.MCPTEST_SOCKET as string);
  try {
    await daemon.importCredential({
      serverUrl: 'http://127.0.0.1:9/other',
      accessToken: set.access_token,
      refreshToken: set.refresh_token,
      expiresIn: set.expires_in,
      scope: set.scope,
      issuer: set.issuer,
      tokenEndpoint: set.token_endpoint,
      clientId: set.client_id,
      clientSecret: set.client_secret,
      authMethod: set.token_endpoint_auth_method as 'none',
    });
  } finally {
    await daemon.close();
  }
  const res = await call('auth_status');
  const out = ok(res);
  const seeded = out.credentials.find(
    (c: { server_url: string }) => c.server_url === 'http://127.0.0.1:9/other',
  );
  assert.ok(seeded, 'the seeded credential is listed');
  assert.match(seeded.fingerprint, /^[0-9a-f]{12}$/);
  assert.ok(
    out.credentials.some(
      (c: { server_url: string; source: string }) => c.server_url === mcp.url && c.source === 'device',
    ),
  );
  const text = JSON.stringify(res);
  for (const secret of secrets) assert.ok(!text.includes(secret), 'no token value in auth_status');
});

test('no token value appears in anything the agent server answered', () => {
  assert.ok(seen.length > 15);
  const all = seen.join('\n');
  for (const secret of secrets) assert.ok(!all.includes(secret), 'a token value leaked into an answer');
});
