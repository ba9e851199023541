/**
 * Sanitizers of result snapshots: what varies from run to run becomes a placeholder before a
 * result is compared with (or written to) its snapshot. The user's JSON-pointer sanitizers run
 * first, then their regexes over every string value, then the built-ins: JWTs, UUIDs,
 * RFC 3339 / ISO 8601 date-times, and epoch milliseconds (a number, or 13 digits in a string,
 * between the years 2000 and 2100).
 */
import type { Sanitizer } from './suite-schema.js';

/** What a sanitized value becomes unless the sanitizer says otherwise. */
export const SANITIZED = '<SANITIZED>';

const EPOCH_MS_MIN = Date.UTC(2000, 0, 1);
const EPOCH_MS_MAX = Date.UTC(2100, 0, 1);
const isEpochMs = (n: number) => Number.isInteger(n) && n >= EPOCH_MS_MIN && n < EPOCH_MS_MAX;

/** The built-in string sanitizers, in order (a JWT first: its parts could look like anything). */
export const BUILTIN_SANITIZERS: ReadonlyArray<{ name: string; pattern: RegExp; replace: string }> = [
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, replace: '<JWT>' },
  {
    name: 'uuid',
    pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
    replace: '<UUID>',
  },
  {
    name: 'timestamp',
    pattern: /\b\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?/g,
    replace: '<TIMESTAMP>',
  },
];

const EPOCH_IN_TEXT = /(?<![\d.])\d{13}(?![\d.])/g;

interface CompiledSanitizers {
  pointers: Array<{ segments: string[]; replace: unknown }>;
  patterns: Array<{ pattern: RegExp; replace: string }>;
}

/** A JSON pointer's segments, unescaped (RFC 6901 §4). */
function segments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function compile(list: readonly Sanitizer[]): CompiledSanitizers {
  const out: CompiledSanitizers = { pointers: [], patterns: [] };
  for (const s of list) {
    if ('pointer' in s) out.pointers.push({ segments: segments(s.pointer), replace: s.replace ?? SANITIZED });
    else
      out.patterns.push({
        pattern: new RegExp(s.pattern, `g${s.flags ?? ''}`),
        replace: s.replace ?? SANITIZED,
      });
  }
  return out;
}

/** Replaces what `segs` points at (a `*` segment: every key or index) inside `node`. */
function replaceAt(node: unknown, segs: string[], replace: unknown): unknown {
  if (segs.length === 0) return replace;
  if (typeof node !== 'object' || node === null) return node;
  const [head, ...rest] = segs;
  if (Array.isArray(node)) {
    return node.map((v, i) => (head === '*' || head === String(i) ? replaceAt(v, rest, replace) : v));
  }
  const obj = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj))
    out[k] = head === '*' || head === k ? replaceAt(v, rest, replace) : v;
  return out;
}

function sanitizeString(s: string, patterns: CompiledSanitizers['patterns']): string {
  let out = s;
  for (const p of patterns) out = out.replace(p.pattern, p.replace);
  for (const b of BUILTIN_SANITIZERS) out = out.replace(b.pattern, b.replace);
  return out.replace(EPOCH_IN_TEXT, (digits) => (isEpochMs(Number(digits)) ? '<EPOCH_MS>' : digits));
}

function walk(node: unknown, patterns: CompiledSanitizers['patterns']): unknown {
  if (typeof node === 'string') return sanitizeString(node, patterns);
  if (typeof node === 'number') return isEpochMs(node) ? '<EPOCH_MS>' : node;
  if (Array.isArray(node)) return node.map((v) => walk(v, patterns));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, patterns)]));
  }
  return node;
}

/** `doc` with every sanitizer applied (a new value; `doc` is left as it was). */
export function sanitize(doc: unknown, list: readonly Sanitizer[]): unknown {
  const c = compile(list);
  let out = doc;
  for (const p of c.pointers) out = replaceAt(out, p.segments, p.replace);
  return walk(out, c.patterns);
}
