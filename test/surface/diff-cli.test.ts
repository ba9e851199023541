/**
 * `mcptest diff` through the real CLI, on a real server in two versions
 * (test/helpers/versioned-server.ts): recorded in both eras, v1 against v2 (and v3, for the
 * other classes) names every change with its class and JSON pointer, exits 5 on breaking changes (or on risky ones with
 * `--fail-on risky`, never with `--fail-on never`), prints `--json`, compares with the live
 * server (over HTTP, and the stdio example server), and refuses bad input with exit 2.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startVersionedServer, type VersionedServer } from '../helpers/versioned-server.js';

const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

let v1: VersionedServer;
let v2: VersionedServer;
let v3: VersionedServer;
let env: ReturnType<typeof isolatedEnv>;
const TIMEOUT = { timeoutMs: 120_000 };

/** Every line of v1 → v2, in the order the diff prints them (breaking, risky, compatible). */
const EXPECTED = [
  [
    'breaking',
    '/tools/convert/inputSchema/properties/value/type',
    'the type of parameter "value" of the tool "convert" narrowed from number to integer: callers sending the old type are refused',
  ],
  ['breaking', '/tools/export_all', 'the tool "export_all" was removed'],
  [
    'breaking',
    '/tools/search/inputSchema/properties/mode/enum',
    'parameter "mode" of the tool "search" no longer accepts the value "fuzzy"',
  ],
  [
    'breaking',
    '/tools/search/inputSchema/required',
    'parameter "limit" of the tool "search" became required',
  ],
  [
    'breaking',
    '/tools/search/outputSchema/properties/total',
    'output property "total" of the tool "search" was removed',
  ],
  [
    'risky',
    '/tools/archive_note/annotations/destructiveHint',
    'destructiveHint of the tool "archive_note" flipped from false to true',
  ],
  ['compatible', '/server/version', 'the server\'s version changed from "1.0.0" to "2.0.0"'],
  [
    'compatible',
    '/tools/search/inputSchema/properties/offset',
    'new optional parameter "offset" of the tool "search"',
  ],
  ['compatible', '/tools/tag_note', 'new tool "tag_note"'],
];
/** Every line of v1 → v3: the classes v2 does not show (a rename, an outputSchema, a prompt, a resource, a capability, a description). */
const EXPECTED_V3 = [
  ['breaking', '/capabilities/prompts', 'the capability prompts was dropped'],
  ['breaking', '/tools/export_all', 'the tool "export_all" was removed (renamed to "export_notes"?)'],
  ['breaking', '/tools/search/outputSchema', 'the tool "search" no longer declares an outputSchema'],
  ['breaking', '/prompts/summarize', 'the prompt "summarize" was removed'],
  ['breaking', '/resources/notes:~1~1index', 'the resource "notes://index" is no longer listed'],
  [
    'risky',
    '/tools/convert/description',
    'the description of the tool "convert" changed a lot (similarity 0.00); agents choose tools by it',
  ],
  ['compatible', '/server/version', 'the server\'s version changed from "1.0.0" to "3.0.0"'],
  ['compatible', '/tools/export_notes', 'new tool "export_notes"'],
  ['compatible', '/resources/notes:~1~1all', 'new resource "notes://all"'],
];
const line = ([cls, at, message]: string[]) => `${cls.padEnd(10)}  ${at}  ${message}`;

before(async () => {
  [v1, v2, v3] = await Promise.all([
    startVersionedServer('v1'),
    startVersionedServer('v2'),
    startVersionedServer('v3'),
  ]);
  env = isolatedEnv();
});
after(async () => {
  await env.cleanup();
  await v1.close();
  await v2.close();
  await v3.close();
});

for (const protocol of ['2026-07-28', '2025-11-25']) {
  describe(`v1 against v2, recorded at ${protocol}`, () => {
    const [a, b, c] = [`v1-${protocol}.json`, `v2-${protocol}.json`, `v3-${protocol}.json`];
    before(async () => {
      for (const [server, file] of [
        [v1, a],
        [v2, b],
        [v3, c],
      ] as const) {
        const r = await runCli(['snapshot', '--url', server.url, '--protocol', protocol, '-o', file], {
          env,
          ...TIMEOUT,
        });
        assert.equal(r.code, 0, r.stderr);
      }
    });

    it('names every change with its class and JSON pointer, and exits 5 on breaking ones', async () => {
      const r = await runCli(['diff', a, b], { env, ...TIMEOUT });
      assert.equal(r.code, 5, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(
        r.stdout,
        `${EXPECTED.map(line).join('\n')}\n${a} → ${b}: 5 breaking, 1 risky, 3 compatible (5 at or above --fail-on breaking)\n`,
      );
    });

    it('--json: the same changes as data, with the summary and the exit code', async () => {
      const r = await runCli(['diff', a, b, '--json'], { env, ...TIMEOUT });
      assert.equal(r.code, 5, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.format, 'mcptest-diff/1');
      assert.deepEqual(doc.summary, { breaking: 5, risky: 1, compatible: 3 });
      assert.equal(doc.failOn, 'breaking');
      assert.equal(doc.failing, 5);
      assert.equal(doc.exitCode, 5);
      assert.deepEqual(
        doc.changes.map((c: { class: string; pointer: string; message: string }) => [
          c.class,
          c.pointer,
          c.message,
        ]),
        EXPECTED,
      );
    });

    it('v1 against v3: a rename, an outputSchema, a prompt, a resource and a capability removed; a description rewritten', async () => {
      const r = await runCli(['diff', a, c], { env, ...TIMEOUT });
      assert.equal(r.code, 5, r.stderr);
      assert.equal(
        r.stdout,
        `${EXPECTED_V3.map(line).join('\n')}\n${a} → ${c}: 5 breaking, 1 risky, 3 compatible (5 at or above --fail-on breaking)\n`,
      );
    });
  });
}

describe('thresholds and sides', () => {
  const [a, b] = ['v1-2026-07-28.json', 'v2-2026-07-28.json'];

  it('back from v2 to v1 nothing is removed but the new tool; v1 against itself is empty', async () => {
    const back = await runCli(['diff', b, a, '--json'], { env, ...TIMEOUT });
    assert.equal(back.code, 5);
    const changes = JSON.parse(back.stdout).changes as Array<{ class: string; pointer: string }>;
    assert.ok(changes.some((c) => c.class === 'breaking' && c.pointer === '/tools/tag_note'));
    assert.ok(changes.some((c) => c.class === 'compatible' && c.pointer === '/tools/export_all'));
    const same = await runCli(['diff', a, a], { env, ...TIMEOUT });
    assert.equal(same.code, 0);
    assert.equal(same.stdout, `No changes between ${a} and ${a}.\n`);
  });

  it('--fail-on risky fails on a flipped hint alone; --fail-on never passes on anything', async () => {
    // A surface whose only change is the destructiveHint flip.
    const base = JSON.parse(fs.readFileSync(path.join(env.MCPTEST_HOME as string, a), 'utf8'));
    const flipped = structuredClone(base);
    flipped.tools.archive_note.annotations.destructiveHint = true;
    fs.writeFileSync(path.join(env.MCPTEST_HOME as string, 'flipped.json'), JSON.stringify(flipped));
    const lenient = await runCli(['diff', a, 'flipped.json'], { env, ...TIMEOUT });
    assert.equal(lenient.code, 0, lenient.stdout);
    assert.match(lenient.stdout, /\(nothing at or above --fail-on breaking\)/);
    const strict = await runCli(['diff', a, 'flipped.json', '--fail-on', 'risky'], { env, ...TIMEOUT });
    assert.equal(strict.code, 5, strict.stdout);
    assert.match(strict.stdout, /^risky {7}\/tools\/archive_note\/annotations\/destructiveHint {2}/m);
    const never = await runCli(['diff', a, b, '--fail-on', 'never'], { env, ...TIMEOUT });
    assert.equal(never.code, 0, never.stdout);
    assert.match(never.stdout, /^breaking {4}\/tools\/export_all/m);
  });

  it('--url compares with the live server', async () => {
    const live = await runCli(['diff', a, '--url', v2.url, '--protocol', '2026-07-28', '--json'], {
      env,
      ...TIMEOUT,
    });
    assert.equal(live.code, 5, live.stderr);
    const doc = JSON.parse(live.stdout);
    assert.equal(doc.new, v2.url);
    assert.deepEqual(doc.summary, { breaking: 5, risky: 1, compatible: 3 });
    const unchanged = await runCli(['diff', a, '--url', v1.url], { env, ...TIMEOUT });
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.match(unchanged.stderr, /MCP 2026-07-28 \(modern\)/);
  });

  it('--command compares with a live stdio server, named by its command line', async () => {
    const stdio = ['--command', process.execPath, '--arg', STDIO_SERVER];
    const recorded = await runCli(['snapshot', ...stdio, '-o', 'stdio.json'], { env, ...TIMEOUT });
    assert.equal(recorded.code, 0, recorded.stderr);
    const live = await runCli(['diff', 'stdio.json', ...stdio, '--fail-on', 'compatible'], {
      env,
      ...TIMEOUT,
    });
    assert.equal(live.code, 0, live.stdout + live.stderr);
    assert.equal(
      live.stdout,
      `No changes between stdio.json and stdio server \`${process.execPath} ${STDIO_SERVER}\`.\n`,
    );
  });

  it('bad input is a usage error (exit 2) with a hint', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['diff', a], /needs a second side/],
      [['diff', a, b, '--url', v1.url], /not both/],
      [['diff', a, b, '--fail-on', 'sometimes'], /--fail-on takes breaking, risky, compatible, never/],
      [['diff', 'missing.json', b], /cannot read the surface snapshot missing\.json: no such file/],
    ];
    fs.writeFileSync(path.join(env.MCPTEST_HOME as string, 'other.json'), '{"tools": []}');
    cases.push([['diff', 'other.json', b], /other\.json is not a surface snapshot/]);
    for (const [args, message] of cases) {
      const r = await runCli(args, { env, ...TIMEOUT });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^hint: mcptest /m);
    }
  });
});
