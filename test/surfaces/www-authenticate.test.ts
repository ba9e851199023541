import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildAuthError, doctorCommand } from '../../cli/mcp/auth-error.js';
import { wrapText } from '../../cli/format.js';
import { type CliIo, reportError } from '../../cli/io.js';
import { targetFromOptions } from '../../cli/mcp/target-options.js';
import { describeChallenge, parseWwwAuthenticate, primaryChallenge } from '../../shared/www-authenticate.js';
import { McptestError } from '../../shared/errors.js';

test('parses a Bearer challenge with quoted params and escapes', () => {
  const [c] = parseWwwAuthenticate(
    'Bearer realm="mcp", error="invalid_token", error_description="say \\"hi\\", please", resource_metadata="https://x.example/.well-known/oauth-protected-resource"',
  );
  assert.equal(c.scheme, 'Bearer');
  assert.equal(c.params.realm, 'mcp');
  assert.equal(c.params.error, 'invalid_token');
  assert.equal(c.params.error_description, 'say "hi", please');
  assert.equal(c.params.resource_metadata, 'https://x.example/.well-known/oauth-protected-resource');
});

test('parses several challenges, token values and token68', () => {
  const cs = parseWwwAuthenticate(
    'Basic realm=simple, Bearer scope="mcp:read mcp:write" , Negotiate abc123==',
  );
  assert.deepEqual(
    cs.map((c) => c.scheme),
    ['Basic', 'Bearer', 'Negotiate'],
  );
  assert.equal(cs[0].params.realm, 'simple');
  assert.equal(cs[1].params.scope, 'mcp:read mcp:write');
  assert.equal(cs[2].token68, 'abc123==');
  assert.equal(primaryChallenge(cs)?.scheme, 'Bearer');
});

test('parameter names are case-insensitive; the first of a duplicate wins', () => {
  const [c] = parseWwwAuthenticate('bearer REALM="a", realm="b"');
  assert.equal(c.params.realm, 'a');
  assert.equal(primaryChallenge([c])?.scheme, 'bearer');
});

test('malformed headers give a best effort and never throw', () => {
  assert.deepEqual(parseWwwAuthenticate(''), []);
  assert.deepEqual(parseWwwAuthenticate(null), []);
  assert.deepEqual(parseWwwAuthenticate(',,, ;'), []);
  const unterminated = parseWwwAuthenticate('Bearer realm="mcp, scope=x');
  assert.equal(unterminated[0].scheme, 'Bearer');
  assert.equal(unterminated[0].params.realm, 'mcp, scope=x');
  const noScheme = parseWwwAuthenticate('realm="x", scope="y"');
  assert.equal(noScheme[0].scheme, '');
  assert.equal(noScheme[0].params.scope, 'y');
  const junk = parseWwwAuthenticate('"=="  = , Bearer error=, ,');
  assert.ok(junk.some((c) => c.scheme === 'Bearer'));
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      const out = parseWwwAuthenticate(s);
      assert.ok(Array.isArray(out));
      for (const c of out) assert.equal(typeof describeChallenge(c), 'string');
    }),
    { numRuns: 500 },
  );
});

test('the auth error has the design brief shape and carries every field as data', () => {
  const err = buildAuthError({
    serverUrl: 'https://mcp.example.com',
    status: 401,
    wwwAuthenticate: 'Bearer realm="mcp"',
    input: 'bearer_token_env',
    state: 'env_unset',
    envVar: 'MCP_TOKEN',
  });
  assert.ok(err instanceof McptestError);
  assert.equal(err.code, 'auth_failed');
  assert.equal(err.exitCode, 3);
  assert.equal(
    err.message,
    'auth failed: HTTP 401 from https://mcp.example.com, server advertises Bearer (realm="mcp"). env var `MCP_TOKEN` (named by `bearer_token_env`) is not set or is empty in this process; export a valid token into it.',
  );
  assert.equal(err.hint, 'mcptest doctor --url https://mcp.example.com --bearer-token-env MCP_TOKEN');
  assert.deepEqual(
    {
      status: err.details?.status,
      serverUrl: err.details?.serverUrl,
      scheme: err.details?.scheme,
      params: err.details?.params,
      input: err.details?.input,
      envVar: err.details?.envVar,
      state: err.details?.state,
      doctorCommand: err.details?.doctorCommand,
    },
    {
      status: 401,
      serverUrl: 'https://mcp.example.com',
      scheme: 'Bearer',
      params: { realm: 'mcp' },
      input: 'bearer_token_env',
      envVar: 'MCP_TOKEN',
      state: 'env_unset',
      doctorCommand: 'mcptest doctor --url https://mcp.example.com --bearer-token-env MCP_TOKEN',
    },
  );
});

test('each state says what to do; a malformed or missing header still gives a useful message', () => {
  const base = { serverUrl: 'https://mcp.example.com/mcp', status: 401 } as const;
  const rejected = buildAuthError({
    ...base,
    wwwAuthenticate: 'garbage "unterminated',
    input: 'login',
    state: 'token_rejected',
    fingerprint: 'abcdef012345',
  });
  assert.match(rejected.message, /HTTP 401 from https:\/\/mcp\.example\.com\/mcp/);
  assert.match(rejected.message, /abcdef012345/);
  assert.match(rejected.message, /`mcptest login https:\/\/mcp\.example\.com\/mcp`/);
  const none = buildAuthError({ ...base, wwwAuthenticate: null, input: 'none', state: 'no_credentials' });
  assert.match(none.message.replace(/\n/g, ' '), /server sent no WWW-Authenticate challenge/);
  assert.match(none.message, /--bearer-token-env VAR/);
  assert.equal(none.details?.scheme, null);
  const scope = buildAuthError({
    ...base,
    status: 403,
    wwwAuthenticate: 'Bearer error="insufficient_scope", scope="mcp:admin"',
    input: 'client_credentials',
    state: 'insufficient_scope',
    clientId: 'ci',
    envVar: 'CI_SECRET',
    tokenUrl: 'https://idp.example.com/token',
  });
  assert.match(scope.message.replace(/\n/g, ' '), /asks for scope `mcp:admin`/);
  assert.equal(
    scope.details?.doctorCommand,
    'mcptest doctor --url https://mcp.example.com/mcp --client-id ci --client-secret-env CI_SECRET --token-url https://idp.example.com/token',
  );
  const expired = buildAuthError({
    ...base,
    status: null,
    wwwAuthenticate: null,
    input: 'login',
    state: 'login_expired',
  });
  assert.match(expired.message, /^auth failed for https:\/\/mcp\.example\.com\/mcp:/);
  assert.equal(expired.details?.status, null);
});

test('wrapText keeps lines within the width unless a word is longer', () => {
  const text = wrapText(
    `${'a '.repeat(100)}${'x'.repeat(90)} run \`mcptest login https://mcp.example.com/a/long/path\` now`,
    76,
  );
  for (const line of text.split('\n'))
    assert.ok(line.length <= 76 || !line.replace(/`[^`]*`/g, 'Q').includes(' '), line);
  assert.match(text, /`mcptest login https:\/\/mcp\.example\.com\/a\/long\/path`/);
  assert.equal(doctorCommand({ serverUrl: 'https://a', input: 'none' }), 'mcptest doctor --url https://a');
});

test('target flags: exactly one server, env var names only, no Authorization header', () => {
  assert.throws(() => targetFromOptions({}), /exactly one of --url/);
  assert.throws(() => targetFromOptions({ url: 'https://a', command: 'x' }), /exactly one of --url/);
  const secretLooking = 'eyJhbGciOiJSUzI1NiJ9.payload.sig';
  assert.throws(
    () => targetFromOptions({ url: 'https://a', bearerTokenEnv: secretLooking }),
    (err: Error) => err.message.includes('NAME of an env var') && !err.message.includes(secretLooking),
  );
  assert.throws(
    () => targetFromOptions({ url: 'https://a', header: ['Authorization: Bearer x'] }),
    /tokens do not go/,
  );
  assert.throws(() => targetFromOptions({ url: 'https://a', tokenUrl: 'https://t' }), /need --client-id/);
  const t = targetFromOptions({
    url: 'https://a/mcp',
    clientId: 'ci',
    clientSecretEnv: 'CI_SECRET',
    scope: 'mcp:read',
    timeout: '5',
  });
  assert.deepEqual(t.oauth, {
    grant: 'client_credentials',
    clientId: 'ci',
    clientSecretEnv: 'CI_SECRET',
    tokenUrl: undefined,
    scope: 'mcp:read',
    resource: undefined,
    authMethod: undefined,
    privateKeyFile: undefined,
    privateKeyEnv: undefined,
  });
  assert.equal(t.timeoutMs, 5000);
  assert.deepEqual(targetFromOptions({ command: 'node', arg: ['s.js'] }).args, ['s.js']);
});

test('an error is one line on a pipe and wrapped only on a terminal', () => {
  const err = buildAuthError({
    serverUrl: 'https://mcp.example.com',
    status: 401,
    wwwAuthenticate: 'Bearer realm="mcp"',
    input: 'bearer_token_env',
    state: 'env_unset',
    envVar: 'MCP_TOKEN',
  });
  const printed = (stderrIsTTY: boolean) => {
    let out = '';
    reportError({ stderr: (t: string) => (out += t), stderrIsTTY, env: {} } as unknown as CliIo, err);
    return out.trimEnd().split('\n');
  };
  const piped = printed(false);
  assert.equal(piped.length, 2);
  assert.match(piped[0], /^error: auth failed: .*is not set or is empty in this process/);
  assert.equal(
    piped[1],
    'Diagnose with: mcptest doctor --url https://mcp.example.com --bearer-token-env MCP_TOKEN',
  );
  const tty = printed(true);
  assert.ok(tty.length > 2);
  assert.ok(
    tty.slice(0, -1).every((l) => l.length <= 76),
    tty.join('\n'),
  );
  assert.equal(tty.at(-1), piped[1]);
});
