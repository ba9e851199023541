/**
 * `mcptest scaffold` through the real CLI: against the protected example server (the suite then
 * passes `mcptest run` unchanged), against the stdio example server, against a server whose tool
 * answers random values (the suite passes every time it is scaffolded and run), --force,
 * --no-call, --help.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { writeStdioServer } from '../helpers/stdio-server.js';

const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let token: string;
let home: string;

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  token = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  env = isolatedEnv({ MCP_TOKEN: token });
  home = env.MCPTEST_HOME as string;
});

after(async () => {
  await env?.cleanup();
  await mcp?.close();
  await idp?.close();
});

test('scaffold --output writes a suite that mcptest run passes unchanged', async () => {
  const args = [
    'scaffold',
    '--url',
    mcp.url,
    '--bearer-token-env',
    'MCP_TOKEN',
    '--output',
    'suites/app.yaml',
  ];
  const run = await runCli(args, { env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '', 'the suite went to the file, not stdout');
  assert.match(
    run.stderr,
    /Wrote suites\/app\.yaml: 8 tests, 5 calling a tool, 1 checking the surface against app\.surface\.json \(written beside it\); 2 only check the tool is listed.*fail, admin_reset/s,
  );
  assert.match(run.stderr, /Run it with: mcptest run suites\/app\.yaml/);
  const text = fs.readFileSync(path.join(home, 'suites/app.yaml'), 'utf8');
  assert.ok(!text.includes(token), 'the token never lands in the suite');
  const suite = parseYaml(text);
  assert.equal(suite.tests.length, 8);
  assert.equal(suite.schema_checks, 'error', 'the schema checks are written out, not left to the default');
  assert.match(text, /# every tool result is checked against its tool's outputSchema/);
  assert.deepEqual(suite.tests[0], {
    name: 'the surface has no breaking change',
    snapshot: 'app.surface.json',
  });
  const surface = JSON.parse(fs.readFileSync(path.join(home, 'suites/app.surface.json'), 'utf8'));
  assert.equal(surface.format, 'mcptest-surface/1');
  assert.ok(surface.tools.echo, 'the surface beside the suite holds the tools');
  const echo = suite.tests.find((t: { tool?: string }) => t.tool === 'echo');
  assert.deepEqual(echo.arguments, { text: 'example' });
  const slow = suite.tests.find((t: { tool?: string }) => t.tool === 'slow');
  assert.deepEqual(slow.arguments, { ms: 0 }, 'integer minimum honoured');

  const suiteRun = await runCli(['run', 'suites/app.yaml'], { env });
  assert.equal(suiteRun.code, 0, suiteRun.stdout + suiteRun.stderr);
  assert.match(suiteRun.stdout, /8 passed, 0 failed/);

  const again = await runCli(args, { env });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /suites\/app\.yaml already exists/);
  assert.match(
    again.stderr,
    new RegExp(
      `hint: mcptest scaffold --url ${mcp.url} --bearer-token-env MCP_TOKEN --output suites/app.yaml --force`,
    ),
  );
  const forced = await runCli([...args, '--force'], { env });
  assert.equal(forced.code, 0, forced.stderr);

  // --prompts and --resources add a test per prompt and per resource, and the suite still passes.
  const wider = await runCli([...args, '--force', '--prompts', '--resources'], { env });
  assert.equal(wider.code, 0, wider.stderr);
  assert.match(wider.stderr, /11 tests, 5 calling a tool, 3 getting a prompt or reading a resource/);
  const widerSuite = parseYaml(fs.readFileSync(path.join(home, 'suites/app.yaml'), 'utf8'));
  const prompt = widerSuite.tests.find((t: { prompt?: string }) => t.prompt === 'review_code');
  assert.deepEqual(prompt.arguments, { code: 'example' }, 'the required argument only');
  assert.ok(widerSuite.tests.some((t: { resource?: string }) => t.resource === 'example://weather/cities'));
  const widerRun = await runCli(['run', 'suites/app.yaml'], { env });
  assert.equal(widerRun.code, 0, widerRun.stdout + widerRun.stderr);
  assert.match(widerRun.stdout, /11 passed, 0 failed/);
});

test('scaffold of a stdio server prints the suite; --no-call and --json', async () => {
  const run = await runCli(['scaffold', '--command', process.execPath, '--arg', STDIO_SERVER], { env });
  assert.equal(run.code, 0, run.stderr);
  const suite = parseYaml(run.stdout);
  const server = Object.values(suite.servers)[0] as { command: string; args: string[] };
  assert.equal(server.command, process.execPath);
  // Over stdio there is no scope check: admin_reset is called and tested like the others.
  assert.ok(suite.tests.some((t: { tool?: string }) => t.tool === 'admin_reset'));
  fs.writeFileSync(path.join(home, 'stdio.yaml'), run.stdout);
  const suiteRun = await runCli(['run', 'stdio.yaml'], { env });
  assert.equal(suiteRun.code, 0, suiteRun.stdout + suiteRun.stderr);

  const json = await runCli(
    ['scaffold', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--no-call', '--json'],
    { env },
  );
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  assert.ok(
    out.tests
      .filter((t: { kind: string }) => t.kind !== 'snapshot')
      .every((t: { outcome: string }) => t.outcome === 'not_called'),
  );
  const snapshot = out.tests.find((t: { kind: string }) => t.kind === 'snapshot');
  assert.equal(snapshot.outcome, 'none', 'a printed suite gets no surface snapshot test');
  assert.match(snapshot.note, /--output FILE/);
  assert.doesNotMatch(out.yaml, /snapshot:/);
  assert.match(out.yaml, /is_error: false/);
});

test('scaffold reports an auth failure like every command, and has teaching --help', async () => {
  const run = await runCli(['scaffold', '--url', mcp.url, '--bearer-token-env', 'UNSET_VAR'], { env });
  assert.equal(run.code, 3);
  assert.match(run.stderr, /env var `UNSET_VAR` \(named by `bearer_token_env`\) is not set/);
  const none = await runCli(['scaffold', '--output', 'none.yaml'], { env });
  assert.equal(none.code, 2, none.stderr);
  assert.match(
    none.stderr,
    /give exactly one of --url URL or --command CMD\nhint: mcptest scaffold --url https:\/\/mcp\.example\.com\/mcp .* --output none\.yaml/,
  );
  const help = await runCli(['scaffold', '--help'], { env });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--output <file>/);
  assert.match(help.stdout, /Examples:\n {2}mcptest scaffold --url/);
  const serverHelp = await runCli(['mcp-server', '--help'], { env });
  assert.equal(serverHelp.code, 0);
  assert.match(serverHelp.stdout, /"command": "mcptest", "args": \["mcp-server"\]/);
});

/** A weather tool answering random numbers (as the SDK's outputSchema example does), and tools that fail. */
const RANDOM_TOOLS = `
server.setRequestHandler(types.ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'weather',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      outputSchema: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          wind: { type: 'object', properties: { speed_kmh: { type: 'number' }, direction: { type: 'string' } } },
          gusts: { type: 'number' },
        },
      },
    },
    { name: 'ask_user', inputSchema: { type: 'object' } },
    { name: 'broken', inputSchema: { type: 'object' } },
  ],
}));
server.setRequestHandler(types.CallToolRequestSchema, async (req) => {
  if (req.params.name === 'weather') {
    const speed = Math.round(Math.random() * 10000) / 100;
    const result = { city: req.params.arguments.city, wind: { speed_kmh: speed, direction: 'N' }, gusts: Math.random() };
    return { content: [{ type: 'text', text: 'Wind in ' + result.city + ': ' + speed + ' km/h' }], structuredContent: result };
  }
  if (req.params.name === 'ask_user') {
    try {
      await server.elicitInput({ message: 'Which city?', requestedSchema: { type: 'object', properties: {} } });
      return { content: [{ type: 'text', text: 'answered' }] };
    } catch (err) {
      return { content: [{ type: 'text', text: 'could not ask the user: ' + err.message }], isError: true };
    }
  }
  throw new Error('broken on purpose');
});`;

test('a suite scaffolded from a tool with random answers passes every time; failed tools are not expectations', async () => {
  const flags = writeStdioServer(home, 'random-weather', { tools: {} }, RANDOM_TOOLS);
  for (let round = 1; round <= 3; round++) {
    const run = await runCli(['scaffold', ...flags, '--output', 'random.yaml', '--force'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /4 tests, 1 calling a tool, 1 checking the surface against random\.surface\.json \(written beside it\); 2 only check the tool is listed/,
    );
    assert.match(run.stderr, /not a call test: ask_user: .*answered a tool error .*could not ask the user/);
    assert.match(run.stderr, /not a call test: broken: .*broken on purpose/);
    const text = fs.readFileSync(path.join(home, 'random.yaml'), 'utf8');
    assert.doesNotMatch(text, /max_latency_ms/, 'no latency bound a loaded machine breaks');
    assert.match(text, /# .*ask_user .*answered a tool error.*\n( *#.*\n)* *- name: ask_user is listed/);
    const suite = parseYaml(text);
    const weather = suite.tests.find((t: { tool?: string }) => t.tool === 'weather');
    assert.equal(weather.expect.json['$.city'], 'example');
    assert.equal(weather.expect.json['$.wind.direction'], 'N');
    assert.deepEqual(weather.expect.json['$.wind.speed_kmh'], { type: 'number' });
    assert.ok(
      suite.tests.some((t: { tool_present?: string }) => t.tool_present === 'ask_user'),
      'an error answer is not recorded as the expected one',
    );
    const suiteRun = await runCli(['run', 'random.yaml'], { env });
    assert.equal(suiteRun.code, 0, `round ${round}: ${suiteRun.stdout}${suiteRun.stderr}`);
    assert.match(suiteRun.stdout, /4 passed, 0 failed/);
  }
});
