/**
 * Proposes the `expect:` block of a suite test from several observed results of the same call:
 * only assertions that held on every one of them, exact where a value was the same each time and
 * looks stable, shape-only (type, pattern) where it varied or looks volatile (ids, timestamps, long
 * hex, large counters). No latency bound: how long a call takes says more about the machine than
 * about the server, and a bound a loaded CI runner breaks makes the suite fail on rerun.
 */
import { checkExpectations, deepEqual, type ToolResult } from '../runner/assertions.js';
import type { Expect } from '../runner/suite-schema.js';

/** How many times scaffolding makes each call: what changes between them is not asserted exactly. */
export const SAMPLE_CALLS = 3;

/** At most this many JSON paths are proposed; the first ones found breadth-first win. */
const MAX_PATHS = 12;
const MAX_EXACT_STRING = 80;

const VOLATILE_KEY =
  /(^|_|-)(id|uuid|guid|nonce|token|etag|hash|digest|seq|version|timestamp|time|date|at|created|updated|modified|expires?|elapsed|duration|latency|ms|random|session|cursor|count|total)$/i;
/** camelCase suffixes (case-sensitive, so `format` is not read as `…At`). */
const VOLATILE_CAMEL = /[a-z](Id|At|Time|Date|Ms|Uuid|Token|Count|Version)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
/** Pieces of text that change from call to call, for `text_matches`. */
const VOLATILE_TEXT =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?|\b[0-9a-f]{16,}\b|\d{5,}/gi;
/** Any number in a text, for a line whose numbers changed between calls. */
const ANY_NUMBER = /-?\d+(?:\.\d+)?/g;

export interface ObservedCalls {
  /** The answers to the same call, made one after another (at least one). */
  results: ToolResult[];
  /** The tool's outputSchema from tools/list, if it declares one. */
  outputSchema?: Record<string, unknown>;
}

/** Why each assertion was proposed: shown as YAML comments so a human can judge them. */
export interface Proposal {
  expect: Expect;
  notes: string[];
}

/** Builds the proposed `expect:` block from the observed answers to one call. */
export function proposeAssertions(call: ObservedCalls): Proposal {
  const { results } = call;
  const first = results[0];
  const expect: Expect = { is_error: first.isError === true };
  const notes: string[] = [];
  const lines = results.map((r) => joinedText(r).trim().split('\n')[0]);
  const text = joinedText(first);
  if (results.some((r) => (r.isError === true) !== (first.isError === true))) {
    notes.push(
      'the calls did not agree on is_error: the tool errs on some calls only, so this test will be flaky',
    );
  }
  if (first.isError === true) {
    notes.push(
      'the call answered a tool error: its text is not asserted (add text_contains by hand if this error is the behaviour under test)',
    );
  } else if (text.trim() && !(looksLikeJson(text) && first.structuredContent)) {
    const proposed = textAssertion(lines);
    Object.assign(expect, proposed.expect);
    if (proposed.note) notes.push(proposed.note);
  }
  if (results.every((r) => r.structuredContent && typeof r.structuredContent === 'object')) {
    const json = mergeJson(
      results.map((r) => jsonAssertions(r.structuredContent as Record<string, unknown>)),
    );
    if (Object.keys(json).length > 0) expect.json = json;
    if (results.length > 1) {
      notes.push(`json: exact only where all ${results.length} calls answered the same value`);
    }
  }
  if (call.outputSchema && !first.isError && first.structuredContent) {
    expect.output_schema = true;
  }
  // Whatever did not hold on every observed answer is dropped (a last check, with the runner's own
  // assertions, that the suite passes the calls it was made from).
  for (const r of results) {
    for (const f of checkExpectations(expect, {
      result: r,
      latencyMs: 0,
      outputSchema: call.outputSchema,
      toolListed: true,
    })) {
      if (f.assertion.startsWith('json ') && expect.json) delete expect.json[f.assertion.slice(5)];
      else if (f.assertion !== 'is_error') delete (expect as Record<string, unknown>)[f.assertion];
    }
  }
  if (expect.json && Object.keys(expect.json).length === 0) delete expect.json;
  notes.push(
    'no max_latency_ms: a time bound fails on a loaded machine; add a generous one by hand if latency is part of the contract',
  );
  return { expect, notes };
}

/** `text_contains` when the first line was the same every time, a pattern when only its numbers or ids changed. */
function textAssertion(lines: string[]): { expect: Expect; note?: string } {
  const line = lines[0];
  const same = lines.every((l) => l === line);
  if (same && !new RegExp(VOLATILE_TEXT.source, 'i').test(line)) {
    return {
      expect: { text_contains: line.length > MAX_EXACT_STRING ? line.slice(0, MAX_EXACT_STRING) : line },
    };
  }
  const shape = volatilePattern(line.slice(0, 200), same ? VOLATILE_TEXT : combined());
  if (lines.every((l) => new RegExp(shape).test(l))) {
    return {
      expect: { text_matches: shape },
      note: same
        ? 'text_matches: ids, timestamps and long numbers in the text are matched by shape'
        : 'text_matches: the numbers in the text changed between calls, so they are matched by shape',
    };
  }
  return { expect: {}, note: 'no text assertion: the text changed between calls' };
}

function combined(): RegExp {
  return new RegExp(`${VOLATILE_TEXT.source}|${ANY_NUMBER.source}`, 'gi');
}

/**
 * One assertion per path that every answer has: the exact value if all were equal, else the
 * common type (a pattern dropped) when they share one; paths that were not always there are left out.
 */
function mergeJson(all: Array<Record<string, unknown>>): Record<string, unknown> {
  const [first, ...rest] = all;
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(first)) {
    if (!rest.every((r) => Object.hasOwn(r, path))) continue;
    const others = rest.map((r) => r[path]);
    if (others.every((o) => deepEqual(o, value))) {
      out[path] = value;
      continue;
    }
    const types = new Set([value, ...others].map(assertedType));
    if (types.size === 1) out[path] = { type: [...types][0] };
  }
  return out;
}

/** The JSON type an assertion of `jsonAssertions` stands for. */
function assertedType(a: unknown): string {
  if (a !== null && typeof a === 'object' && !Array.isArray(a) && 'type' in a) return String(a.type);
  return jsonType(a);
}

function joinedText(result: ToolResult): string {
  return (result.content ?? [])
    .filter((c) => c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text as string)
    .join('\n');
}

function looksLikeJson(text: string): boolean {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The line as an anchored regex whose volatile parts are replaced by their shape. */
function volatilePattern(line: string, pieces: RegExp): string {
  let out = '';
  let last = 0;
  for (const m of line.matchAll(pieces)) {
    out += escapeRegex(line.slice(last, m.index));
    const v = m[0];
    out += UUID.test(v)
      ? '[0-9a-fA-F-]{36}'
      : /^\d{4}-\d{2}-\d{2}/.test(v)
        ? '\\d{4}-\\d{2}-\\d{2}\\S*'
        : /^-?\d+(\.\d+)?$/.test(v)
          ? '-?\\d+(?:\\.\\d+)?'
          : '[0-9a-fA-F]+';
    last = (m.index ?? 0) + v.length;
  }
  out += escapeRegex(line.slice(last));
  return `^${out}`;
}

function pathFor(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/'/g, '')}']`;
}

function jsonType(v: unknown): 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as 'string' | 'number' | 'boolean' | 'object';
}

/** Breadth-first over structuredContent: exact values where stable, type and shape where not. */
function jsonAssertions(root: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const queue: Array<{ path: string; key: string; value: unknown; depth: number }> = Object.entries(root).map(
    ([key, value]) => ({ path: pathFor('$', key), key, value, depth: 1 }),
  );
  while (queue.length > 0 && Object.keys(out).length < MAX_PATHS) {
    const { path, key, value, depth } = queue.shift()!;
    const type = jsonType(value);
    if (type === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (depth >= 3 || entries.length === 0) out[path] = { type: 'object' };
      else
        for (const [k, v] of entries)
          queue.push({ path: pathFor(path, k), key: k, value: v, depth: depth + 1 });
      continue;
    }
    if (type === 'array') {
      // Lengths and elements of lists usually change with data: assert the shape only.
      out[path] = { type: 'array' };
      continue;
    }
    const volatileKey = VOLATILE_KEY.test(key) || VOLATILE_CAMEL.test(key);
    if (type === 'string') {
      const s = value as string;
      if (UUID.test(s)) out[path] = { type: 'string', matches: '^[0-9a-fA-F-]{36}$' };
      else if (ISO_DATE.test(s)) out[path] = { type: 'string', matches: '^\\d{4}-\\d{2}-\\d{2}' };
      else if (volatileKey || LONG_HEX.test(s) || s.length > MAX_EXACT_STRING) out[path] = { type: 'string' };
      else out[path] = s;
    } else if (type === 'number') {
      const n = value as number;
      out[path] = volatileKey || Math.abs(n) >= 10_000 ? { type: 'number' } : n;
    } else {
      out[path] = value; // booleans and null are stable by nature
    }
  }
  return out;
}
