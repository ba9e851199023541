/**
 * Checks a tool result against a test's `expect:` block. Each failed assertion becomes one
 * readable line naming the assertion, the expectation and what the server answered.
 */
import { evaluateJsonPath } from './json-path.js';
import { schemaMismatch } from './result-schema.js';
import { checkOutputSchema } from './schema-checks.js';
import { type ContentMatch, type Expect, JSON_OPS, type JsonOps } from './suite-schema.js';
import type { AssertionFailure, ToolResult } from './result-types.js';

export type { AssertionFailure, ToolResult } from './result-types.js';

/** The parts of an MCP `CallToolResult` the assertions look at. */

export interface AssertionInput {
  result: ToolResult;
  latencyMs: number;
  /** The tool's `outputSchema` from tools/list, when it has one. */
  outputSchema?: Record<string, unknown>;
  /** False when tools/list does not list the tool at all. */
  toolListed: boolean;
  /** The schemas of `schema: FILE`, by the path as written (LoadedSuite.schemaFiles). */
  schemaFiles?: ReadonlyMap<string, Record<string, unknown>>;
}

const MAX_SHOWN = 200;

/** A short JSON rendering of an answered value for failure messages. */
export function show(value: unknown): string {
  const s = value === undefined ? 'undefined' : JSON.stringify(value);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
}

export function resultText(result: ToolResult): string {
  return (result.content ?? [])
    .filter((c) => c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text)
    .join('\n');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as any)[k], (b as any)[k]))
  );
}

function isOps(v: unknown): v is JsonOps {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.keys(v).length > 0 &&
    Object.keys(v).every((k) => (JSON_OPS as readonly string[]).includes(k))
  );
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Failure messages of one JSON path's operators (empty when all hold). */
export function checkOps(found: boolean, value: unknown, ops: JsonOps): string[] {
  const out: string[] = [];
  if (ops.exists !== undefined) {
    if (ops.exists !== found)
      out.push(ops.exists ? 'expected the path to exist' : `expected no value, got ${show(value)}`);
    if (!found || Object.keys(ops).length === 1) return out;
  }
  if (!found) return ['no value at this path'];
  if ('eq' in ops && !deepEqual(value, ops.eq)) out.push(`expected ${show(ops.eq)}, got ${show(value)}`);
  if ('ne' in ops && deepEqual(value, ops.ne)) out.push(`expected anything but ${show(ops.ne)}`);
  const numeric: Array<[keyof JsonOps, string, (a: number, b: number) => boolean]> = [
    ['gt', '>', (a, b) => a > b],
    ['gte', '>=', (a, b) => a >= b],
    ['lt', '<', (a, b) => a < b],
    ['lte', '<=', (a, b) => a <= b],
  ];
  for (const [op, sym, cmp] of numeric) {
    const bound = ops[op] as number | undefined;
    if (bound === undefined) continue;
    if (typeof value !== 'number') out.push(`expected a number ${sym} ${bound}, got ${show(value)}`);
    else if (!cmp(value, bound)) out.push(`expected ${sym} ${bound}, got ${value}`);
  }
  if ('contains' in ops) {
    const ok =
      typeof value === 'string'
        ? typeof ops.contains === 'string' && value.includes(ops.contains)
        : Array.isArray(value) && value.some((v) => deepEqual(v, ops.contains));
    if (!ok) out.push(`expected to contain ${show(ops.contains)}, got ${show(value)}`);
  }
  if (ops.matches !== undefined && (typeof value !== 'string' || !new RegExp(ops.matches).test(value))) {
    out.push(`expected to match /${ops.matches}/, got ${show(value)}`);
  }
  if (ops.type !== undefined && typeName(value) !== ops.type) {
    out.push(`expected type ${ops.type}, got ${typeName(value)}`);
  }
  if (ops.length !== undefined) {
    const len = typeof value === 'string' || Array.isArray(value) ? value.length : undefined;
    if (len !== ops.length)
      out.push(`expected length ${ops.length}, got ${len === undefined ? typeName(value) : len}`);
  }
  return out;
}

/** What a content matcher sees of one content item: its type, MIME type and size in bytes. */
export function describeContent(item: { type: string; [k: string]: unknown }): {
  type: string;
  mimeType?: string;
  bytes?: number;
} {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const base64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').length : undefined);
  const text = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : undefined);
  switch (item.type) {
    case 'image':
    case 'audio':
      return { type: item.type, mimeType: str(item.mimeType), bytes: base64(item.data) };
    case 'blob':
      return { type: 'blob', mimeType: str(item.mimeType), bytes: base64(item.blob) };
    case 'text':
      return { type: 'text', mimeType: str(item.mimeType), bytes: text(item.text) };
    case 'resource_link':
      return {
        type: 'resource_link',
        mimeType: str(item.mimeType),
        bytes: typeof item.size === 'number' ? item.size : undefined,
      };
    case 'resource': {
      const r = (item.resource ?? {}) as Record<string, unknown>;
      return { type: 'resource', mimeType: str(r.mimeType), bytes: base64(r.blob) ?? text(r.text) };
    }
    default:
      return { type: item.type };
  }
}

/** Why `item` does not match `m` (null when it does). */
function contentMismatch(m: ContentMatch, item: ReturnType<typeof describeContent>): string | null {
  if (m.type !== undefined && item.type !== m.type) return `type ${item.type}`;
  if (m.mime_type !== undefined) {
    const ok = m.mime_type.endsWith('/*')
      ? item.mimeType?.startsWith(m.mime_type.slice(0, -1)) === true
      : item.mimeType?.toLowerCase() === m.mime_type.toLowerCase();
    if (!ok) return `${item.type} ${item.mimeType ?? 'with no MIME type'}`;
  }
  if (m.min_bytes !== undefined || m.max_bytes !== undefined) {
    if (item.bytes === undefined) return `${item.type} of unknown size`;
    if (m.min_bytes !== undefined && item.bytes < m.min_bytes) return `${item.type} of ${item.bytes} bytes`;
    if (m.max_bytes !== undefined && item.bytes > m.max_bytes) return `${item.type} of ${item.bytes} bytes`;
  }
  return null;
}

function showMatcher(m: ContentMatch): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** Failures of `content` and `content_count` against the result's content items. */
function checkContent(e: Expect, result: ToolResult): AssertionFailure[] {
  const items = (result.content ?? []).map(describeContent);
  const failures: AssertionFailure[] = [];
  if (e.content_count !== undefined && items.length !== e.content_count) {
    failures.push({
      assertion: 'content_count',
      message: `expected ${e.content_count} content item(s), got ${items.length}`,
    });
  }
  if (e.content === undefined) return failures;
  for (const m of Array.isArray(e.content) ? e.content : [e.content]) {
    const misses = items.map((item) => contentMismatch(m, item));
    if (misses.some((miss) => miss === null)) continue;
    failures.push({
      assertion: 'content',
      message: `expected a content item with ${showMatcher(m)}, got ${items.length ? misses.join('; ') : 'no content'}`,
    });
  }
  return failures;
}

/**
 * `schema:` against the structuredContent, or (a result without it) the JSON of its text, as
 * `json:` reads it. A file's schema comes in `input.schemaFiles`, loaded with the suite.
 */
function checkSchema(
  schema: string | Record<string, unknown>,
  input: AssertionInput,
  text: string,
): AssertionFailure[] {
  const fail = (message: string) => [{ assertion: 'schema', message }];
  const resolved = typeof schema === 'string' ? input.schemaFiles?.get(schema) : schema;
  if (resolved === undefined) return fail(`the schema file ${schema} was not loaded with the suite`);
  let value: unknown = input.result.structuredContent;
  let what = 'structuredContent';
  if (value === undefined) {
    try {
      value = JSON.parse(text);
      what = 'the JSON text';
    } catch {
      return fail(`the result has no structuredContent and its text is not JSON: ${show(text)}`);
    }
  }
  const why = schemaMismatch(resolved, value);
  return why === null
    ? []
    : fail(`${what} does not match ${typeof schema === 'string' ? schema : 'the schema'}: ${why}`);
}

/** `content_type:`: every content item is of one of the types, and there is at least one. */
function checkContentType(e: Expect, result: ToolResult): AssertionFailure[] {
  if (e.content_type === undefined) return [];
  const want = [e.content_type].flat() as string[];
  const items = result.content ?? [];
  const shown = want.join(' or ');
  if (items.length === 0)
    return [{ assertion: 'content_type', message: `expected ${shown} content, got no content` }];
  const others = items.map((c, i) => ({ i, type: c.type })).filter((c) => !want.includes(c.type));
  if (others.length === 0) return [];
  return [
    {
      assertion: 'content_type',
      message: `expected every content item to be ${shown}, got ${others.map((o) => `${o.type} (item ${o.i})`).join(', ')}`,
    },
  ];
}

/**
 * Every failed assertion of `expect` against a tool result. Without `is_error` in `expect`, a
 * result with `isError: true` fails (a test expects success unless it says otherwise).
 */
export function checkExpectations(expect: Expect | undefined, input: AssertionInput): AssertionFailure[] {
  const e = expect ?? {};
  const { result } = input;
  const failures: AssertionFailure[] = [];
  const text = resultText(result);
  const isError = result.isError === true;
  const wantError = e.is_error ?? false;
  if (isError !== wantError) {
    failures.push({
      assertion: 'is_error',
      message: wantError
        ? `expected a tool error, got a success: ${show(text)}`
        : `expected success, the tool answered an error: ${show(text)}`,
    });
  }
  if (e.text_contains !== undefined) {
    for (const needle of Array.isArray(e.text_contains) ? e.text_contains : [e.text_contains]) {
      if (!text.includes(needle)) {
        failures.push({
          assertion: 'text_contains',
          message: `expected text to contain ${show(needle)}, got ${show(text)}`,
        });
      }
    }
  }
  if (e.text_matches !== undefined && !new RegExp(e.text_matches).test(text)) {
    failures.push({
      assertion: 'text_matches',
      message: `expected text to match /${e.text_matches}/, got ${show(text)}`,
    });
  }
  if (e.json !== undefined) {
    let root: unknown = result.structuredContent;
    let rootOk = root !== undefined;
    if (!rootOk) {
      try {
        root = JSON.parse(text);
        rootOk = true;
      } catch {
        failures.push({
          assertion: 'json',
          message: `the result has no structuredContent and its text is not JSON: ${show(text)}`,
        });
      }
    }
    if (rootOk) {
      for (const [jp, expected] of Object.entries(e.json)) {
        let found: { found: boolean; value?: unknown };
        try {
          found = evaluateJsonPath(root, jp);
        } catch (err) {
          failures.push({ assertion: `json ${jp}`, message: (err as Error).message });
          continue;
        }
        const problems = isOps(expected)
          ? checkOps(found.found, found.value, expected)
          : !found.found
            ? [`no value at this path in ${show(root)}`]
            : deepEqual(found.value, expected)
              ? []
              : [`expected ${show(expected)}, got ${show(found.value)}`];
        for (const message of problems) failures.push({ assertion: `json ${jp}`, message });
      }
    }
  }
  if (e.output_schema) {
    const info = input.toolListed ? { outputSchema: input.outputSchema } : undefined;
    failures.push(...checkOutputSchema(info, result, true));
  }
  if (e.schema !== undefined) failures.push(...checkSchema(e.schema, input, text));
  failures.push(...checkContent(e, result));
  failures.push(...checkContentType(e, result));
  if (e.max_latency_ms !== undefined && input.latencyMs > e.max_latency_ms) {
    failures.push({
      assertion: 'max_latency_ms',
      message: `answered in ${Math.round(input.latencyMs)} ms, more than ${e.max_latency_ms} ms`,
    });
  }
  return failures;
}
