/**
 * The JSON Schema sample generator and the assertion proposer, checked against a real JSON Schema
 * validator (the SDK's Ajv) and the suite's own assertion checker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { proposeAssertions } from '../../cli/scaffold/propose-assertions.js';
import { sampleArguments } from '../../cli/scaffold/sample-arguments.js';
import { checkExpectations } from '../../cli/runner/assertions.js';

const validator = new AjvJsonSchemaValidator();

function valid(schema: Record<string, unknown>, value: unknown): boolean {
  return validator.getValidator(schema)(value).valid;
}

const SCHEMAS: Record<string, Record<string, unknown>> = {
  enums: {
    type: 'object',
    properties: { unit: { type: 'string', enum: ['c', 'f'] }, level: { type: 'integer', enum: [3, 4] } },
    required: ['unit', 'level'],
  },
  bounds: {
    type: 'object',
    properties: {
      n: { type: 'integer', minimum: 5, maximum: 9 },
      x: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      m: { type: 'integer', multipleOf: 7, minimum: 10 },
      neg: { type: 'number', maximum: -3 },
      s: { type: 'string', minLength: 12, maxLength: 20 },
      short: { type: 'string', maxLength: 3 },
    },
    required: ['n', 'x', 'm', 'neg', 's', 'short'],
  },
  formats: {
    type: 'object',
    properties: Object.fromEntries(
      ['email', 'uri', 'date', 'date-time', 'uuid', 'ipv4', 'ipv6', 'hostname', 'time'].map((f) => [
        f,
        { type: 'string', format: f },
      ]),
    ),
    required: ['email', 'uri', 'date', 'date-time', 'uuid', 'ipv4', 'ipv6', 'hostname', 'time'],
  },
  nested: {
    type: 'object',
    properties: {
      filter: {
        type: 'object',
        properties: { tags: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true } },
        required: ['tags'],
        additionalProperties: false,
      },
      ids: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, uniqueItems: true },
      flag: { type: 'boolean' },
      optional: { type: 'string' },
    },
    required: ['filter', 'ids', 'flag'],
    additionalProperties: false,
  },
  combinators: {
    type: 'object',
    $defs: { point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
    properties: {
      at: { $ref: '#/$defs/point' },
      maybe: { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^[a-z]+$' }] },
      both: {
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          { required: ['b'], properties: { b: { type: 'boolean' } } },
        ],
      },
      kind: { const: 'fixed' },
      nullable: { type: ['string', 'null'], pattern: '^\\d{3}$' },
      withDefault: { type: 'integer', default: 42 },
      code: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
      slug: { type: 'string', pattern: '^(?:foo|bar)_[a-z]+(-v\\d+)?$' },
    },
    required: ['at', 'maybe', 'both', 'kind', 'nullable', 'withDefault', 'code', 'slug'],
  },
};

for (const [name, schema] of Object.entries(SCHEMAS)) {
  test(`sample arguments satisfy the ${name} schema`, () => {
    const args = sampleArguments(schema);
    assert.ok(valid(schema, args), `${name}: ${JSON.stringify(args)}`);
  });
}

test('only required properties are generated; defaults and enums are used as given', () => {
  const args = sampleArguments(SCHEMAS.nested);
  assert.equal('optional' in args, false);
  assert.equal(sampleArguments(SCHEMAS.combinators).withDefault, 42);
  assert.deepEqual(sampleArguments({ type: 'object' }), {});
  assert.deepEqual(sampleArguments(undefined), {});
});

test('proposed assertions pass against the result they came from, and pin volatile values by shape', () => {
  const result = {
    content: [
      { type: 'text', text: 'order 3f2b6a1c-1d2e-4f5a-8b9c-0a1b2c3d4e5f created at 2025-01-02T03:04:05Z' },
    ],
    structuredContent: {
      id: '3f2b6a1c-1d2e-4f5a-8b9c-0a1b2c3d4e5f',
      status: 'created',
      createdAt: '2025-01-02T03:04:05Z',
      total: 12,
      items: [{ sku: 'a' }],
      meta: { region: 'eu', latency_ms: 4 },
    },
  };
  const { expect } = proposeAssertions({ results: [result], outputSchema: { type: 'object' } });
  assert.equal(expect.is_error, false);
  assert.equal(expect.output_schema, true);
  assert.ok(expect.text_matches, 'volatile text is matched by a pattern');
  assert.equal(expect.text_contains, undefined);
  assert.deepEqual(expect.json?.['$.id'], { type: 'string', matches: '^[0-9a-fA-F-]{36}$' });
  assert.equal(expect.json?.['$.status'], 'created');
  assert.deepEqual(expect.json?.['$.createdAt'], { type: 'string', matches: '^\\d{4}-\\d{2}-\\d{2}' });
  assert.deepEqual(expect.json?.['$.total'], { type: 'number' });
  assert.deepEqual(expect.json?.['$.items'], { type: 'array' });
  assert.equal(expect.json?.['$.meta.region'], 'eu');
  assert.deepEqual(expect.json?.['$.meta.latency_ms'], { type: 'number' });
  assert.equal(expect.max_latency_ms, undefined, 'no latency bound: a loaded machine breaks it');
  const failures = checkExpectations(expect, {
    result: {
      ...result,
      structuredContent: {
        ...result.structuredContent,
        id: '00000000-1111-4222-8333-444444444444',
        createdAt: '2026-05-06T07:08:09Z',
        total: 99,
      },
    },
    latencyMs: 400,
    outputSchema: { type: 'object' },
    toolListed: true,
  });
  assert.deepEqual(failures, [], 'another call with new ids, times and counts still passes');
});

test('values that changed between calls are asserted by type, text by shape; a tool error not by its text', () => {
  const answer = (speed: number) => ({
    content: [{ type: 'text', text: `Wind in Oslo: ${speed} km/h` }],
    structuredContent: { city: 'Oslo', wind: { speed_kmh: speed, direction: 'N' } },
  });
  const { expect } = proposeAssertions({ results: [answer(16), answer(10.5), answer(3)] });
  assert.equal(expect.json?.['$.city'], 'Oslo');
  assert.equal(expect.json?.['$.wind.direction'], 'N');
  assert.deepEqual(expect.json?.['$.wind.speed_kmh'], { type: 'number' });
  assert.equal(expect.text_contains, undefined);
  assert.ok(new RegExp(expect.text_matches as string).test('Wind in Oslo: -2.25 km/h'));
  assert.equal(expect.max_latency_ms, undefined);
  const failures = checkExpectations(expect, { result: answer(42.1), latencyMs: 60_000, toolListed: true });
  assert.deepEqual(failures, [], 'a fourth call with another value still passes');

  const error = { content: [{ type: 'text', text: 'elicitation not supported' }], isError: true };
  const refused = proposeAssertions({ results: [error] });
  assert.equal(refused.expect.is_error, true);
  assert.equal(refused.expect.text_contains, undefined, 'an error text is not pinned as the expected answer');
  assert.ok(refused.notes.some((n) => /tool error/.test(n)));
});

test('hostile schemas give bounded samples instead of hanging or exhausting memory', () => {
  const names = 'abcdefghij'.split('');
  const fanOut = {
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, { $ref: '#' }])),
  };
  // Ten required properties that each refer back to the root: 10^8 values if followed.
  const fanned = JSON.stringify(sampleArguments(fanOut));
  assert.ok(fanned.length < 100_000, `${fanned.length} characters`);
  const huge = sampleArguments({
    type: 'object',
    required: ['list', 'text', 'coded'],
    properties: {
      list: { type: 'array', minItems: 1e9, items: { type: 'integer' } },
      text: { type: 'string', minLength: 1e9 },
      coded: { type: 'string', pattern: '^a{1000000000}$' },
    },
  });
  assert.ok((huge.list as unknown[]).length <= 1_000);
  assert.ok((huge.text as string).length <= 1_000);
  assert.equal(typeof huge.coded, 'string');
});
