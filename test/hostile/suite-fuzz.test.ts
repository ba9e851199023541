/**
 * Fuzzed suite YAML (fast-check): random text, YAML-ish token soup, random structures dumped as
 * YAML, near-valid suites with hostile values, and alias bombs. The suite loader must either
 * load a suite or throw `suite_invalid` whose first line points at `file:line:col` (or at the
 * file, for a problem of the whole document); never any other exception. A batch also goes
 * through the real CLI (`mcptest run`), which must exit 2 with the same kind of message.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseSuite } from '../../cli/runner/load-suite.js';
import { McptestError } from '../../shared/errors.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const FILE = 'fuzz.yaml';
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const POSITIONED = /^fuzz\.yaml(:\d+:\d+)?: \S/;

const tokens = fc.constantFrom(
  'name:',
  'servers:',
  'tests:',
  'tool:',
  'url:',
  'command:',
  'auth:',
  'bearer_token_env:',
  'oauth:',
  'grant: client_credentials',
  'client_secret: hunter2',
  'expect:',
  'text_contains:',
  'text_matches: "(unclosed"',
  'arguments:',
  'server:',
  '- ',
  '  ',
  '    ',
  '\n',
  '\t',
  ':',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '&a',
  '*a',
  '*missing',
  '!!binary',
  '!!js/function',
  '<<: *a',
  '---',
  '...',
  '#',
  '|',
  '>-',
  '${HOME}',
  '${UNSET_VAR_FOR_FUZZ}',
  '${X:-default}',
  'http://127.0.0.1:1/mcp',
  'http://example.com/mcp',
  '~',
  'null',
  '1e309',
  '0x1F',
  '\u0000',
  '\ufeff',
  'é',
);

const yamlSoup = fc.array(tokens, { maxLength: 60 }).map((parts) => parts.join(' '));

const nearValid = fc
  .record(
    {
      name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      servers: fc.oneof(
        fc.dictionary(
          fc.string({ maxLength: 8 }),
          fc.record(
            {
              url: fc.oneof(
                fc.constantFrom('http://127.0.0.1:1/mcp', 'https://x', 'ftp://x', ''),
                fc.string(),
              ),
              command: fc.oneof(fc.string(), fc.array(fc.string())),
              auth: fc.oneof(
                fc.record({ bearer_token_env: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
                fc.record(
                  {
                    oauth: fc.record(
                      {
                        grant: fc.constantFrom('client_credentials', 'password', ''),
                        client_id: fc.string(),
                        client_secret_env: fc.string(),
                        client_secret: fc.string(),
                      },
                      { requiredKeys: [] },
                    ),
                  },
                  { requiredKeys: [] },
                ),
                fc.jsonValue({ maxDepth: 2 }),
              ),
            },
            { requiredKeys: [] },
          ),
          { maxKeys: 3 },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      tests: fc.oneof(
        fc.array(
          fc.record(
            {
              name: fc.string(),
              server: fc.string({ maxLength: 8 }),
              tool: fc.oneof(fc.string(), fc.integer()),
              tool_present: fc.string(),
              arguments: fc.jsonValue({ maxDepth: 3 }),
              expect: fc.dictionary(
                fc.constantFrom(
                  'is_error',
                  'text_contains',
                  'text_matches',
                  'max_latency_ms',
                  'json_path',
                  'nope',
                ),
                fc.jsonValue({ maxDepth: 2 }),
                { maxKeys: 3 },
              ),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    },
    { requiredKeys: [] },
  )
  .map((v) => stringify(v));

const anyYaml = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  yamlSoup,
  fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
  nearValid,
  fc.constantFrom(
    // Alias bomb ("billion laughs"): must be refused, not expanded.
    'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
    'a: &a [*a]\n',
    '--- !!binary AAAA',
    'tests: !!js/function "function(){}"',
    'name: x\nname: y\n',
    `${'['.repeat(5000)}`,
    `${'- '.repeat(3000)}x`,
  ),
);

function checkOne(text: string): 'loaded' | 'refused' {
  try {
    parseSuite(text, FILE, { HOME: '/home/fuzz', X: 'x' });
    return 'loaded';
  } catch (err) {
    assert.ok(
      err instanceof McptestError,
      `not an McptestError for ${JSON.stringify(text.slice(0, 200))}: ${String(err)}`,
    );
    assert.equal(err.code, 'suite_invalid', `${err.code}: ${err.message}`);
    const first = err.message.split('\n')[0];
    assert.match(first, POSITIONED, `unpositioned message for ${JSON.stringify(text.slice(0, 200))}`);
    return 'refused';
  }
}

test('4000 fuzzed suites: each loads or is refused with suite_invalid at file:line:col, never another exception', () => {
  const seen = { loaded: 0, refused: 0 };
  const result = fc.check(
    fc.property(anyYaml, (text) => {
      seen[checkOne(text)]++;
    }),
    { numRuns: 4000, seed: SEED },
  );
  if (result.failed) {
    assert.fail(
      `property failed (seed ${SEED}, path ${result.counterexamplePath}): ${(result.errorInstance as Error)?.message}`,
    );
  }
  assert.ok(seen.refused > 1000, `most inputs are refused (${JSON.stringify(seen)})`);
});

test('through the real CLI: mcptest run on fuzzed files exits 2 with a positioned message', async () => {
  const env = isolatedEnv();
  try {
    const dir = path.join(env.MCPTEST_HOME as string, 'suites');
    fs.mkdirSync(dir);
    const samples = fc.sample(anyYaml, { numRuns: 12, seed: SEED });
    const refusedByParser = samples.filter((text) => checkOne(text) === 'refused').slice(0, 8);
    assert.ok(refusedByParser.length >= 4);
    const runs = await Promise.all(
      refusedByParser.map((text, i) => {
        fs.writeFileSync(path.join(dir, `fuzz-${i}.yaml`), text);
        return runCli(['run', `suites/fuzz-${i}.yaml`], { env });
      }),
    );
    runs.forEach((run, i) => {
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^error: suites/fuzz-${i}\\.yaml(:\\d+:\\d+)?: `));
      assert.match(run.stderr, /hint: /);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });
  } finally {
    await env.cleanup();
  }
});
