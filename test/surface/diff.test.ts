/**
 * The semantic diff of surfaces (cli/surface/diff.ts) on documents alone: each kind of change
 * gets its class and JSON pointer, input and output schemas are read in opposite directions,
 * descriptions are compared by the documented similarity, and the canonical form is stable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  atOrAbove,
  descriptionSimilarity,
  diffSurfaces,
  REWORDED_SIMILARITY,
  type SurfaceChange,
} from '../../cli/surface/diff.js';
import {
  type JsonObject,
  parseSurface,
  pointer,
  SURFACE_FORMAT,
  type Surface,
  surfaceText,
} from '../../cli/surface/format.js';
import { failingChanges, renderHuman } from '../../cli/surface/render.js';

function surface(over: Partial<Surface> = {}): Surface {
  return {
    format: SURFACE_FORMAT,
    recordedWith: { era: 'modern', protocolVersion: '2026-07-28' },
    server: { name: 'notes', version: '1.0.0' },
    discover: { supportedVersions: ['2026-07-28'] },
    capabilities: { tools: { listChanged: true } },
    tools: {},
    prompts: {},
    resources: {},
    resourceTemplates: {},
    ...over,
  };
}

const obj = (
  properties: Record<string, unknown>,
  required: string[] = [],
  extra: Record<string, unknown> = {},
): JsonObject => ({ type: 'object', properties, required, ...extra }) as unknown as JsonObject;

/** The changes between two tools named `t`, as `class pointer` strings. */
function toolChanges(a: Surface['tools'][string], b: Surface['tools'][string]): string[] {
  return diffSurfaces(surface({ tools: { t: a } }), surface({ tools: { t: b } })).map(
    (c) => `${c.class} ${c.pointer}`,
  );
}

const byPointer = (changes: SurfaceChange[], at: string) => changes.find((c) => c.pointer === at);

test('an unchanged surface has no changes', () => {
  const s = surface({ tools: { echo: { inputSchema: obj({ text: { type: 'string' } }, ['text']) } } });
  assert.deepEqual(diffSurfaces(s, structuredClone(s)), []);
});

test('tools: removed is breaking (with a rename guess), new is compatible', () => {
  const input = obj({ path: { type: 'string' } }, ['path']);
  const changes = diffSurfaces(
    surface({
      tools: { read_file: { description: 'Reads a file.', inputSchema: input }, gone: { inputSchema: {} } },
    }),
    surface({ tools: { read_text_file: { description: 'Reads a file.', inputSchema: input } } }),
  );
  assert.deepEqual(
    changes.map((c) => [c.class, c.pointer]),
    [
      ['breaking', '/tools/read_file'],
      ['breaking', '/tools/gone'],
      ['compatible', '/tools/read_text_file'],
    ],
  );
  assert.match(
    byPointer(changes, '/tools/read_file')?.message ?? '',
    /removed \(renamed to "read_text_file"\?\)/,
  );
  assert.doesNotMatch(byPointer(changes, '/tools/gone')?.message ?? '', /renamed/);
});

test('input: a parameter becoming required, a new required one and a removed one are breaking', () => {
  const a = {
    inputSchema: obj({ q: { type: 'string' }, limit: { type: 'integer' }, old: { type: 'string' } }, ['q']),
  };
  const b = {
    inputSchema: obj(
      {
        q: { type: 'string' },
        limit: { type: 'integer' },
        must: { type: 'string' },
        may: { type: 'string' },
      },
      ['q', 'limit', 'must'],
    ),
  };
  assert.deepEqual(toolChanges(a, b), [
    'breaking /tools/t/inputSchema/properties/old',
    'breaking /tools/t/inputSchema/properties/must',
    'breaking /tools/t/inputSchema/required',
    'compatible /tools/t/inputSchema/properties/may',
  ]);
  // Back again: optional is compatible, a removed parameter still breaks callers that send it.
  assert.deepEqual(toolChanges(b, a), [
    'breaking /tools/t/inputSchema/properties/must',
    'breaking /tools/t/inputSchema/properties/may',
    'compatible /tools/t/inputSchema/properties/old',
    'compatible /tools/t/inputSchema/required',
  ]);
});

test('types: narrowed input breaks, widened input does not; output the other way round', () => {
  const t = (type: unknown, where: 'inputSchema' | 'outputSchema') => ({
    inputSchema: where === 'inputSchema' ? obj({ v: { type } }) : obj({}),
    ...(where === 'outputSchema' ? { outputSchema: obj({ v: { type } }) } : {}),
  });
  const at = (where: string) => `/tools/t/${where}/properties/v/type`;
  assert.deepEqual(toolChanges(t('number', 'inputSchema'), t('integer', 'inputSchema')), [
    `breaking ${at('inputSchema')}`,
  ]);
  assert.deepEqual(toolChanges(t('integer', 'inputSchema'), t('number', 'inputSchema')), [
    `compatible ${at('inputSchema')}`,
  ]);
  assert.deepEqual(toolChanges(t(['string', 'null'], 'inputSchema'), t('string', 'inputSchema')), [
    `breaking ${at('inputSchema')}`,
  ]);
  assert.deepEqual(toolChanges(t('string', 'inputSchema'), t(['string', 'number'], 'inputSchema')), [
    `compatible ${at('inputSchema')}`,
  ]);
  assert.deepEqual(toolChanges(t('string', 'inputSchema'), t('number', 'inputSchema')), [
    `breaking ${at('inputSchema')}`,
  ]);
  assert.deepEqual(toolChanges(t('integer', 'outputSchema'), t('number', 'outputSchema')), [
    `breaking ${at('outputSchema')}`,
  ]);
  assert.deepEqual(toolChanges(t('number', 'outputSchema'), t('integer', 'outputSchema')), [
    `compatible ${at('outputSchema')}`,
  ]);
  const msg = diffSurfaces(
    surface({ tools: { t: t('number', 'inputSchema') } }),
    surface({ tools: { t: t('integer', 'inputSchema') } }),
  )[0].message;
  assert.equal(
    msg,
    'the type of parameter "v" of the tool "t" narrowed from number to integer: callers sending the old type are refused',
  );
});

test('enum and const: a value removed from an input breaks, a value added to an output is risky', () => {
  const inp = (values: string[]) => ({ inputSchema: obj({ mode: { type: 'string', enum: values } }) });
  assert.deepEqual(toolChanges(inp(['a', 'b', 'c']), inp(['a', 'b', 'd'])), [
    'breaking /tools/t/inputSchema/properties/mode/enum',
    'compatible /tools/t/inputSchema/properties/mode/enum',
  ]);
  const out = (values: string[]) => ({ inputSchema: obj({}), outputSchema: obj({ s: { enum: values } }) });
  assert.deepEqual(toolChanges(out(['ok']), out(['ok', 'partial'])), [
    'risky /tools/t/outputSchema/properties/s/enum',
  ]);
  assert.deepEqual(toolChanges(out(['ok', 'partial']), out(['ok'])), [
    'compatible /tools/t/outputSchema/properties/s/enum',
  ]);
  const c = (value: unknown) => ({ inputSchema: obj({ v: { const: value } }) });
  assert.deepEqual(toolChanges(c(1), c(2)), [
    'breaking /tools/t/inputSchema/properties/v/const',
    'compatible /tools/t/inputSchema/properties/v/const',
  ]);
  assert.deepEqual(toolChanges({ inputSchema: obj({ v: {} }) }, c(1)), [
    'breaking /tools/t/inputSchema/properties/v/const',
  ]);
});

test('outputSchema: removed is breaking, an output property removed is breaking, one added is compatible', () => {
  const out = obj({ results: { type: 'array', items: { type: 'string' } }, total: { type: 'integer' } }, [
    'results',
    'total',
  ]);
  assert.deepEqual(toolChanges({ inputSchema: {}, outputSchema: out }, { inputSchema: {} }), [
    'breaking /tools/t/outputSchema',
  ]);
  assert.deepEqual(toolChanges({ inputSchema: {} }, { inputSchema: {}, outputSchema: out }), [
    'compatible /tools/t/outputSchema',
  ]);
  const fewer = obj({ results: { type: 'array', items: { type: 'string' } } }, ['results']);
  const changes = diffSurfaces(
    surface({ tools: { t: { inputSchema: {}, outputSchema: out } } }),
    surface({ tools: { t: { inputSchema: {}, outputSchema: fewer } } }),
  );
  assert.deepEqual(
    changes.map((c) => `${c.class} ${c.pointer}`),
    ['breaking /tools/t/outputSchema/properties/total'],
  );
  assert.equal(changes[0].message, 'output property "total" of the tool "t" was removed');
  assert.deepEqual(
    toolChanges({ inputSchema: {}, outputSchema: fewer }, { inputSchema: {}, outputSchema: out }),
    ['compatible /tools/t/outputSchema/properties/total'],
  );
  // Required in the output no more: readers may miss it.
  const optional = obj(
    { results: { type: 'array', items: { type: 'string' } }, total: { type: 'integer' } },
    ['results'],
  );
  assert.deepEqual(
    toolChanges({ inputSchema: {}, outputSchema: out }, { inputSchema: {}, outputSchema: optional }),
    ['risky /tools/t/outputSchema/required'],
  );
});

test('nested objects and array items are compared with their own pointers and dotted paths', () => {
  const a = {
    inputSchema: obj({
      filter: obj({ tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] } } }, []),
    }),
  };
  const b = {
    inputSchema: obj({
      filter: obj({ tags: { type: 'array', items: { type: 'string', enum: ['x'] } } }, ['tags']),
    }),
  };
  const changes = diffSurfaces(surface({ tools: { t: a } }), surface({ tools: { t: b } }));
  assert.deepEqual(
    changes.map((c) => `${c.class} ${c.pointer}`),
    [
      'breaking /tools/t/inputSchema/properties/filter/properties/tags/items/enum',
      'breaking /tools/t/inputSchema/properties/filter/required',
    ],
  );
  assert.match(
    changes[0].message,
    /parameter "filter\.tags\[\]" of the tool "t" no longer accepts the value "y"/,
  );
  assert.match(changes[1].message, /parameter "filter\.tags" of the tool "t" became required/);
});

test('additionalProperties false and tighter bounds break inputs; other keywords are risky', () => {
  assert.deepEqual(
    toolChanges(
      { inputSchema: obj({ a: { type: 'string' } }) },
      { inputSchema: obj({ a: { type: 'string' } }, [], { additionalProperties: false }) },
    ),
    ['breaking /tools/t/inputSchema/additionalProperties'],
  );
  assert.deepEqual(
    toolChanges(
      { inputSchema: obj({ a: { type: 'string' } }, [], { additionalProperties: false }) },
      { inputSchema: obj({ a: { type: 'string' } }) },
    ),
    ['compatible /tools/t/inputSchema/additionalProperties'],
  );
  const n = (schema: Record<string, unknown>) => ({
    inputSchema: obj({ n: { type: 'integer', ...schema } }),
  });
  assert.deepEqual(toolChanges(n({ maximum: 100 }), n({ maximum: 10 })), [
    'breaking /tools/t/inputSchema/properties/n/maximum',
  ]);
  assert.deepEqual(toolChanges(n({ maximum: 10 }), n({})), [
    'compatible /tools/t/inputSchema/properties/n/maximum',
  ]);
  assert.deepEqual(toolChanges(n({}), n({ minimum: 1 })), [
    'breaking /tools/t/inputSchema/properties/n/minimum',
  ]);
  // zod's ±(2^53 − 1) on every integer is no bound.
  assert.deepEqual(
    toolChanges(n({}), n({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })),
    [],
  );
  assert.deepEqual(toolChanges(n({ pattern: '^a' }), n({ pattern: '^b' })), [
    'risky /tools/t/inputSchema/properties/n/pattern',
  ]);
  assert.deepEqual(toolChanges(n({ default: 5 }), n({ default: 50 })), [
    'risky /tools/t/inputSchema/properties/n/default',
  ]);
});

test('annotations: a flipped hint is risky, defaults count (destructiveHint is true unless said)', () => {
  const t = (annotations?: JsonObject) => ({ inputSchema: {}, ...(annotations ? { annotations } : {}) });
  assert.deepEqual(toolChanges(t({ destructiveHint: false }), t({ destructiveHint: true })), [
    'risky /tools/t/annotations/destructiveHint',
  ]);
  assert.deepEqual(toolChanges(t({ destructiveHint: false }), t()), [
    'risky /tools/t/annotations/destructiveHint',
  ]);
  assert.deepEqual(toolChanges(t({ readOnlyHint: true }), t({ readOnlyHint: false })), [
    'risky /tools/t/annotations/readOnlyHint',
  ]);
  // Saying the default out loud changes nothing a client sees.
  assert.deepEqual(toolChanges(t(), t({ destructiveHint: true })), [
    'compatible /tools/t/annotations/destructiveHint',
  ]);
  const [flip] = diffSurfaces(
    surface({ tools: { t: t({ destructiveHint: false }) } }),
    surface({ tools: { t: t({ destructiveHint: true }) } }),
  );
  assert.equal(flip.message, 'destructiveHint of the tool "t" flipped from false to true');
});

test('descriptions: a rewrite is risky, a rewording compatible, by word similarity', () => {
  assert.equal(descriptionSimilarity('Reads a file.', 'reads a FILE'), 1);
  assert.equal(descriptionSimilarity('', ''), 1);
  assert.equal(descriptionSimilarity('a b c d', 'w x y z'), 0);
  assert.equal(descriptionSimilarity('Reads a file from disk', 'Reads a text file from disk'), 1 - 1 / 6);
  const t = (description: string) => ({ description, inputSchema: {} });
  assert.deepEqual(toolChanges(t('Reads a file from disk.'), t('Reads a text file from disk.')), [
    'compatible /tools/t/description',
  ]);
  assert.deepEqual(
    toolChanges(t('Reads a file from disk.'), t('Deletes every file it is given, without asking.')),
    ['risky /tools/t/description'],
  );
  assert.ok(REWORDED_SIMILARITY > 0 && REWORDED_SIMILARITY < 1);
});

test('capabilities, protocol versions and the server: dropped is breaking, a version bump compatible', () => {
  const a = surface({
    capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, logging: {} },
    discover: { supportedVersions: ['2026-07-28', '2025-11-25'], extensions: { 'io.x/tasks': {} } },
  });
  const b = surface({
    server: { name: 'notes', version: '2.0.0' },
    capabilities: { tools: {}, resources: { subscribe: false }, prompts: {} },
    discover: { supportedVersions: ['2026-07-28'] },
  });
  assert.deepEqual(
    diffSurfaces(a, b).map((c) => `${c.class} ${c.pointer}`),
    [
      'breaking /discover/supportedVersions',
      'breaking /discover/extensions/io.x~1tasks',
      'breaking /capabilities/tools/listChanged',
      'breaking /capabilities/resources/subscribe',
      'breaking /capabilities/logging',
      'compatible /server/version',
      'compatible /capabilities/prompts',
    ],
  );
  // Recorded in different eras: server/discover is not compared, and that is said.
  const legacy = surface({
    recordedWith: { era: 'legacy', protocolVersion: '2025-11-25' },
    discover: undefined,
  });
  assert.deepEqual(
    diffSurfaces(surface(), legacy).map((c) => `${c.class} ${c.pointer}`),
    ['compatible /recordedWith/era'],
  );
});

test('prompts, resources and templates: removed breaks, a new required argument breaks', () => {
  const a = surface({
    prompts: {
      review: { arguments: { code: { required: true }, lang: { required: false } } },
      old: { arguments: {} },
    },
    resources: { 'file:///a': { name: 'a', mimeType: 'text/plain' }, 'file:///b': { name: 'b' } },
    resourceTemplates: { 'notes://{id}': { name: 'note' } },
  });
  const b = surface({
    prompts: {
      review: { arguments: { code: { required: true }, lang: { required: true }, tone: { required: true } } },
    },
    resources: { 'file:///a': { name: 'a', mimeType: 'text/markdown' }, 'file:///c': { name: 'c' } },
    resourceTemplates: {},
  });
  assert.deepEqual(
    diffSurfaces(a, b).map((c) => `${c.class} ${c.pointer}`),
    [
      'breaking /prompts/review/arguments/lang/required',
      'breaking /prompts/review/arguments/tone',
      'breaking /prompts/old',
      'breaking /resources/file:~1~1~1b',
      'breaking /resourceTemplates/notes:~1~1{id}',
      'risky /resources/file:~1~1~1a/mimeType',
      'compatible /resources/file:~1~1~1c',
    ],
  );
});

test('thresholds: --fail-on picks the changes at or above a class; never picks none', () => {
  const changes: SurfaceChange[] = [
    { class: 'breaking', pointer: '/tools/a', message: 'x' },
    { class: 'risky', pointer: '/tools/b', message: 'y' },
    { class: 'compatible', pointer: '/tools/c', message: 'z' },
  ];
  assert.equal(failingChanges(changes, 'breaking').length, 1);
  assert.equal(failingChanges(changes, 'risky').length, 2);
  assert.equal(failingChanges(changes, 'compatible').length, 3);
  assert.equal(failingChanges(changes, 'never').length, 0);
  assert.ok(atOrAbove('breaking', 'risky') && !atOrAbove('compatible', 'risky'));
  assert.equal(
    renderHuman(changes, 'risky', 'old.json', 'new.json'),
    'breaking    /tools/a  x\nrisky       /tools/b  y\ncompatible  /tools/c  z\nold.json → new.json: 1 breaking, 1 risky, 1 compatible (2 at or above --fail-on risky)\n',
  );
});

test('the file form: sorted keys, fixed top-level order, volatile fields dropped, read back equal', () => {
  const s = surface({
    tools: {
      b: {
        inputSchema: { type: 'object', required: ['z', 'a'], properties: { z: {}, a: {} } },
        annotations: { title: 'B' },
      },
      a: { inputSchema: { type: 'object', _meta: { at: 1 } } as never },
    },
  });
  const text = surfaceText(s);
  assert.deepEqual(Object.keys(JSON.parse(text)), [
    'format',
    'recordedWith',
    'server',
    'discover',
    'capabilities',
    'tools',
    'prompts',
    'resources',
    'resourceTemplates',
  ]);
  assert.ok(text.indexOf('"a": {') < text.indexOf('"b": {'));
  assert.doesNotMatch(text, /_meta/);
  assert.deepEqual(JSON.parse(text).tools.b.inputSchema.required, ['a', 'z']);
  assert.equal(surfaceText(parseSurface(text, 's.json')), text);
  assert.throws(() => parseSurface('{"format":"other"}', 's.json'), /s\.json is not a surface snapshot/);
  assert.throws(() => parseSurface('nope', 's.json'), /s\.json is not JSON/);
  assert.equal(pointer('tools', 'a/b~c'), '/tools/a~1b~0c');
});
