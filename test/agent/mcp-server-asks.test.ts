/**
 * What a server under test asks reaches the agent as data, end to end: an agent client (SDK v2
 * pinned to 2026-07-28, and an SDK 1.x one) → the real `mcptest mcp-server` process → a real
 * server that asks (era-servers.ts: `ask_name` elicits, `ask_model` samples, `ask_roots` lists
 * roots). The first call_tool answers `needs_answers` naming the question; the same call with
 * `answers` gets the tool's result. Against a modern-only server (input_required rounds), a
 * legacy-only one (server requests), a dual-era one pinned to 2025-11-25, and a stdio server.
 * Also: the doctor verb's eras, a pinned protocol refused, and a modern-only server scaffolded
 * and its suite run, all through the agent.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type ModernClient, startAgent, startModernAgent } from '../helpers/agent.js';
import { isolatedEnv } from '../helpers/cli.js';
import {
  ASK_MODEL_PROMPT,
  ASK_NAME_MESSAGE,
  ASK_URL,
  ASK_URL_MESSAGE,
  ERA_STDIO_SCRIPT,
  type EraServer,
  type EraServerKind,
  startEraServer,
} from '../helpers/era-servers.js';

let env: ReturnType<typeof isolatedEnv>;
let modern: ModernClient;
let legacy: Client;
const servers = {} as Record<EraServerKind, EraServer>;

type Answer = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: any };

async function callTool(agent: ModernClient | Client, args: Record<string, unknown>): Promise<any> {
  const params = { name: 'call_tool', arguments: args };
  const res = (
    agent === modern
      ? await modern.callTool(params, { timeout: 90_000 })
      : await legacy.callTool(params, undefined, { timeout: 90_000 })
  ) as Answer;
  assert.notEqual(res.isError, true, res.content.map((c) => c.text).join('\n'));
  assert.equal(res.structuredContent.ok, true);
  return res.structuredContent;
}

/** The text of the tool's own result inside a call_tool answer. */
function toolText(out: any): string {
  return out.content.map((c: { text?: string }) => c.text).join('\n');
}

before(async () => {
  for (const kind of ['modern', 'dual', 'legacy'] as const) servers[kind] = await startEraServer(kind);
  env = isolatedEnv({});
  const cwd = env.MCPTEST_HOME as string;
  modern = await startModernAgent(env, { cwd });
  legacy = await startAgent(env, { cwd });
});

after(async () => {
  await modern?.close().catch(() => undefined);
  await legacy?.close().catch(() => undefined);
  await env?.cleanup();
  for (const server of Object.values(servers)) await server.close();
});

/** The targets: each server kind, the era its asks come in. */
const targets: Array<{
  name: string;
  era: 'modern' | 'legacy';
  via: string;
  target: () => Record<string, unknown>;
}> = [
  {
    name: 'a modern-only server',
    era: 'modern',
    via: 'input_required',
    target: () => ({ url: servers.modern.url }),
  },
  {
    name: 'a legacy-only server',
    era: 'legacy',
    via: 'request',
    target: () => ({ url: servers.legacy.url }),
  },
  {
    name: 'a dual-era server pinned to 2025-11-25',
    era: 'legacy',
    via: 'request',
    target: () => ({ url: servers.dual.url, protocol: '2025-11-25' }),
  },
];

for (const { name, era, via, target } of targets) {
  test(`elicitation from ${name}: the question as data, then the answer gets the result`, async () => {
    const first = await callTool(modern, { ...target(), tool: 'ask_name' });
    assert.equal(first.status, 'needs_answers', JSON.stringify(first));
    assert.equal(first.protocol.era, era);
    assert.equal(first.asks.length, 1);
    const ask = first.asks[0];
    assert.equal(ask.kind, 'elicitation');
    assert.equal(ask.method, 'elicitation/create');
    assert.equal(ask.via, via);
    assert.equal(ask.message, ASK_NAME_MESSAGE);
    assert.equal(ask.mode, 'form');
    assert.deepEqual(ask.requested_schema.required, ['name']);
    assert.equal(ask.answered, 'refused');
    assert.deepEqual(first.answers_template, { elicitation: { action: 'accept', content: { name: '' } } });
    assert.match(first.how_to_answer, /What is your name\?.*name \(string, required\)/);
    assert.match(first.ask_human, /What is your name\?/);

    const answered = await callTool(modern, {
      ...target(),
      tool: 'ask_name',
      answers: { elicitation: { action: 'accept', content: { name: 'Ada' } } },
    });
    assert.equal(answered.status, 'complete', JSON.stringify(answered));
    assert.equal(toolText(answered), 'hello Ada');
    assert.equal(answered.isError, false);
    assert.deepEqual(
      answered.asks.map((a: { kind: string; answered: string }) => [a.kind, a.answered]),
      [['elicitation', 'canned']],
    );
    assert.equal(answered.answers_template, undefined);
    assert.equal(answered.ask_human, undefined);

    const declined = await callTool(modern, {
      ...target(),
      tool: 'ask_name',
      answers: { elicitation: { action: 'decline' } },
    });
    assert.equal(toolText(declined), 'no name (decline)');
  });

  test(`sampling and roots from ${name}: answered by the agent itself`, async () => {
    const sampling = await callTool(modern, { ...target(), tool: 'ask_model' });
    assert.equal(sampling.status, 'needs_answers');
    assert.equal(sampling.asks[0].kind, 'sampling');
    assert.equal(sampling.asks[0].message, ASK_MODEL_PROMPT);
    assert.deepEqual(sampling.answers_template, { sampling: { text: '' } });
    assert.equal(sampling.ask_human, undefined, 'a model reply is the agent’s to write');
    const replied = await callTool(modern, {
      ...target(),
      tool: 'ask_model',
      answers: { sampling: { text: 'green tests fall', model: 'agent' } },
    });
    assert.equal(toolText(replied), 'model agent said: green tests fall');

    const roots = await callTool(modern, { ...target(), tool: 'ask_roots' });
    assert.equal(roots.status, 'needs_answers');
    assert.equal(roots.asks[0].kind, 'roots');
    const listed = await callTool(modern, {
      ...target(),
      tool: 'ask_roots',
      answers: { roots: [{ uri: 'file:///work/project' }] },
    });
    assert.equal(toolText(listed), 'roots: file:///work/project');
  });
}

for (const { name, era, target } of targets) {
  test(`a URL elicitation from ${name}: relayed for the human to open, accepted on the next call`, async () => {
    const first = await callTool(modern, { ...target(), tool: 'ask_url' });
    assert.equal(first.status, 'needs_answers', JSON.stringify(first));
    assert.equal(first.protocol.era, era);
    const ask = first.asks[0];
    assert.equal(ask.mode, 'url');
    assert.equal(ask.url, ASK_URL);
    assert.equal(ask.message, ASK_URL_MESSAGE);
    assert.equal(first.ask_human, `Please open ${ASK_URL} (${ASK_URL_MESSAGE}) and tell me when it is done.`);
    assert.deepEqual(first.answers_template, { elicitation: { action: 'accept', content: {} } });
    const opened = await callTool(modern, {
      ...target(),
      tool: 'ask_url',
      answers: { elicitation: { action: 'accept', content: {} } },
    });
    assert.equal(opened.status, 'complete', JSON.stringify(opened));
    assert.equal(toolText(opened), 'url accept');
    assert.deepEqual(
      opened.asks.map((a: { mode: string; answered: string }) => [a.mode, a.answered]),
      [['url', 'human']],
      'only the agent’s answer accepts a URL elicitation: it stands for the human who opened it',
    );
  });
}

test('a server that asks on every round: the rounds are bounded and the call fails, not loops', async () => {
  const res = (await modern.callTool(
    {
      name: 'call_tool',
      arguments: {
        url: servers.modern.url,
        tool: 'ask_forever',
        answers: { elicitation: { action: 'accept', content: { name: 'Ada' } } },
      },
    },
    { timeout: 90_000 },
  )) as Answer;
  assert.equal(res.isError, true, JSON.stringify(res.structuredContent));
  assert.equal(res.structuredContent.ok, false);
  assert.equal(res.structuredContent.error.code, 'input_required');
  assert.match(res.structuredContent.error.message, /kept asking for input: \d+ rounds of input_required/);
});

test('a pinned protocol the server does not speak: protocol_unsupported naming what it supports', async () => {
  const res = (await modern.callTool(
    { name: 'list_tools', arguments: { url: servers.legacy.url, protocol: '2026-07-28' } },
    { timeout: 90_000 },
  )) as Answer;
  assert.equal(res.isError, true);
  const e = res.structuredContent.error;
  assert.equal(e.code, 'protocol_unsupported');
  assert.equal(e.input, 'protocol');
  assert.deepEqual(e.supported_versions, ['2025-11-25']);
  assert.match(
    e.message,
    /does not speak MCP 2026-07-28 .*2025-11-25/,
    'it names the version the server speaks',
  );
  const listed = await modern.callTool(
    { name: 'list_tools', arguments: { url: servers.dual.url, protocol: '2025-06-18' } },
    { timeout: 90_000 },
  );
  const out = (listed as Answer).structuredContent;
  assert.equal(out.ok, true, JSON.stringify(out));
  assert.deepEqual(out.protocol, { era: 'legacy', version: '2025-06-18', transport: 'streamable-http' });
});

test('a 2025 agent gets the same relay, from a stdio server of the modern era', async () => {
  const target = { command: process.execPath, args: [ERA_STDIO_SCRIPT, '--era', 'modern'] };
  const first = await callTool(legacy, { ...target, tool: 'ask_name' });
  assert.equal(first.status, 'needs_answers', JSON.stringify(first));
  assert.equal(first.protocol.era, 'modern');
  assert.equal(first.protocol.transport, 'stdio');
  assert.equal(first.asks[0].via, 'input_required');
  const answered = await callTool(legacy, {
    ...target,
    tool: 'ask_name',
    answers: { elicitation: { action: 'accept', content: { name: 'Grace' } } },
  });
  assert.equal(toolText(answered), 'hello Grace');
});

test('answers are checked: roots take file:// URIs, decline takes no content', async () => {
  const res = (await modern.callTool(
    {
      name: 'call_tool',
      arguments: { url: servers.modern.url, tool: 'ask_roots', answers: { roots: [{ uri: 'https://x' }] } },
    },
    { timeout: 90_000 },
  )) as Answer;
  assert.equal(res.isError, true);
  assert.equal(res.structuredContent.error.code, 'invalid_request');
  assert.match(res.structuredContent.error.message, /file:\/\/ URIs, not "https:\/\/x"/);
  const decline = (await modern.callTool(
    {
      name: 'call_tool',
      arguments: {
        url: servers.modern.url,
        tool: 'ask_name',
        answers: { elicitation: { action: 'decline', content: { name: 'x' } } },
      },
    },
    { timeout: 90_000 },
  )) as Answer;
  assert.equal(decline.isError, true);
  assert.match(decline.structuredContent.error.message, /"decline" takes no content/);
});

test('a tool that asks nothing: status complete, no asks, the era named', async () => {
  for (const [kind, era] of [
    ['modern', 'modern'],
    ['dual', 'modern'],
    ['legacy', 'legacy'],
  ] as const) {
    const out = await callTool(modern, { url: servers[kind].url, tool: 'echo', arguments: { text: 'hi' } });
    assert.equal(out.status, 'complete');
    assert.deepEqual(out.asks, []);
    assert.deepEqual(out.structuredContent, { text: 'hi' });
    assert.equal(out.protocol.era, era, kind);
    assert.equal(out.protocol.version, era === 'modern' ? '2026-07-28' : '2025-11-25', kind);
  }
});

test('the doctor verb names the eras each server serves', async () => {
  const res = (await modern.callTool(
    { name: 'doctor', arguments: { url: servers.modern.url } },
    { timeout: 90_000 },
  )) as Answer;
  const out = res.structuredContent;
  assert.equal(out.healthy, true, res.content[0].text);
  assert.equal(out.protocol.era, 'modern');
  assert.equal(out.protocol.legacy, 'refused');
  assert.ok(out.protocol.supportedVersions.includes('2026-07-28'));
  const legacyOnly = (await legacy.callTool(
    { name: 'doctor', arguments: { url: servers.legacy.url } },
    undefined,
    { timeout: 90_000 },
  )) as Answer;
  assert.equal(legacyOnly.structuredContent.protocol.modern, 'refused');
  assert.equal(legacyOnly.structuredContent.protocol.legacy, 'served');
  assert.match(legacyOnly.content[0].text ?? '', /speaks only the 2025 era/);
});

test('a modern-only server through the agent: scaffolded, proposed, and the suite passes run_suite', async () => {
  const url = servers.modern.url;
  const scaffold = (await modern.callTool(
    { name: 'scaffold_suite', arguments: { url, path: 'modern-only.yaml' } },
    { timeout: 120_000 },
  )) as Answer;
  const out = scaffold.structuredContent;
  assert.equal(out.ok, true, scaffold.content[0].text);
  assert.equal(out.written, true);
  assert.deepEqual(out.protocol, { era: 'modern', version: '2026-07-28', transport: 'streamable-http' });
  const echo = out.tests.find((t: { tool: string }) => t.tool === 'echo');
  assert.deepEqual([echo.kind, echo.outcome], ['call', 'ok']);
  // A tool that asks cannot be answered by a scaffold: listed, with the reason in a comment.
  const asks = out.tests.find((t: { tool: string }) => t.tool === 'ask_name');
  assert.deepEqual([asks.kind, asks.outcome], ['present', 'call_failed']);
  assert.match(asks.note, /elicitation/);

  const proposed = (await modern.callTool(
    { name: 'propose_assertions', arguments: { url, tool: 'echo', arguments: { text: 'x' } } },
    { timeout: 120_000 },
  )) as Answer;
  assert.deepEqual(proposed.structuredContent.test.expect.json, { '$.text': 'x' });
  assert.equal(proposed.structuredContent.protocol.era, 'modern');

  const run = (await legacy.callTool(
    { name: 'run_suite', arguments: { path: 'modern-only.yaml' } },
    undefined,
    {
      timeout: 120_000,
    },
  )) as Answer;
  const report = run.structuredContent;
  assert.equal(report.ok, true, run.content[0].text);
  assert.equal(report.summary.failed, 0, run.content[0].text);
  assert.equal(report.summary.passed, out.tests.length);
});

test('run_suite of a protocol matrix: each run labelled with its revision, its era and version; `protocol` pins them all', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  fs.writeFileSync(
    path.join(env.MCPTEST_HOME as string, 'matrix.yaml'),
    `protocols: [2026-07-28, 2025-11-25]\nservers:\n  dual: { url: ${servers.dual.url} }\ntests:\n  - { name: echo, tool: echo, arguments: { text: hi } }\n`,
  );
  const run = (await modern.callTool(
    { name: 'run_suite', arguments: { path: 'matrix.yaml' } },
    { timeout: 120_000 },
  )) as Answer;
  const report = run.structuredContent;
  assert.equal(report.ok, true, run.content[0].text);
  const seen = report.tests.map(
    (t: { label: string; era: string; protocol_version: string; status: string }) => [
      t.label,
      t.era,
      t.protocol_version,
      t.status,
    ],
  );
  assert.deepEqual(seen.sort(), [
    ['echo [2025-11-25]', 'legacy', '2025-11-25', 'passed'],
    ['echo [2026-07-28]', 'modern', '2026-07-28', 'passed'],
  ]);
  assert.deepEqual(report.servers.map((s: { protocol: string; era: string }) => [s.protocol, s.era]).sort(), [
    ['2025-11-25', 'legacy'],
    ['2026-07-28', 'modern'],
  ]);
  const pinned = (await modern.callTool(
    { name: 'run_suite', arguments: { path: 'matrix.yaml', protocol: '2025-11-25' } },
    { timeout: 120_000 },
  )) as Answer;
  const eras = pinned.structuredContent.tests.map((t: { era: string }) => t.era);
  assert.deepEqual(eras, ['legacy'], pinned.content[0].text);
});
