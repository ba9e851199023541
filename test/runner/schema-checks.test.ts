/**
 * Schema checks of `mcptest run`, as a user runs them: the real CLI against real stdio servers
 * in both eras. A server whose structured results break their own outputSchema (a wrong type,
 * a `$ref` into `$defs`, a 2020-12 keyword with no `$schema`, no structuredContent at all) is
 * caught by default, reported as a warning (human, JSON, JUnit) with `schema_checks: warn` or
 * `--schema-checks warn`, and not checked with `off`; a tool error is exempt;
 * `output_schema: true|false` overrides for one test.
 * The example server and `@modelcontextprotocol/server-everything` pass. The `schema:` (inline
 * and from a file) and `content_type:` assertions, and their load-time errors with line:column.
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
const EXAMPLE_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));
const EVERYTHING = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);

const node = JSON.stringify(process.execPath);
const checkServer = `{ command: ${node}, args: [${JSON.stringify(CHECK_SERVER)}], protocols: [2026-07-28, 2025-11-25] }`;

interface JsonTest {
  name: string;
  label: string;
  status: string;
  era: string | null;
  failures: Array<{ assertion: string; message: string }>;
  warnings?: Array<{ assertion: string; message: string }>;
  error: { code: string; message: string } | null;
}

const REVISIONS = ['2026-07-28', '2025-11-25'];

describe('mcptest run: schema checks and result assertions', () => {
  let env: ReturnType<typeof isolatedEnv>;
  let dir: string;
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };
  const run = (args: string[]) => runCli(['run', ...args], { env, cwd: dir, timeoutMs: 120_000 });
  const jsonRun = async (args: string[]) => {
    const r = await run([...args, '--json']);
    const report = JSON.parse(r.stdout) as { tests: JsonTest[]; summary: Record<string, number> };
    return { ...r, report, byLabel: Object.fromEntries(report.tests.map((t) => [t.label, t])) };
  };

  const BREAKING_TESTS = `
tests:
  - name: good
    tool: good
  - name: wrong type
    tool: wrong_type
  - name: no structured content
    tool: missing
  - name: ref into defs
    tool: refs
  - name: ref into defs, fitting
    tool: refs
    arguments: { ok: true }
  - name: 2020-12 by default
    tool: tuple
  - name: 2020-12 by default, fitting
    tool: tuple
    arguments: { ok: true }
  - name: tool error
    tool: failing
    expect: { is_error: true }
  - name: no output schema
    tool: plain
`;

  before(() => {
    env = isolatedEnv();
    dir = env.MCPTEST_HOME as string;
  });
  after(async () => {
    await env?.cleanup();
  });

  it('by default a result breaking its own outputSchema fails its test, in both eras', async () => {
    const suite = write('breaking.yaml', `servers:\n  s: ${checkServer}\n${BREAKING_TESTS}`);
    const { code, report, byLabel } = await jsonRun([suite]);
    assert.equal(code, 1);
    assert.equal(report.summary.total, 18);
    for (const rev of REVISIONS) {
      const t = (name: string) => byLabel[`${name} [${rev}]`];
      assert.equal(t('good').era, rev === '2026-07-28' ? 'modern' : 'legacy');
      for (const name of [
        'good',
        'ref into defs, fitting',
        '2020-12 by default, fitting',
        'tool error',
        'no output schema',
      ]) {
        assert.equal(t(name).status, 'passed', `${name} [${rev}]: ${JSON.stringify(t(name).failures)}`);
        assert.equal(t(name).warnings, undefined);
      }
      assert.deepEqual(t('wrong type').failures, [
        {
          assertion: 'output_schema',
          message: "structuredContent does not match the tool's outputSchema: data/sum must be number",
        },
      ]);
      assert.match(t('ref into defs').failures[0].message, /data\/item\/id must be integer/);
      // prefixItems is read as 2020-12 (no $schema): draft-07 would not know the keyword.
      assert.deepEqual(t('2020-12 by default').failures, [
        {
          assertion: 'output_schema',
          message: "structuredContent does not match the tool's outputSchema: data/pair/1 must be integer",
        },
      ]);
      assert.match(
        t('no structured content').failures[0].message,
        /declares an outputSchema but answered no structuredContent/,
      );
    }
    const human = await run([suite]);
    assert.equal(human.code, 1);
    assert.match(
      human.stdout,
      /✗ wrong type \[2025-11-25\].*\n\s+output_schema: structuredContent does not match the tool's outputSchema: data\/sum must be number/,
    );
  });

  it('schema_checks: warn reports the same breaks as warnings in every reporter, and the run passes', async () => {
    const suite = write('warn.yaml', `schema_checks: warn\nservers:\n  s: ${checkServer}\n${BREAKING_TESTS}`);
    const { code, report, byLabel } = await jsonRun([suite]);
    assert.equal(code, 0, JSON.stringify(report.tests.filter((t) => t.status !== 'passed')));
    for (const rev of REVISIONS) {
      const t = byLabel[`wrong type [${rev}]`];
      assert.equal(t.status, 'passed');
      assert.deepEqual(t.failures, []);
      assert.match(t.warnings?.[0].message ?? '', /data\/sum must be number/);
      assert.match(
        byLabel[`no structured content [${rev}]`].warnings?.[0].message ?? '',
        /no structuredContent/,
      );
      assert.equal(byLabel[`good [${rev}]`].warnings, undefined);
    }
    const human = await run([suite]);
    assert.equal(human.code, 0);
    assert.match(
      human.stdout,
      /✓ wrong type \[2026-07-28\].*\n\s+warning: output_schema: structuredContent does not match/,
    );
    const junit = await run([suite, '--reporter', 'junit']);
    assert.equal(junit.code, 0);
    checkWellFormedXml(junit.stdout);
    assert.match(junit.stdout, /failures="0" errors="0"/);
    assert.match(
      junit.stdout,
      /<testcase [^>]*name="wrong type \[2025-11-25\]"[^>]*>\s*<system-out>warning: output_schema: structuredContent does not match the tool&apos;s outputSchema: data\/sum must be number<\/system-out>/,
    );
  });

  it('a server-level mode beats the suite, --schema-checks beats both, output_schema: true|false beats the run', async () => {
    const suite = write(
      'levels.yaml',
      `schema_checks: off
servers:
  strict: { command: ${node}, args: [${JSON.stringify(CHECK_SERVER)}], protocol: 2026-07-28, schema_checks: error }
  lax: { command: ${node}, args: [${JSON.stringify(CHECK_SERVER)}], protocol: 2025-11-25 }
tests:
  - { name: strict wrong, server: strict, tool: wrong_type }
  - { name: lax wrong, server: lax, tool: wrong_type }
  - { name: forced, server: lax, tool: wrong_type, expect: { output_schema: true } }
  - { name: skipped, server: strict, tool: wrong_type, expect: { output_schema: false } }
`,
    );
    const plain = await jsonRun([suite]);
    assert.equal(plain.byLabel['strict wrong'].status, 'failed');
    assert.equal(plain.byLabel['lax wrong'].status, 'passed');
    assert.equal(plain.byLabel['lax wrong'].warnings, undefined);
    assert.equal(plain.byLabel.forced.status, 'failed');
    assert.equal(plain.byLabel.skipped.status, 'passed');

    const warned = await jsonRun([suite, '--schema-checks', 'warn']);
    assert.equal(warned.byLabel['strict wrong'].status, 'passed');
    assert.match(warned.byLabel['strict wrong'].warnings?.[0].message ?? '', /data\/sum must be number/);
    assert.match(warned.byLabel['lax wrong'].warnings?.[0].message ?? '', /data\/sum must be number/);
    assert.equal(warned.byLabel.forced.status, 'failed');
    assert.equal(warned.byLabel.skipped.warnings, undefined);

    const bad = await run([suite, '--schema-checks', 'strict']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--schema-checks takes one of error, warn, off, not strict/);
  });

  it('real servers whose results fit their schemas pass the default checks: the example server and server-everything', async () => {
    const suite = write(
      'real.yaml',
      `servers:
  example: { command: ${node}, args: [${JSON.stringify(EXAMPLE_SERVER)}], protocols: [2026-07-28, 2025-11-25] }
  everything: { command: ${node}, args: [${JSON.stringify(EVERYTHING)}, stdio] }
tests:
  - { name: add, server: example, tool: add, arguments: { a: 2, b: 3 }, expect: { json: { $.sum: 5 } } }
  - name: structured
    server: everything
    tool: get-structured-content
    arguments: { location: Chicago }
    expect:
      output_schema: true
      schema: { type: object, required: [temperature, conditions, humidity] }
  - name: tiny image
    server: everything
    tool: get-tiny-image
    expect: { content_type: [image, text] }
`,
    );
    const { code, report } = await jsonRun([suite]);
    assert.equal(code, 0, JSON.stringify(report.tests.filter((t) => t.status !== 'passed')));
    assert.equal(report.summary.passed, 4);
    assert.ok(report.tests.every((t) => t.warnings === undefined));
  });

  it('schema: inline and from a file (JSON or YAML), on structuredContent or the JSON text, passing and failing', async () => {
    write(
      'schemas/sum.json',
      JSON.stringify({ type: 'object', properties: { sum: { type: 'integer', minimum: 10 } } }),
    );
    write(
      'schemas/labelled.yaml',
      `$schema: https://json-schema.org/draft/2020-12/schema
type: object
$defs:
  label: { type: string, enum: [three] }
properties:
  label: { $ref: '#/$defs/label' }
required: [sum, label]
`,
    );
    const suite = write(
      'schema.yaml',
      `servers:\n  s: ${checkServer}
tests:
  - name: inline passing
    tool: good
    expect: { schema: { type: object, properties: { sum: { const: 3 } }, required: [sum] } }
  - name: inline failing
    tool: good
    expect: { schema: { type: object, properties: { sum: { type: string } } } }
  - name: file failing
    tool: good
    expect: { schema: schemas/sum.json }
  - name: yaml file on JSON text
    tool: plain
    expect: { schema: schemas/labelled.yaml }
  - name: not JSON
    tool: missing
    expect: { schema: { type: object }, output_schema: false }
`,
    );
    const { code, byLabel } = await jsonRun([suite]);
    assert.equal(code, 1);
    for (const rev of REVISIONS) {
      const t = (name: string) => byLabel[`${name} [${rev}]`];
      assert.equal(t('inline passing').status, 'passed');
      assert.equal(
        t('yaml file on JSON text').status,
        'passed',
        JSON.stringify(t('yaml file on JSON text').failures),
      );
      assert.deepEqual(t('inline failing').failures, [
        {
          assertion: 'schema',
          message: 'structuredContent does not match the schema: data/sum must be string',
        },
      ]);
      assert.deepEqual(t('file failing').failures, [
        {
          assertion: 'schema',
          message: 'structuredContent does not match schemas/sum.json: data/sum must be >= 10',
        },
      ]);
      assert.match(
        t('not JSON').failures[0].message,
        /no structuredContent and its text is not JSON: "the sum is 3"/,
      );
    }
  });

  it('content_type: every content item must be of the types named', async () => {
    const suite = write(
      'content-type.yaml',
      `servers:\n  s: ${checkServer}
tests:
  - { name: text only, tool: good, expect: { content_type: text } }
  - { name: image and text, tool: picture, expect: { content_type: [image, text] } }
  - { name: image only, tool: picture, expect: { content_type: image } }
  - { name: audio, tool: good, expect: { content_type: audio } }
`,
    );
    const { code, byLabel } = await jsonRun([suite]);
    assert.equal(code, 1);
    for (const rev of REVISIONS) {
      const t = (name: string) => byLabel[`${name} [${rev}]`];
      assert.equal(t('text only').status, 'passed');
      assert.equal(t('image and text').status, 'passed');
      assert.deepEqual(t('image only').failures, [
        { assertion: 'content_type', message: 'expected every content item to be image, got text (item 1)' },
      ]);
      assert.deepEqual(t('audio').failures, [
        { assertion: 'content_type', message: 'expected every content item to be audio, got text (item 0)' },
      ]);
    }
  });

  it('mistakes in schema: and content_type: are suite errors with line and column', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'missing-file.yaml',
        '{ schema: schemas/nowhere.json }',
        /:6:15: schema file schemas\/nowhere\.json \(relative to the suite\): cannot read ENOENT/,
      ],
      [
        'not-a-schema-file.yaml',
        '{ schema: list.yaml }',
        /:6:15: schema file list\.yaml \(relative to the suite\): it holds no JSON Schema object/,
      ],
      [
        'bad-yaml-file.yaml',
        '{ schema: broken.yaml }',
        /:6:15: schema file broken\.yaml \(relative to the suite\): not YAML/,
      ],
      [
        'bad-inline.yaml',
        '{ schema: { type: strin } }',
        /:6:15: this JSON Schema cannot be used: .*type must be JSONType/,
      ],
      [
        'bad-extension.yaml',
        '{ schema: schemas/sum.txt }',
        /:6:15: tests\[0\]\.expect\.schema: a JSON Schema file ending in \.json, \.yaml or \.yml/,
      ],
      [
        'bad-type.yaml',
        '{ content_type: video }',
        /:6:15: tests\[0\]\.expect\.content_type: expected text, image, audio, resource_link, resource, or a list of them/,
      ],
    ];
    write('list.yaml', '- just a list\n');
    write('broken.yaml', 'type: [object\n');
    for (const [file, expect, expected] of cases) {
      write(
        file,
        `servers:\n  s: { command: ${node}, args: [x] }\ntests:\n  - name: t\n    tool: good\n    expect: ${expect}\n`,
      );
      const r = await run([file]);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, expected, file);
    }
  });
});
