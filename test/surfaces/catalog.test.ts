/**
 * `mcptest prompts` and `mcptest resources`, and their twins of `call` (`get-prompt`, `read`),
 * through the real CLI: against the protected example server with a bearer token, and against a
 * real SDK server that declares neither capability.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { PIXEL_PNG_BASE64 } from '../../examples/oauth-server/tools.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { writeStdioServer } from '../helpers/stdio-server.js';

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let toolsOnly: string[];
let promptsOnly: string[];

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  const token = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  env = isolatedEnv({ MCP_TOKEN: token });
  toolsOnly = writeStdioServer(
    env.MCPTEST_HOME as string,
    'tools-only',
    { tools: {} },
    'server.setRequestHandler(types.ListToolsRequestSchema, async () => ({ tools: [] }));',
  );
  promptsOnly = writeStdioServer(
    env.MCPTEST_HOME as string,
    'prompts-only',
    { prompts: {} },
    'server.setRequestHandler(types.ListPromptsRequestSchema, async () => ({ prompts: [] }));',
  );
});
after(async () => {
  await env.cleanup();
  await mcp.close();
  await idp.close();
});

test('prompts lists names, descriptions and arguments; --json as the server listed them', async () => {
  const human = await runCli(['prompts', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN'], { env });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^review_code {2}Asks for a review of a piece of code\.$/m);
  assert.match(human.stdout, /^ {4}code: string \(required\)$/m);
  assert.match(human.stdout, /^ {4}language: string$/m);
  const json = await runCli(['prompts', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--json'], {
    env,
  });
  assert.deepEqual(
    JSON.parse(json.stdout).prompts.map((p: { name: string }) => p.name),
    ['review_code'],
  );
});

test('resources lists URI, name and MIME type; the auth error applies as for tools', async () => {
  const human = await runCli(['resources', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN'], { env });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^example:\/\/weather\/cities {2}cities \(application\/json\)/m);
  const refused = await runCli(['resources', '--url', mcp.url, '--bearer-token-env', 'UNSET_TOKEN'], { env });
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /env var `UNSET_TOKEN`/);
});

test('a server without the capability says so, in text and in JSON', async () => {
  const prompts = await runCli(['prompts', ...toolsOnly], { env });
  assert.equal(prompts.code, 0, prompts.stderr);
  assert.equal(prompts.stdout, 'The server declares no prompts capability.\n');
  const resources = await runCli(['resources', ...toolsOnly, '--json'], { env });
  assert.deepEqual(JSON.parse(resources.stdout), {
    resources: [],
    note: 'The server declares no resources capability.',
    protocol: { era: 'legacy', version: '2025-11-25' },
  });
});

test('get-prompt prints role and text; --json the raw result; an unknown prompt names the prompts', async () => {
  const target = ['--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN'];
  const human = await runCli(
    ['get-prompt', ...target, 'review_code', '--argument', 'code=x = 1', '--argument', 'language=Python'],
    { env },
  );
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stdout, 'user:\nPlease review this Python:\n\nx = 1\n');
  const json = await runCli(['get-prompt', ...target, 'review_code', '--args', '{"code":"y"}', '--json'], {
    env,
  });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).messages, [
    { role: 'user', content: { type: 'text', text: 'Please review this code:\n\ny' } },
  ]);
  const unknown = await runCli(['get-prompt', ...target, 'no_such_prompt'], { env });
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    /Prompt no_such_prompt not found \(the server has no prompt named `no_such_prompt`; it has: review_code\)/,
  );
  assert.ok(unknown.stderr.includes(`hint: mcptest prompts --url ${mcp.url} --bearer-token-env MCP_TOKEN`));
  const missing = await runCli(['get-prompt', ...target, 'review_code'], { env });
  assert.equal(missing.code, 1);
  assert.ok(
    missing.stderr.includes(`hint: see the arguments review_code takes: mcptest prompts --url ${mcp.url}`),
  );
  const numeric = await runCli(['get-prompt', ...target, 'review_code', '--args', '{"code":1}'], { env });
  assert.equal(numeric.code, 2, numeric.stderr);
  assert.match(numeric.stderr, /prompt arguments are strings; code is number/);
});

test('read prints text as is, a blob as base64 when piped, its bytes with --output; an unknown URI names the resources', async () => {
  const target = ['--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN'];
  const text = await runCli(['read', ...target, 'example://weather/cities'], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, '{"cities":["london","paris","tokyo"]}\n');
  const blob = await runCli(['read', ...target, 'example://images/pixel.png'], { env });
  assert.equal(blob.stdout, `${PIXEL_PNG_BASE64}\n`);
  const json = await runCli(['read', ...target, 'example://images/pixel.png', '--json'], { env });
  assert.deepEqual(JSON.parse(json.stdout).contents, [
    { uri: 'example://images/pixel.png', mimeType: 'image/png', blob: PIXEL_PNG_BASE64 },
  ]);
  const file = path.join(env.MCPTEST_HOME as string, 'pixel.png');
  const written = await runCli(['read', ...target, 'example://images/pixel.png', '--output', file], { env });
  assert.equal(written.code, 0, written.stderr);
  assert.deepEqual(fs.readFileSync(file), Buffer.from(PIXEL_PNG_BASE64, 'base64'));
  const unknown = await runCli(['read', ...target, 'example://nothing'], { env });
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    /Resource example:\/\/nothing not found \(the server lists no resource example:\/\/nothing; it lists: example:\/\/weather\/cities, example:\/\/images\/pixel\.png\)/,
  );
  assert.ok(unknown.stderr.includes(`hint: mcptest resources --url ${mcp.url} --bearer-token-env MCP_TOKEN`));
  const refused = await runCli(
    ['read', '--url', mcp.url, '--bearer-token-env', 'UNSET_TOKEN', 'example://nothing'],
    { env },
  );
  assert.equal(refused.code, 3);
});

test('tools on a server without the tools capability says so and exits 0, as prompts does', async () => {
  const human = await runCli(['tools', ...promptsOnly], { env });
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stdout, 'The server declares no tools capability.\n');
  assert.doesNotMatch(human.stderr, /-32601|Method not found/);
  const json = await runCli(['tools', ...promptsOnly, '--json'], { env });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), {
    tools: [],
    note: 'The server declares no tools capability.',
    protocol: { era: 'legacy', version: '2025-11-25' },
  });
});

test('a tool whose server asks for sampling or elicitation fails naming what it asked, not as a missing method', async () => {
  const asking = writeStdioServer(
    env.MCPTEST_HOME as string,
    'asks-the-client',
    { tools: {} },
    `server.setRequestHandler(types.ListToolsRequestSchema, async () => ({ tools: [
  { name: 'summarize', inputSchema: { type: 'object' } },
  { name: 'confirm', inputSchema: { type: 'object' } },
] }));
server.setRequestHandler(types.CallToolRequestSchema, async (req) => {
  try {
    if (req.params.name === 'summarize')
      await server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
    else
      await server.request({ method: 'elicitation/create', params: { message: 'sure?', requestedSchema: { type: 'object', properties: {} } } }, types.ElicitResultSchema);
    return { content: [{ type: 'text', text: 'answered' }] };
  } catch (err) {
    return { content: [{ type: 'text', text: String(err.message) }], isError: true };
  }
});`,
  );
  const sampling = await runCli(['call', ...asking, 'summarize'], { env });
  assert.equal(sampling.code, 1);
  assert.match(
    sampling.stderr,
    /asked for a sampling completion \(an LLM reply\) to "hi"; no answer was given/,
  );
  assert.match(sampling.stderr, /--answer sampling=/);
  assert.doesNotMatch(sampling.stdout + sampling.stderr, /Method not found/);
  const elicit = await runCli(['call', ...asking, 'confirm'], { env });
  assert.equal(elicit.code, 1);
  assert.match(elicit.stderr, /asked for input: "sure\?"; no answer was given/);
  const answered = await runCli(['call', ...asking, 'confirm', '--answer', 'elicitation=decline'], { env });
  assert.equal(answered.code, 0, answered.stderr);
  assert.equal(answered.stdout, 'answered\n');
});

test('resources lists resource templates too, in text and in JSON', async () => {
  const templated = writeStdioServer(
    env.MCPTEST_HOME as string,
    'templated',
    { resources: {} },
    `server.setRequestHandler(types.ListResourcesRequestSchema, async () => ({ resources: [{ uri: 'file:///readme', name: 'readme' }] }));
server.setRequestHandler(types.ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: [
  { uriTemplate: 'weather://{city}/today', name: 'forecast', mimeType: 'application/json', description: 'Today in a city.' },
] }));`,
  );
  const human = await runCli(['resources', ...templated], { env });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^file:\/\/\/readme {2}readme$/m);
  assert.match(
    human.stdout,
    /^weather:\/\/\{city\}\/today {2}forecast \(template, application\/json\) {2}Today in a city\.$/m,
  );
  const json = await runCli(['resources', ...templated, '--json'], { env });
  assert.deepEqual(
    JSON.parse(json.stdout).resourceTemplates.map((t: { uriTemplate: string }) => t.uriTemplate),
    ['weather://{city}/today'],
  );
  // A server with resources but no templates method lists its resources all the same.
  const plain = await runCli(['resources', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--json'], {
    env,
  });
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(Array.isArray(JSON.parse(plain.stdout).resourceTemplates));
});
