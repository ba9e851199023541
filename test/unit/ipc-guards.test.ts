/**
 * The zod-free readers of the health and token answers (shared/ipc-guards.ts) must agree with
 * the zod schemas the daemon answers with: the same verdict on any input, the same output when
 * it is accepted. Checked on fuzzed objects built from near-miss values for every field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { McptestError } from '../../shared/errors.js';
import {
  namesClientCredentials,
  readHealthResponse,
  readTokenRequest,
  readTokenResponse,
} from '../../shared/ipc-guards.js';
import { HealthResponse, TokenRequest, TokenResponse } from '../../shared/ipc-schemas.js';

/** Values that sit on the edges of the checks: wrong types, non-finite and unsafe numbers, null. */
const edgeValue = fc.oneof(
  fc.string(),
  fc.constantFrom('mcptest-authd', 'self', 'systemd', 'Bearer', '', 'MCPTEST-AUTHD'),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 1.5, -0, 0, -1, 86_400, 86_401),
  fc.constantFrom(
    '0123456789ab',
    'abcdef012345',
    'ABCDEF012345',
    '0123456789a',
    'x'.repeat(2048),
    'x'.repeat(2049),
  ),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);

function objects(keys: string[]) {
  return fc.oneof(
    // every known field present, each possibly a near miss, plus stray extra fields
    fc
      .tuple(fc.tuple(...keys.map(() => edgeValue)), fc.dictionary(fc.string(), edgeValue, { maxKeys: 2 }))
      .map(([values, extra]) => ({ ...extra, ...Object.fromEntries(keys.map((k, i) => [k, values[i]])) })),
    // some fields missing
    fc.dictionary(fc.constantFrom(...keys), edgeValue),
    // not an object at all
    edgeValue,
  );
}

function agrees<S extends z.ZodType>(
  schema: S,
  read: (data: unknown, what: string) => unknown,
  keys: string[],
  valid: Record<string, unknown>,
) {
  const check = (data: unknown) => {
    const expected = schema.safeParse(data);
    let got: unknown;
    let threw: unknown;
    try {
      got = read(data, 'daemon answer');
    } catch (err) {
      threw = err;
    }
    if (expected.success) {
      assert.equal(threw, undefined, `the reader refused what zod accepts: ${JSON.stringify(data)}`);
      assert.deepEqual(got, expected.data);
    } else {
      assert.ok(
        threw instanceof McptestError,
        `the reader accepted what zod refuses: ${JSON.stringify(data)}`,
      );
      assert.equal(threw.code, 'invalid_request');
      assert.match(threw.message, /^invalid daemon answer: /);
    }
  };
  check(valid);
  // Single-field mutations of a valid answer: each field's check on its own.
  fc.assert(
    fc.property(fc.constantFrom(...keys), edgeValue, (key, value) => check({ ...valid, [key]: value })),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(objects(keys), check), { numRuns: 3000 });
}

test('the health reader agrees with HealthResponse on fuzzed answers', () => {
  agrees(HealthResponse, readHealthResponse, Object.keys(HealthResponse.shape), {
    name: 'mcptest-authd',
    version: '1.0.0',
    api: 1,
    pid: 4242,
    startedAt: 1_700_000_000_000,
    managedBy: 'self',
    extra: 'dropped',
  });
});

test('the token reader agrees with TokenResponse on fuzzed answers', () => {
  agrees(TokenResponse, readTokenResponse, Object.keys(TokenResponse.shape), {
    accessToken: 'opaque',
    tokenType: 'Bearer',
    expiresAt: null,
    scope: 'mcp:read',
    fingerprint: 'sha256:abcd',
    source: 'browser',
  });
});

test('the token request reader agrees with TokenRequest on requests without client credentials', () => {
  const schema = TokenRequest.omit({ clientCredentials: true });
  agrees(schema, readTokenRequest, ['serverUrl', 'minTtlSeconds', 'rejectedFingerprint'], {
    serverUrl: 'http://127.0.0.1:1/mcp',
    minTtlSeconds: 60,
    rejectedFingerprint: '0123456789ab',
    extra: 'dropped',
  });
  // A request that names client credentials is read with the schema, never by the reader.
  assert.equal(namesClientCredentials({ serverUrl: 'x', clientCredentials: { clientId: 'c' } }), true);
  for (const data of [{ serverUrl: 'x' }, { clientCredentials: undefined }, null, 'x', []]) {
    assert.equal(namesClientCredentials(data), false);
  }
});
