/**
 * Result snapshots of `mcptest run`, as a user runs them: the real CLI against real stdio
 * servers. Volatile values (UUIDs, timestamps, epoch milliseconds, JWTs, and what the suite's own
 * regex and JSON-pointer sanitizers name) are sanitized, so a snapshot written with
 * `--update-snapshots` holds in the next runs, in both eras against one file; a changed result
 * fails with a unified diff until `--update-snapshots` accepts it; a missing snapshot fails with
 * the command that writes it. Against `@modelcontextprotocol/server-everything` too. Mistakes in
 * the suite (a bad sanitizer regex, sanitize without a snapshot) are errors with line:column.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { checkWellFormedXml } from './xml-well-formed.js';

const CHECK_SERVER = fileURLToPath(new URL('../helpers/result-check-server.js', import.meta.url));
const EVERYTHING = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);
const node = JSON.stringify(process.execPath);

interface JsonTest {
  label: string;
  status: string;
  failures: Array<{ assertion: string; message: string }>;
  notes?: string[];
}

describe('mcptest run: result snapshots', () => {
  let env: ReturnType<typeof isolatedEnv>;
  let dir: string;
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(['run', ...args], { env: { ...env, ...extra }, cwd: dir, timeoutMs: 120_000 });
  const jsonRun = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = await run([...args, '--json'], extra);
    const report = JSON.parse(r.stdout) as { tests: JsonTest[] };
    return { ...r, report, byLabel: Object.fromEntries(report.tests.map((t) => [t.label, t])) };
  };

  const VOLATILE = `sanitize:
  - { pattern: 'nonce [a-z0-9]+', replace: 'nonce <NONCE>' }
servers:
  s:
    command: ${node}
    args: [${JSON.stringify(CHECK_SERVER)}]
    protocols: [2026-07-28, 2025-11-25]
    sanitize: [{ pointer: /structuredContent/nonce, replace: <NONCE> }]
tests:
  - name: volatile
    tool: volatile
    arguments: { text: "\${ECHO_TEXT:-hello}" }
    expect: { snapshot: __snapshots__/volatile.json }
`;

  before(() => {
    env = isolatedEnv();
    dir = env.MCPTEST_HOME as string;
  });
  after(async () => {
    await env?.cleanup();
  });

  it('a missing snapshot fails with the command that writes it', async () => {
    const suite = write('missing.yaml', VOLATILE);
    const { code, byLabel } = await jsonRun([suite]);
    assert.equal(code, 1);
    for (const rev of ['2026-07-28', '2025-11-25']) {
      assert.deepEqual(byLabel[`volatile [${rev}]`].failures, [
        {
          assertion: 'snapshot',
          message:
            'no snapshot __snapshots__/volatile.json yet; write it with: mcptest run missing.yaml --update-snapshots',
        },
      ]);
    }
    assert.equal(fs.existsSync(path.join(dir, '__snapshots__/volatile.json')), false);
  });

  it('--update-snapshots writes a sanitized snapshot that holds in later runs, in both eras', async () => {
    const suite = write('volatile.yaml', VOLATILE);
    const first = await jsonRun([suite, '--update-snapshots']);
    assert.equal(first.code, 0, first.stdout);
    const notes = first.report.tests.flatMap((t) => t.notes ?? []);
    // One revision writes the file, the other answers the same and adds nothing.
    assert.deepEqual(notes, ['snapshot __snapshots__/volatile.json written']);
    const stored = JSON.parse(read('__snapshots__/volatile.json'));
    assert.deepEqual(stored, {
      content: [{ type: 'text', text: 'request <UUID> at <TIMESTAMP> (<EPOCH_MS>) nonce <NONCE>: hello' }],
      structuredContent: {
        at: '<TIMESTAMP>',
        id: '<UUID>',
        jwt: '<JWT>',
        ms: '<EPOCH_MS>',
        nonce: '<NONCE>',
        text: 'hello',
      },
      isError: false,
    });
    for (let i = 0; i < 2; i++) {
      const again = await jsonRun([suite]);
      assert.equal(again.code, 0, JSON.stringify(again.report.tests.map((t) => t.failures)));
      assert.ok(again.report.tests.every((t) => t.notes === undefined));
    }
  });

  it('a changed result fails with a readable diff; --update-snapshots accepts it', async () => {
    const suite = write(
      'changed.yaml',
      VOLATILE.replace('__snapshots__/volatile.json', '__snapshots__/changed.json'),
    );
    assert.equal((await run([suite, '--update-snapshots'])).code, 0);
    const changed = { ECHO_TEXT: 'goodbye' };
    const { code, byLabel } = await jsonRun([suite], changed);
    assert.equal(code, 1);
    const failure = byLabel['volatile [2026-07-28]'].failures[0];
    assert.equal(failure.assertion, 'snapshot');
    assert.equal(
      failure.message,
      [
        'the result differs from __snapshots__/changed.json (accept it with: mcptest run changed.yaml --update-snapshots):',
        '--- __snapshots__/changed.json',
        '+++ this result',
        '@@ -1,7 +1,7 @@',
        ' {',
        '   "content": [',
        '     {',
        '-      "text": "request <UUID> at <TIMESTAMP> (<EPOCH_MS>) nonce <NONCE>: hello",',
        '+      "text": "request <UUID> at <TIMESTAMP> (<EPOCH_MS>) nonce <NONCE>: goodbye",',
        '       "type": "text"',
        '     }',
        '   ],',
        '@@ -12,6 +12,6 @@',
        '     "jwt": "<JWT>",',
        '     "ms": "<EPOCH_MS>",',
        '     "nonce": "<NONCE>",',
        '-    "text": "hello"',
        '+    "text": "goodbye"',
        '   }',
        ' }',
      ].join('\n'),
    );
    const human = await run([suite], changed);
    assert.equal(human.code, 1);
    assert.match(
      human.stdout,
      /✗ volatile \[2025-11-25\].*\n\s+snapshot: the result differs[^\n]*\n\s+--- __snapshots__\/changed\.json\n\s+\+\+\+ this result\n/,
    );
    const junit = await run([suite, '--reporter', 'junit'], changed);
    checkWellFormedXml(junit.stdout);
    assert.match(
      junit.stdout,
      /<failure message="snapshot: the result differs from __snapshots__\/changed\.json/,
    );

    const update = await jsonRun([suite, '--update-snapshots'], changed);
    assert.equal(update.code, 0);
    assert.deepEqual(
      update.report.tests.flatMap((t) => t.notes ?? []),
      ['snapshot __snapshots__/changed.json updated'],
    );
    assert.match(read('__snapshots__/changed.json'), /"text": "goodbye"/);
    assert.equal((await run([suite], changed)).code, 0);
    assert.equal((await run([suite])).code, 1);
  });

  it('server-everything: a resource reference stamped with the time of day, sanitized by a pattern, holds', async () => {
    const suite = write(
      'everything.yaml',
      `servers:
  everything:
    command: ${node}
    args: [${JSON.stringify(EVERYTHING)}, stdio]
tests:
  - name: resource reference
    tool: get-resource-reference
    arguments: { resourceType: Text, resourceId: 1 }
    sanitize: [{ pattern: '\\d{1,2}:\\d{2}:\\d{2}( [AP]M)?', replace: <TIME> }]
    expect: { snapshot: everything/reference.json, content_type: [text, resource] }
  - name: structured content
    tool: get-structured-content
    arguments: { location: Chicago }
    expect: { snapshot: everything/structured.json }
`,
    );
    const first = await run([suite, '--update-snapshots']);
    assert.equal(first.code, 0, first.stdout);
    assert.match(first.stdout, /note: snapshot everything\/reference\.json written/);
    assert.match(
      read('everything/reference.json'),
      /"text": "Resource 1: This is a plaintext resource created at <TIME>"/,
    );
    assert.match(read('everything/structured.json'), /"structuredContent": \{/);
    const again = await run([suite]);
    assert.equal(again.code, 0, again.stdout);
    assert.doesNotMatch(again.stdout, /note:/);
  });

  it('a surface snapshot named as a result snapshot fails and is never overwritten, even when updating', async () => {
    const surface = `${JSON.stringify({ format: 'mcptest-surface/1', tools: { good: { inputSchema: {} } } }, null, 2)}\n`;
    write('__snapshots__/surface.json', surface);
    const suite = write(
      'mixed-up.yaml',
      VOLATILE.replace('__snapshots__/volatile.json', '__snapshots__/surface.json'),
    );
    for (const extra of [[], ['--update-snapshots']]) {
      const { code, byLabel } = await jsonRun([suite, ...extra]);
      assert.equal(code, 1);
      assert.deepEqual(byLabel['volatile [2026-07-28]'].failures, [
        {
          assertion: 'snapshot',
          message:
            '__snapshots__/surface.json is a surface snapshot (from mcptest snapshot), not a result snapshot; left as it is. Check a surface with a `snapshot: __snapshots__/surface.json` test, and give expect.snapshot a file of its own',
        },
      ]);
      assert.equal(read('__snapshots__/surface.json'), surface);
    }
  });

  it('mistakes in snapshots and sanitizers are suite errors with line and column', async () => {
    const head = `servers:\n  s: { command: ${node}, args: [x] }\ntests:\n  - name: t\n    tool: good\n`;
    const cases: Array<[string, string, RegExp]> = [
      [
        'bad-regex.yaml',
        `${head}    sanitize: [{ pattern: 'a(b' }]\n    expect: { snapshot: s.json }\n`,
        /bad-regex\.yaml:6:18: invalid regular expression: .*Unterminated group/,
      ],
      [
        'bad-suite-regex.yaml',
        `sanitize:\n  - { pattern: '[z-a]' }\n${head}    expect: { snapshot: s.json }\n`,
        /bad-suite-regex\.yaml:2:7: invalid regular expression: .*Range out of order/,
      ],
      [
        'bad-sanitizer.yaml',
        `${head}    sanitize: [{ path: /id }]\n    expect: { snapshot: s.json }\n`,
        /bad-sanitizer\.yaml:6:16: tests\[0\]\.sanitize\[0\]: expected \{ pattern: REGEX, replace\?: TEXT, flags\? \} or \{ pointer: \/structuredContent\/id, replace\? \}/,
      ],
      [
        'lonely-sanitize.yaml',
        `${head}    sanitize: [{ pointer: /structuredContent/id }]\n`,
        /lonely-sanitize\.yaml:4:5: tests\[0\]: sanitize goes with expect\.snapshot/,
      ],
      [
        'bad-snapshot.yaml',
        `${head}    expect: { snapshot: snap.txt }\n`,
        /bad-snapshot\.yaml:6:15: tests\[0\]\.expect\.snapshot: a snapshot file ending in \.json/,
      ],
      [
        'misplaced.yaml',
        `${head}    snapshot: s.json\n`,
        /misplaced\.yaml:4:5: tests\[0\]: snapshot: beside tool, prompt or resource: a snapshot of the result goes under expect \(expect: \{ snapshot: FILE\.json \}\)/,
      ],
    ];
    for (const [file, text, expected] of cases) {
      write(file, text);
      const r = await run([file]);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, expected, file);
    }
  });
});
