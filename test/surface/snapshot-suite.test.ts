/**
 * `snapshot:` tests in `mcptest run`, through the real CLI against the two-version server
 * (test/helpers/versioned-server.ts) in both eras: a missing snapshot fails with the command that
 * records it, `--update-snapshots` creates it, v1 passes, v2 fails naming each breaking change
 * by pointer (and the risky one with `fail_on: risky`), `--update-snapshots` accepts v2 (and
 * notes what it accepted), and the suite passes again; v3 (a rename, a removed outputSchema,
 * prompt, resource and capability) fails a protocol matrix in both eras the same way. The suite
 * format refuses a snapshot test with `expect`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startVersionedServer, type VersionedServer } from '../helpers/versioned-server.js';

let server: VersionedServer;
let env: ReturnType<typeof isolatedEnv>;
let dir: string;
const TIMEOUT = { timeoutMs: 120_000 };

interface JsonReport {
  tests: Array<{
    name: string;
    kind: string;
    tool: string;
    status: string;
    era: string | null;
    failures: Array<{ assertion: string; message: string }>;
    notes?: string[];
  }>;
  exitCode: number;
}

before(async () => {
  server = await startVersionedServer('v1');
  env = isolatedEnv();
  dir = path.join(env.MCPTEST_HOME as string, 'suites');
  fs.mkdirSync(dir);
});
after(async () => {
  await env.cleanup();
  await server.close();
});

for (const protocol of ['2026-07-28', '2025-11-25']) {
  describe(`snapshot tests at ${protocol}`, () => {
    const file = `notes-${protocol}.yaml`;
    const snapshot = `snapshots/notes-${protocol}.json`;
    const run = async (...extra: string[]): Promise<{ report: JsonReport; code: number; stderr: string }> => {
      const r = await runCli(['run', path.join('suites', file), '--json', ...extra], { env, ...TIMEOUT });
      return { report: JSON.parse(r.stdout) as JsonReport, code: r.code, stderr: r.stderr };
    };

    before(() => {
      server.setVersion('v1');
      fs.writeFileSync(
        path.join(dir, file),
        `servers:
  notes: { url: ${server.url}, protocol: ${protocol} }
tests:
  - name: surface
    snapshot: ${snapshot}
  - name: surface, strict
    snapshot: { file: ${snapshot}, fail_on: risky }
`,
      );
    });

    it('a missing snapshot fails with the command that records it; --update-snapshots creates it', async () => {
      const missing = await run();
      assert.equal(missing.code, 1, missing.stderr);
      const [t] = missing.report.tests;
      assert.equal(t.kind, 'snapshot');
      assert.equal(t.tool, snapshot);
      assert.equal(t.status, 'failed');
      assert.deepEqual(t.failures, [
        {
          assertion: 'snapshot',
          message: `there is no surface snapshot ${snapshot} yet; record it with: mcptest run ${path.join('suites', file)} --update-snapshots`,
        },
      ]);
      const created = await run('--update-snapshots');
      assert.equal(created.code, 0, JSON.stringify(created.report.tests));
      // Both tests name the file; the one that wrote it says so (both may, side by side).
      const createdNotes = created.report.tests.flatMap((t) => t.notes ?? []);
      assert.ok(createdNotes.includes(`surface snapshot ${snapshot} written`), createdNotes.join('\n'));
      const written = JSON.parse(fs.readFileSync(path.join(dir, snapshot), 'utf8'));
      assert.equal(written.format, 'mcptest-surface/1');
      assert.equal(written.recordedWith.protocolVersion, protocol);
      assert.ok(written.tools.export_all);
    });

    it('v1 passes; v2 fails on each breaking change, and on the risky one with fail_on: risky', async () => {
      const same = await run();
      assert.equal(same.code, 0, JSON.stringify(same.report.tests));
      server.setVersion('v2');
      const changed = await run();
      assert.equal(changed.code, 1);
      const [lenient, strict] = changed.report.tests;
      const accept = `mcptest run ${path.join('suites', file)} --update-snapshots`;
      assert.deepEqual(lenient.failures, [
        {
          assertion: 'snapshot /tools/convert/inputSchema/properties/value/type',
          message:
            'breaking: the type of parameter "value" of the tool "convert" narrowed from number to integer: callers sending the old type are refused',
        },
        { assertion: 'snapshot /tools/export_all', message: 'breaking: the tool "export_all" was removed' },
        {
          assertion: 'snapshot /tools/search/inputSchema/properties/mode/enum',
          message: 'breaking: parameter "mode" of the tool "search" no longer accepts the value "fuzzy"',
        },
        {
          assertion: 'snapshot /tools/search/inputSchema/required',
          message: 'breaking: parameter "limit" of the tool "search" became required',
        },
        {
          assertion: 'snapshot /tools/search/outputSchema/properties/total',
          message: 'breaking: output property "total" of the tool "search" was removed',
        },
        {
          assertion: 'snapshot',
          message: `5 changes from ${snapshot} at or above fail_on breaking; if intended, accept them: ${accept}`,
        },
      ]);
      assert.equal(strict.failures.length, 7);
      assert.deepEqual(strict.failures[5], {
        assertion: 'snapshot /tools/archive_note/annotations/destructiveHint',
        message: 'risky: destructiveHint of the tool "archive_note" flipped from false to true',
      });
      const human = await runCli(['run', path.join('suites', file)], { env, ...TIMEOUT });
      assert.equal(human.code, 1);
      assert.match(human.stdout, /snapshot \/tools\/export_all: breaking: the tool "export_all" was removed/);
    });

    it('--update-snapshots accepts v2, and the suite passes again', async () => {
      server.setVersion('v2');
      const updated = await run('--update-snapshots');
      assert.equal(updated.code, 0, JSON.stringify(updated.report.tests));
      const updatedNotes = updated.report.tests.flatMap((t) => t.notes ?? []);
      assert.ok(
        updatedNotes.includes(
          `surface snapshot ${snapshot} updated (accepted: 5 breaking, 1 risky, 3 compatible changes)`,
        ),
        updatedNotes.join('\n'),
      );
      const written = JSON.parse(fs.readFileSync(path.join(dir, snapshot), 'utf8'));
      assert.equal(written.tools.export_all, undefined);
      assert.ok(written.tools.tag_note);
      assert.equal(written.server.version, '2.0.0');
      const again = await run();
      assert.equal(again.code, 0, JSON.stringify(again.report.tests));
      assert.deepEqual(
        again.report.tests.flatMap((t) => t.notes ?? []),
        [],
        'a run that writes nothing notes nothing',
      );
      assert.deepEqual(
        again.report.tests.map((t) => [t.name, t.status]),
        [
          ['surface', 'passed'],
          ['surface, strict', 'passed'],
        ],
      );
    });
  });
}

describe('the suite format', () => {
  it('refuses expect beside snapshot, an unknown fail_on, and two kinds in one test', async () => {
    const cases: Array<[string, RegExp]> = [
      ['    snapshot: s.json\n    expect: { is_error: false }\n', /a snapshot test has no expect/],
      [
        '    snapshot: { file: s.json, fail_on: sometimes }\n',
        /snapshot: expected a surface file \(from mcptest snapshot\), or \{ file, fail_on: breaking \| risky \| compatible \}/,
      ],
      [
        '    snapshot: s.json\n    list: tools\n',
        /exactly one of tool, tool_present, tool_absent, prompt, resource, list, snapshot or load/,
      ],
    ];
    for (const [body, message] of cases) {
      fs.writeFileSync(
        path.join(dir, 'bad.yaml'),
        `servers:\n  notes: { url: ${server.url} }\ntests:\n  - name: bad\n${body}`,
      );
      const r = await runCli(['run', path.join('suites', 'bad.yaml')], { env, ...TIMEOUT });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});

describe('a protocol matrix', () => {
  it('compares both eras with one file, and updating twice leaves it as it was', async () => {
    server.setVersion('v1');
    fs.writeFileSync(
      path.join(dir, 'matrix.yaml'),
      `servers:
  notes: { url: ${server.url}, protocols: [2026-07-28, 2025-11-25] }
tests:
  - name: surface
    snapshot: snapshots/matrix.json
`,
    );
    const suite = path.join('suites', 'matrix.yaml');
    const created = await runCli(['run', suite, '--update-snapshots', '--concurrency', '1'], {
      env,
      ...TIMEOUT,
    });
    assert.equal(created.code, 0, created.stdout);
    const first = fs.readFileSync(path.join(dir, 'snapshots', 'matrix.json'), 'utf8');
    assert.match(created.stdout, /note: surface snapshot snapshots\/matrix\.json written/);
    const again = await runCli(['run', suite, '--update-snapshots'], { env, ...TIMEOUT });
    assert.equal(again.code, 0, again.stdout);
    assert.doesNotMatch(again.stdout, /note: surface snapshot/, 'a file kept as it was is not noted');
    assert.equal(fs.readFileSync(path.join(dir, 'snapshots', 'matrix.json'), 'utf8'), first);
    const check = await runCli(['run', suite], { env, ...TIMEOUT });
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, /✓ surface \[2026-07-28\]/);
    assert.match(check.stdout, /✓ surface \[2025-11-25\]/);
  });
});

describe('v1 to v3, in a protocol matrix', () => {
  it('fails on a rename, a removed outputSchema, prompt, resource and capability; --update-snapshots accepts them', async () => {
    server.setVersion('v1');
    fs.writeFileSync(
      path.join(dir, 'v3.yaml'),
      `servers:
  notes: { url: ${server.url}, protocols: [2026-07-28, 2025-11-25] }
tests:
  - name: surface
    snapshot: snapshots/v3.json
`,
    );
    const suite = path.join('suites', 'v3.yaml');
    const run = async (...extra: string[]) => {
      const r = await runCli(['run', suite, '--json', '--concurrency', '1', ...extra], { env, ...TIMEOUT });
      return { code: r.code, report: JSON.parse(r.stdout) as JsonReport };
    };
    assert.equal((await run('--update-snapshots')).code, 0);
    server.setVersion('v3');
    try {
      const changed = await run();
      assert.equal(changed.code, 1);
      assert.equal(changed.report.tests.length, 2);
      for (const t of changed.report.tests) {
        assert.deepEqual(
          t.failures.map((f) => f.assertion),
          [
            'snapshot /capabilities/prompts',
            'snapshot /tools/export_all',
            'snapshot /tools/search/outputSchema',
            'snapshot /prompts/summarize',
            'snapshot /resources/notes:~1~1index',
            'snapshot',
          ],
          `${t.era}: ${JSON.stringify(t.failures)}`,
        );
        assert.match(
          t.failures[1].message,
          /^breaking: the tool "export_all" was removed \(renamed to "export_notes"\?\)$/,
        );
      }
      const updated = await run('--update-snapshots');
      assert.equal(updated.code, 0, JSON.stringify(updated.report.tests));
      const again = await run();
      assert.equal(again.code, 0, JSON.stringify(again.report.tests));
    } finally {
      server.setVersion('v1');
    }
  });
});
