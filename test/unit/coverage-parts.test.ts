/**
 * The pure parts of input rejection and coverage: which calls `scaffold --negative` writes for a
 * schema, how `--min-coverage` is read, which URIs a resource template matches, and which
 * thrown errors carry a JSON-RPC code (an HTTP 400's JSON-RPC body included).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McptestError } from '../../shared/errors.js';
import { parseThresholds, templatePattern } from '../../cli/runner/coverage.js';
import { rpcErrorOf } from '../../cli/runner/input-rejection.js';
import { negativeTests } from '../../cli/scaffold/negative-tests.js';

test('negativeTests: a missing required argument and a wrong type, the rest valid', () => {
  const { tests, note } = negativeTests({
    name: 'search',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string' },
        limit: { type: 'integer', minimum: 1 },
        tags: { type: 'array' },
      },
      required: ['limit', 'query'],
    },
  });
  assert.equal(note, undefined);
  assert.deepEqual(tests, [
    {
      name: 'search rejects a missing "limit"',
      tool: 'search',
      arguments: { query: 'example' },
      expect: { rejects_input: true },
    },
    {
      name: 'search rejects a string for "limit" (an integer)',
      tool: 'search',
      arguments: { limit: 'not a number', query: 'example' },
      expect: { rejects_input: true },
    },
  ]);
});

test('negativeTests: only a wrong type without required arguments; none without typed properties', () => {
  const optional = negativeTests({
    name: 'list',
    inputSchema: { type: 'object', properties: { filter: { type: 'object' } } },
  });
  assert.deepEqual(
    optional.tests.map((t) => [t.name, t.arguments]),
    [['list rejects a string for "filter" (an object)', { filter: 'not an object' }]],
  );
  assert.equal(optional.note, 'one input-rejection test only: it has no required argument to leave out');
  assert.deepEqual(negativeTests({ name: 'ping', inputSchema: { type: 'object' } }), {
    tests: [],
    note: 'no input-rejection test: its inputSchema has no properties',
  });
  const untyped = negativeTests({
    name: 'any',
    inputSchema: { type: 'object', properties: { v: { anyOf: [{ type: 'string' }, { type: 'number' }] } } },
  });
  assert.deepEqual(untyped, {
    tests: [],
    note: 'no input-rejection test: none of its properties has a single JSON type to break',
  });
});

test('parseThresholds: one percentage for every kind, or per kind; anything else is a usage error', () => {
  assert.deepEqual(parseThresholds('80', 's.yaml'), {
    tools: 80,
    prompts: 80,
    resources: 80,
    resource_templates: 80,
  });
  assert.deepEqual(parseThresholds('tools=90, prompts=50%,resource-templates=10', 's.yaml'), {
    tools: 90,
    prompts: 50,
    resource_templates: 10,
  });
  for (const bad of ['', '101', 'tools=', 'tools=-1', 'widgets=5', 'tools=5=6', 'x']) {
    assert.throws(
      () => parseThresholds(bad, 's.yaml'),
      (err: unknown) =>
        err instanceof McptestError && err.code === 'invalid_request' && /--min-coverage/.test(err.message),
      bad,
    );
  }
});

test('templatePattern: the URIs an RFC 6570 template expands to', () => {
  const simple = templatePattern('demo://resource/dynamic/text/{resourceId}');
  assert.ok(simple.test('demo://resource/dynamic/text/1'));
  assert.ok(!simple.test('demo://resource/dynamic/text/1/2'), 'a simple expansion stays in its segment');
  assert.ok(!simple.test('demo://resource/dynamic/blob/1'));
  assert.ok(templatePattern('file:///{+path}').test('file:///a/b/c.txt'), 'reserved expansion crosses /');
  const query = templatePattern('api://search{?q,limit}');
  assert.ok(query.test('api://search') && query.test('api://search?q=x&limit=3'));
  assert.ok(templatePattern('repo://{owner}/{name}{/path}').test('repo://me/it/src/x.ts'));
  assert.ok(!templatePattern('a.b://{x}').test('aXb://1'), 'literal parts are literal');
});

test('rpcErrorOf: a JSON-RPC error, or one in the body of an HTTP 400; not an HTTP status', () => {
  assert.deepEqual(rpcErrorOf({ code: -32602, message: 'MCP error -32602: bad a' }), {
    code: -32602,
    message: 'bad a',
    status: null,
  });
  const http400 = {
    code: 'CLIENT_HTTP_NOT_IMPLEMENTED',
    message: 'Error POSTing to endpoint',
    data: {
      status: 400,
      text: JSON.stringify({ jsonrpc: '2.0', id: 3, error: { code: -32602, message: 'Invalid params' } }),
    },
  };
  assert.deepEqual(rpcErrorOf(http400), { code: -32602, message: 'Invalid params', status: 400 });
  assert.equal(rpcErrorOf({ code: 400, message: 'Bad Request' }), null, 'SDK 1.x puts HTTP statuses in code');
  assert.equal(rpcErrorOf({ data: { status: 502, text: '<html>bad gateway</html>' } }), null);
  assert.equal(rpcErrorOf(new Error('Connection closed')), null);
});
