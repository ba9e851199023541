import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McptestError } from '../../shared/errors.js';
import { evaluateJsonPath } from '../../cli/runner/json-path.js';
import { interpolate, parseSuite } from '../../cli/runner/load-suite.js';
import { renderJunit, xmlEscape } from '../../cli/runner/reporters/junit.js';
import { suiteJsonSchema } from '../../cli/runner/suite-schema.js';
import { checkWellFormedXml } from './xml-well-formed.js';

const VALID = `servers:
  api:
    url: http://127.0.0.1:8080/mcp
    auth:
      bearer_token_env: MCP_TOKEN
tests:
  - name: echo
    tool: echo
    arguments: { text: hi }
    expect:
      text_contains: hi
      json: { "$.a[0].b": { gt: 1 } }
  - name: admin hidden
    tool_absent: admin_reset
`;

function suiteError(text: string, env: NodeJS.ProcessEnv = {}): McptestError {
  try {
    parseSuite(text, 'suite.yaml', env);
  } catch (err) {
    assert.ok(err instanceof McptestError, `expected McptestError, got ${err}`);
    assert.equal(err.code, 'suite_invalid');
    assert.equal(err.exitCode, 2);
    return err;
  }
  assert.fail('the suite was accepted');
}

describe('suite parsing', () => {
  it('accepts a valid suite and names it after the file', () => {
    const { suite, name } = parseSuite(VALID, 'dir/api.yaml', {});
    assert.equal(name, 'api');
    assert.equal(suite.tests.length, 2);
    assert.equal(suite.servers.api.auth?.bearer_token_env, 'MCP_TOKEN');
    assert.deepEqual(suite.tests[0].expect?.json, { '$.a[0].b': { gt: 1 } });
  });

  it('reports a YAML syntax error with line and column', () => {
    const err = suiteError('servers:\n  api:\n    url: [unclosed\ntests: []\n');
    assert.match(err.message, /^suite\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('reports an unknown key with its line and column and the test index', () => {
    const text = VALID.replace('    expect:\n', '    expct:\n');
    const err = suiteError(text);
    assert.match(err.message, /^suite\.yaml:10:5: unknown key "expct" in tests\[0\]/);
    assert.ok(err.hint?.startsWith('mcptest schema'));
  });

  it('reports a wrong type at the value, and a missing key at its parent', () => {
    const err = suiteError(VALID.replace('text_contains: hi', 'text_contains: 42'));
    assert.match(
      err.message,
      /^suite\.yaml:11:7: tests\[0\]\.expect\.text_contains: expected a string or a list of strings/,
    );
    const missing = suiteError(VALID.replace('  - name: admin hidden\n', '  - \n'));
    assert.match(missing.message, /suite\.yaml:\d+:\d+: missing key "name" in tests\[1\]/);
  });

  it('rejects a literal secret and points to the *_env key', () => {
    const text = VALID.replace(
      'bearer_token_env: MCP_TOKEN',
      'oauth: { grant: client_credentials, client_id: ci, client_secret: s3cr3t-value }',
    );
    const err = suiteError(text);
    assert.match(
      err.message,
      /^suite\.yaml:5:58: "client_secret" would hold a literal secret; .*client_secret_env/,
    );
    assert.ok(!err.message.includes('s3cr3t-value'));
    const token = suiteError(VALID.replace('bearer_token_env: MCP_TOKEN', 'token: abc'));
    assert.match(token.message, /"token" would hold a literal secret; .*bearer_token_env/);
    const header = suiteError(
      VALID.replace('    auth:\n', '    headers: { Authorization: Bearer abc }\n    auth:\n'),
    );
    assert.match(header.message, /suite\.yaml:4:16: an Authorization header/);
  });

  it('checks server references and regular expressions', () => {
    const err = suiteError(VALID.replace('    tool: echo\n', '    server: other\n    tool: echo\n'));
    assert.match(err.message, /suite\.yaml:8:5: tests\[0\] names server "other"/);
    const re = suiteError(VALID.replace('text_contains: hi', 'text_matches: "([a"'));
    assert.match(re.message, /suite\.yaml:11:7: invalid regular expression/);
  });

  it('interpolates ${VAR} with defaults and names unset variables', () => {
    assert.deepEqual(interpolate('http://${HOST}:${PORT:-80}/$${x}', { HOST: 'h' }), {
      value: 'http://h:80/${x}',
      missing: [],
    });
    const { suite } = parseSuite(VALID.replace('http://127.0.0.1:8080/mcp', '${MCP_URL}'), 's.yaml', {
      MCP_URL: 'http://127.0.0.1:9/mcp',
    });
    assert.equal(suite.servers.api.url, 'http://127.0.0.1:9/mcp');
    const err = suiteError(VALID.replace('http://127.0.0.1:8080/mcp', '${MCP_URL}'));
    assert.match(err.message, /^suite\.yaml:3:10: environment variable \$\{MCP_URL\} is not set/);
  });

  it('derives a JSON Schema that refuses unknown keys', () => {
    const schema = suiteJsonSchema() as any;
    assert.equal(schema.additionalProperties, false);
    assert.ok(schema.properties.servers && schema.properties.tests);
    assert.equal(schema.properties.tests.items.additionalProperties, false);
  });
});

describe('JSON path and XML helpers', () => {
  it('evaluates simple paths', () => {
    const doc = { a: { b: [1, { c: 'x' }] }, 'k k': true };
    assert.deepEqual(evaluateJsonPath(doc, '$.a.b[1].c'), { found: true, value: 'x' });
    assert.deepEqual(evaluateJsonPath(doc, '$.a.b[-1]'), { found: true, value: { c: 'x' } });
    assert.deepEqual(evaluateJsonPath(doc, "$['k k']"), { found: true, value: true });
    assert.deepEqual(evaluateJsonPath(doc, '$.a.z'), { found: false });
    assert.throws(() => evaluateJsonPath(doc, '$..a'), /malformed/);
  });

  it('escapes XML and keeps JUnit output well-formed with hostile names', () => {
    assert.equal(xmlEscape(`<a href="x">&'\u0001`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    const xml = renderJunit({
      version: 1,
      suite: { name: 'a<b & "c"', file: 'x.yaml' },
      startedAt: new Date(0).toISOString(),
      durationMs: 5,
      summary: { total: 2, passed: 0, failed: 2, skipped: 0 },
      servers: [],
      tests: [
        {
          name: ']]> <x/> & \u0007',
          label: ']]> <x/> & \u0007',
          server: 's',
          protocol: 'auto',
          era: 'legacy',
          protocolVersion: '2025-11-25',
          kind: 'tool',
          tool: 't',
          status: 'failed',
          durationMs: 1,
          failures: [{ assertion: 'text_contains', message: 'expected "<"' }],
          error: null,
        },
        {
          name: 'e',
          label: 'e [2026-07-28]',
          server: 's',
          protocol: '2026-07-28',
          era: null,
          protocolVersion: null,
          kind: 'tool',
          tool: 't',
          status: 'failed',
          durationMs: 1,
          failures: [],
          error: { code: 'auth_failed', message: 'auth failed: HTTP 401 <x>', hint: 'mcptest doctor' },
        },
      ],
      exitCode: 3,
    });
    const elements = checkWellFormedXml(xml);
    assert.deepEqual(elements, ['testsuites', 'testsuite', 'testcase', 'failure', 'testcase', 'error']);
    assert.match(xml, /failures="1" errors="1"/);
  });
});
