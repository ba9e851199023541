/**
 * Proposes the `expect:` block of a suite test from one observed tool result: assertions worth
 * keeping, exact where a value looks stable and shape-only (type, pattern) where it looks volatile
 * (ids, timestamps, long hex, large counters), plus a latency bound with room for slow runners.
 */
import type { ToolResult } from '../runner/assertions.js';
import type { Expect } from '../runner/suite-schema.js';

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

export interface ObservedCall {
  result: ToolResult;
  latencyMs: number;
  /** The tool's outputSchema from tools/list, if it declares one. */
  outputSchema?: Record<string, unknown>;
}

/** Why each assertion was proposed: shown as YAML comments so a human can judge them. */
export interface Proposal {
  expect: Expect;
  notes: string[];
}

/** Builds the proposed `expect:` block for one observed call. */
export function proposeAssertions(call: ObservedCall): Proposal {
  const { result } = call;
  const expect: Expect = { is_error: result.isError === true };
  const notes: string[] = [];
  const text = joinedText(result);
  const textIsJson = looksLikeJson(text);
  if (text.trim() && !(textIsJson && result.structuredContent)) {
    const firstLine = text.trim().split('\n')[0];
    if (new RegExp(VOLATILE_TEXT.source, 'i').test(firstLine)) {
      expect.text_matches = volatilePattern(firstLine.slice(0, 200));
      notes.push('text_matches: ids, timestamps and long numbers in the text are matched by shape');
    } else {
      expect.text_contains =
        firstLine.length > MAX_EXACT_STRING ? firstLine.slice(0, MAX_EXACT_STRING) : firstLine;
    }
  }
  if (result.structuredContent && typeof result.structuredContent === 'object') {
    const json = jsonAssertions(result.structuredContent);
    if (Object.keys(json).length > 0) expect.json = json;
  }
  if (call.outputSchema && !result.isError && result.structuredContent) {
    expect.output_schema = true;
  }
  expect.max_latency_ms = latencyBound(call.latencyMs);
  notes.push(
    `max_latency_ms: ${Math.round(call.latencyMs)} ms observed; the bound is max(1000, 5x observed), rounded up`,
  );
  return { expect, notes };
}

/** max(1000, 5× observed), rounded up to the next 100 ms. */
export function latencyBound(observedMs: number): number {
  return Math.max(1000, Math.ceil((observedMs * 5) / 100) * 100);
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
function volatilePattern(line: string): string {
  let out = '';
  let last = 0;
  for (const m of line.matchAll(VOLATILE_TEXT)) {
    out += escapeRegex(line.slice(last, m.index));
    const v = m[0];
    out += UUID.test(v)
      ? '[0-9a-fA-F-]{36}'
      : /^\d{4}-\d{2}-\d{2}/.test(v)
        ? '\\d{4}-\\d{2}-\\d{2}\\S*'
        : /^\d+$/.test(v)
          ? '\\d+'
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
