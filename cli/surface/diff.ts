/**
 * The semantic diff of two surfaces (format.ts): every change, classified and named by its JSON
 * pointer (RFC 6901) into the surface files, with one plain-words message. Pure: no IO, so it is
 * tested on documents alone.
 *
 * - **breaking**: what a client written against the old surface may now fail on: a tool, prompt,
 *   resource or template removed (or renamed), a capability or protocol version dropped, a
 *   parameter removed or becoming required, an input type narrowed, an enum value no longer
 *   accepted, an input bound tightened, `additionalProperties: false` set, an `outputSchema` or an
 *   output property removed, an output type widened.
 * - **risky**: what may change behaviour without failing a call: a description changed a lot
 *   ({@link descriptionSimilarity} below {@link REWORDED_SIMILARITY}), a behaviour hint
 *   (`readOnlyHint`, `destructiveHint`, `idempotentHint`, `openWorldHint`) flipped, an output
 *   property no longer always present, new output enum values, a default changed, a schema
 *   keyword mcptest does not reason about (`pattern`, `anyOf`, `$ref`, …) changed.
 * - **compatible**: the rest: new tools and optional parameters, widened inputs, narrowed
 *   outputs, descriptions reworded, a server version bump.
 *
 * Input schemas are read as what the server accepts (narrowing breaks callers), output schemas
 * as what it promises (widening breaks readers).
 */
import { canonical, pointer, type Surface, type SurfaceResource } from './format.js';

export type ChangeClass = 'breaking' | 'risky' | 'compatible';

/** The classes from the most to the least severe. */
export const CHANGE_CLASSES: readonly ChangeClass[] = ['breaking', 'risky', 'compatible'];

export interface SurfaceChange {
  class: ChangeClass;
  /** Where the change is, in both files (RFC 6901), e.g. `/tools/echo/inputSchema/required`. */
  pointer: string;
  /** One line in plain words. */
  message: string;
}

/** A description whose {@link descriptionSimilarity} to the old one is below this changed "a lot". */
export const REWORDED_SIMILARITY = 0.5;

/** True when `c` is at least as severe as `threshold`. */
export function atOrAbove(c: ChangeClass, threshold: ChangeClass): boolean {
  return CHANGE_CLASSES.indexOf(c) <= CHANGE_CLASSES.indexOf(threshold);
}

/**
 * How alike two descriptions are, from 0 to 1: one minus the word-level edit distance
 * (Levenshtein over lower-cased words, punctuation ignored) divided by the longer word count.
 * Equal texts give 1, texts with no word in place give 0; an added sentence to a long description
 * keeps it high, a rewrite brings it low.
 */
export function descriptionSimilarity(a: string, b: string): number {
  const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  const x = words(a);
  const y = words(b);
  const longest = Math.max(x.length, y.length);
  if (longest === 0) return 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return 1 - prev[y.length] / longest;
}

type Schema = Record<string, unknown>;
type Direction = 'input' | 'output';

/** Collects changes; `push` keeps them in document order, {@link diffSurfaces} sorts by class. */
class Changes {
  readonly list: SurfaceChange[] = [];
  push(cls: ChangeClass, at: string, message: string): void {
    this.list.push({ class: cls, pointer: at, message });
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** A value quoted for a message, cut short. */
function show(v: unknown): string {
  const text = JSON.stringify(v) ?? 'nothing';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const isObject = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every change from `old` to `next`: breaking first, then risky, then compatible, each in document order. */
export function diffSurfaces(old: Surface, next: Surface): SurfaceChange[] {
  const out = new Changes();
  diffServer(old, next, out);
  diffCapabilities(old.capabilities, next.capabilities, pointer('capabilities'), out);
  diffTools(old, next, out);
  diffPrompts(old, next, out);
  diffResources(old.resources, next.resources, 'resources', 'resource', out);
  diffResources(old.resourceTemplates, next.resourceTemplates, 'resourceTemplates', 'resource template', out);
  return CHANGE_CLASSES.flatMap((c) => out.list.filter((ch) => ch.class === c));
}

function diffServer(old: Surface, next: Surface, out: Changes): void {
  const [a, b] = [old.server, next.server];
  if (a.name !== b.name)
    out.push(
      'risky',
      pointer('server', 'name'),
      `the server's name changed from ${show(a.name)} to ${show(b.name)}`,
    );
  if (a.version !== b.version)
    out.push(
      'compatible',
      pointer('server', 'version'),
      `the server's version changed from ${show(a.version)} to ${show(b.version)}`,
    );
  if (a.title !== b.title)
    out.push(
      'compatible',
      pointer('server', 'title'),
      `the server's title changed from ${show(a.title)} to ${show(b.title)}`,
    );
  const [ra, rb] = [old.recordedWith, next.recordedWith];
  if (ra.era !== rb.era) {
    out.push(
      'compatible',
      pointer('recordedWith', 'era'),
      `recorded in the ${ra.era} era (${ra.protocolVersion ?? 'version unknown'}) before, the ${rb.era} era (${rb.protocolVersion ?? 'version unknown'}) now: server/discover not compared`,
    );
    return;
  }
  if (ra.protocolVersion !== rb.protocolVersion)
    out.push(
      'compatible',
      pointer('recordedWith', 'protocolVersion'),
      `recorded at protocol ${show(ra.protocolVersion)} before, ${show(rb.protocolVersion)} now`,
    );
  const [da, db] = [old.discover, next.discover];
  if (!da || !db) return;
  for (const v of da.supportedVersions)
    if (!db.supportedVersions.includes(v))
      out.push(
        'breaking',
        pointer('discover', 'supportedVersions'),
        `server/discover no longer offers protocol ${v}`,
      );
  for (const v of db.supportedVersions)
    if (!da.supportedVersions.includes(v))
      out.push(
        'compatible',
        pointer('discover', 'supportedVersions'),
        `server/discover now offers protocol ${v}`,
      );
  const [ea, eb] = [da.extensions ?? {}, db.extensions ?? {}];
  for (const k of Object.keys(ea)) {
    const at = pointer('discover', 'extensions', k);
    if (!(k in eb)) out.push('breaking', at, `the extension ${show(k)} is no longer offered`);
    else if (!same(ea[k], eb[k])) out.push('risky', at, `the settings of the extension ${show(k)} changed`);
  }
  for (const k of Object.keys(eb))
    if (!(k in ea)) out.push('compatible', pointer('discover', 'extensions', k), `new extension ${show(k)}`);
  if ((da.instructions ?? '') !== (db.instructions ?? ''))
    out.push('compatible', pointer('discover', 'instructions'), "the server's instructions changed");
}

/** Capabilities, key by key: anything dropped (or turned false) is breaking. */
function diffCapabilities(a: Schema, b: Schema, at: string, out: Changes): void {
  for (const k of Object.keys(a)) {
    const here = `${at}${pointer(k)}`;
    const name = here.replace(/^\/capabilities\//, '').replace(/\//g, '.');
    if (!(k in b) || (a[k] !== false && b[k] === false)) {
      out.push('breaking', here, `the capability ${name} was dropped`);
    } else if (isObject(a[k]) && isObject(b[k])) {
      diffCapabilities(a[k] as Schema, b[k] as Schema, here, out);
    } else if (!same(a[k], b[k])) {
      out.push('risky', here, `the capability ${name} changed from ${show(a[k])} to ${show(b[k])}`);
    }
  }
  for (const k of Object.keys(b)) {
    const here = `${at}${pointer(k)}`;
    if (!(k in a))
      out.push(
        'compatible',
        here,
        `new capability ${here.replace(/^\/capabilities\//, '').replace(/\//g, '.')}`,
      );
  }
}

/** A description change: risky when it changed a lot, compatible otherwise. */
function diffDescription(
  a: string | undefined,
  b: string | undefined,
  at: string,
  what: string,
  out: Changes,
): void {
  if ((a ?? '') === (b ?? '')) return;
  if (!a) {
    out.push('compatible', at, `${what} now has a description`);
    return;
  }
  const sim = descriptionSimilarity(a, b ?? '');
  const score = sim.toFixed(2);
  if (sim < REWORDED_SIMILARITY)
    out.push(
      'risky',
      at,
      `the description of ${what} changed a lot (similarity ${score}); agents choose tools by it`,
    );
  else out.push('compatible', at, `the description of ${what} was reworded (similarity ${score})`);
}

/** The behaviour hints of tool annotations and what they mean when absent (MCP spec, "Tool annotations"). */
const HINT_DEFAULTS: Record<string, boolean> = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};

/** A removed item's likely new name: an added one with the same non-empty input (or description). */
function renamedTo(
  oldItem: { description?: string; inputSchema?: unknown },
  added: Array<[string, { description?: string; inputSchema?: unknown }]>,
): string | undefined {
  const props = (s: unknown) =>
    isObject(s) && isObject(s.properties) ? Object.keys(s.properties).length : 0;
  return added.find(([, n]) => {
    const sameInput = props(oldItem.inputSchema) > 0 && same(oldItem.inputSchema, n.inputSchema);
    const sameText = Boolean(oldItem.description) && oldItem.description === n.description;
    return (
      sameText ||
      (sameInput &&
        descriptionSimilarity(oldItem.description ?? '', n.description ?? '') >= REWORDED_SIMILARITY)
    );
  })?.[0];
}

function diffTools(old: Surface, next: Surface, out: Changes): void {
  const added = Object.entries(next.tools).filter(([n]) => !(n in old.tools));
  for (const [name, a] of Object.entries(old.tools)) {
    const at = pointer('tools', name);
    const b = next.tools[name];
    if (!b) {
      const to = renamedTo(a, added);
      out.push('breaking', at, `the tool ${show(name)} was removed${to ? ` (renamed to ${show(to)}?)` : ''}`);
      continue;
    }
    const what = `the tool ${show(name)}`;
    if (a.title !== b.title)
      out.push(
        'compatible',
        `${at}/title`,
        `the title of ${what} changed from ${show(a.title)} to ${show(b.title)}`,
      );
    diffDescription(a.description, b.description, `${at}/description`, what, out);
    diffSchema(a.inputSchema ?? {}, b.inputSchema ?? {}, `${at}/inputSchema`, 'input', '', what, out);
    if (a.outputSchema && !b.outputSchema)
      out.push('breaking', `${at}/outputSchema`, `${what} no longer declares an outputSchema`);
    else if (!a.outputSchema && b.outputSchema)
      out.push('compatible', `${at}/outputSchema`, `${what} now declares an outputSchema`);
    else if (a.outputSchema && b.outputSchema)
      diffSchema(a.outputSchema, b.outputSchema, `${at}/outputSchema`, 'output', '', what, out);
    diffAnnotations(a.annotations ?? {}, b.annotations ?? {}, `${at}/annotations`, what, out);
    if (!same(a.execution, b.execution))
      out.push(
        'risky',
        `${at}/execution`,
        `how ${what} runs changed from ${show(a.execution)} to ${show(b.execution)}`,
      );
  }
  for (const [name] of added) out.push('compatible', pointer('tools', name), `new tool ${show(name)}`);
}

function diffAnnotations(a: Schema, b: Schema, at: string, what: string, out: Changes): void {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (same(a[k], b[k])) continue;
    if (k in HINT_DEFAULTS) {
      const was = typeof a[k] === 'boolean' ? a[k] : HINT_DEFAULTS[k];
      const now = typeof b[k] === 'boolean' ? b[k] : HINT_DEFAULTS[k];
      if (was !== now)
        out.push('risky', `${at}${pointer(k)}`, `${k} of ${what} flipped from ${was} to ${now}`);
      else
        out.push(
          'compatible',
          `${at}${pointer(k)}`,
          `${k} of ${what} is now ${b[k] === undefined ? 'left to its default' : 'stated'} (${now}, as before)`,
        );
    } else {
      out.push(
        'compatible',
        `${at}${pointer(k)}`,
        `the annotation ${k} of ${what} changed from ${show(a[k])} to ${show(b[k])}`,
      );
    }
  }
}

/** Keywords diffSchema reasons about; any other keyword that changed is risky. */
const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'description',
  'title',
  'default',
  'examples',
  '$schema',
]);

/** Bounds: a higher lower bound or a lower upper bound is tighter; adding one tightens, removing loosens. */
const LOWER_BOUNDS = new Set(['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']);
const UPPER_BOUNDS = new Set(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']);

const noBound = (v: unknown) =>
  v === Number.MAX_SAFE_INTEGER || v === -Number.MAX_SAFE_INTEGER ? undefined : v;

/** The JSON types a schema allows; null for any. */
function typeSet(s: Schema): string[] | null {
  if (typeof s.type === 'string') return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === 'string');
  return null;
}

/** Does `set` allow the type `t` (a number allows an integer)? */
function allows(set: string[] | null, t: string): boolean {
  return set === null || set.includes(t) || (t === 'integer' && set.includes('number'));
}

const typeText = (set: string[] | null) => (set === null ? 'any type' : set.join(' or '));

/** The values a schema allows when it lists them (`enum`, or `const` as a list of one). */
function valuesOf(s: Schema): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  return undefined;
}

/**
 * Two JSON Schemas of one place: `path` names it in words (`a.b`, `list[]`; empty at the root),
 * `dir` says which way data flows (input: the server accepts it; output: the server returns it).
 */
function diffSchema(
  a: Schema,
  b: Schema,
  at: string,
  dir: Direction,
  path: string,
  tool: string,
  out: Changes,
): void {
  if (same(a, b)) return;
  const input = dir === 'input';
  const where = path
    ? `${input ? 'parameter' : 'output property'} ${show(path)} of ${tool}`
    : `the ${input ? 'input' : 'output'} of ${tool}`;

  // Types.
  const [ta, tb] = [typeSet(a), typeSet(b)];
  const lost = ta === null ? (tb === null ? [] : ['any type']) : ta.filter((t) => !allows(tb, t));
  const gained = tb === null ? (ta === null ? [] : ['any type']) : tb.filter((t) => !allows(ta, t));
  if (lost.length || gained.length) {
    const change = `from ${typeText(ta)} to ${typeText(tb)}`;
    const verb = lost.length && gained.length ? 'changed' : lost.length ? 'narrowed' : 'widened';
    const breaks = input ? lost.length > 0 : gained.length > 0;
    out.push(
      breaks ? 'breaking' : 'compatible',
      `${at}/type`,
      `the type of ${where} ${verb} ${change}${breaks ? (input ? ': callers sending the old type are refused' : ': readers may get a type they do not expect') : ''}`,
    );
  }

  // Listed values (enum, const).
  const [va, vb] = [valuesOf(a), valuesOf(b)];
  const valuesAt = `${at}/${'enum' in b || !('const' in b) ? 'enum' : 'const'}`;
  if (va && vb) {
    for (const v of va)
      if (!vb.some((w) => same(v, w)))
        out.push(
          input ? 'breaking' : 'compatible',
          valuesAt,
          `${where} ${input ? 'no longer accepts' : 'no longer returns'} the value ${show(v)}`,
        );
    for (const v of vb)
      if (!va.some((w) => same(v, w)))
        out.push(
          input ? 'compatible' : 'risky',
          valuesAt,
          `${where} ${input ? 'now accepts' : 'may now return'} the value ${show(v)}`,
        );
  } else if (va && !vb) {
    out.push(
      input ? 'compatible' : 'risky',
      `${at}/${'enum' in a ? 'enum' : 'const'}`,
      `${where} no longer limits its values to ${show(va)}`,
    );
  } else if (!va && vb) {
    out.push(
      input ? 'breaking' : 'compatible',
      valuesAt,
      `${where} now ${input ? 'accepts' : 'returns'} only ${show(vb)}`,
    );
  }

  // Object properties.
  const [pa, pb] = [isObject(a.properties) ? a.properties : {}, isObject(b.properties) ? b.properties : {}];
  const req = (s: Schema) => new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const [ra, rb] = [req(a), req(b)];
  const child = (name: string) => (path ? `${path}.${name}` : name);
  const noun = input ? 'parameter' : 'output property';
  for (const name of Object.keys(pa)) {
    const here = `${at}/properties${pointer(name)}`;
    if (!(name in pb)) {
      out.push('breaking', here, `${noun} ${show(child(name))} of ${tool} was removed`);
    } else if (isObject(pa[name]) && isObject(pb[name])) {
      diffSchema(pa[name] as Schema, pb[name] as Schema, here, dir, child(name), tool, out);
    }
  }
  for (const name of Object.keys(pb)) {
    if (name in pa) continue;
    const here = `${at}/properties${pointer(name)}`;
    if (input && rb.has(name))
      out.push('breaking', here, `new required parameter ${show(child(name))} of ${tool}`);
    else
      out.push(
        'compatible',
        here,
        `new ${input ? 'optional parameter' : 'output property'} ${show(child(name))} of ${tool}`,
      );
  }
  for (const name of new Set([...ra, ...rb])) {
    if (name in pa !== name in pb || ra.has(name) === rb.has(name)) continue;
    const here = `${at}/required`;
    if (rb.has(name))
      out.push(
        input ? 'breaking' : 'compatible',
        here,
        `${noun} ${show(child(name))} of ${tool} became required`,
      );
    else
      out.push(
        input ? 'compatible' : 'risky',
        here,
        input
          ? `parameter ${show(child(name))} of ${tool} became optional`
          : `output property ${show(child(name))} of ${tool} is no longer always present`,
      );
  }

  // additionalProperties: false refuses (input) or rules out (output) what the schema does not name.
  const [xa, xb] = [a.additionalProperties, b.additionalProperties];
  if (!same(xa, xb)) {
    const here = `${at}/additionalProperties`;
    if (isObject(xa) && isObject(xb)) diffSchema(xa, xb, here, dir, child('*'), tool, out);
    else if (xb === false)
      out.push(
        input ? 'breaking' : 'compatible',
        here,
        `${where} ${input ? 'no longer accepts' : 'no longer returns'} properties it does not name`,
      );
    else if (xa === false)
      out.push(
        input ? 'compatible' : 'risky',
        here,
        `${where} ${input ? 'now accepts' : 'may now return'} properties it does not name`,
      );
    else out.push('risky', here, `additionalProperties of ${where} changed from ${show(xa)} to ${show(xb)}`);
  }

  // Array items.
  if (!same(a.items, b.items)) {
    const here = `${at}/items`;
    if (isObject(a.items) && isObject(b.items))
      diffSchema(a.items, b.items, here, dir, `${path || '(list)'}[]`, tool, out);
    else out.push('risky', here, `the items of ${where} changed from ${show(a.items)} to ${show(b.items)}`);
  }

  if (!same(a.default, b.default))
    out.push(
      input ? 'risky' : 'compatible',
      `${at}/default`,
      `the default of ${where} changed from ${show(a.default)} to ${show(b.default)}`,
    );
  if ((a.description ?? '') !== (b.description ?? '') && path)
    out.push('compatible', `${at}/description`, `the description of ${where} changed`);

  // Bounds, then every other keyword.
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (HANDLED.has(k) || same(a[k], b[k])) continue;
    const here = `${at}${pointer(k)}`;
    // ±(2^53 − 1) is what zod writes for every integer: no bound in practice.
    const bound = LOWER_BOUNDS.has(k) || UPPER_BOUNDS.has(k);
    const [x, y] = bound ? [noBound(a[k]), noBound(b[k])] : [a[k], b[k]];
    if (x === undefined && y === undefined) continue;
    if (
      (LOWER_BOUNDS.has(k) || UPPER_BOUNDS.has(k)) &&
      (x === undefined || typeof x === 'number') &&
      (y === undefined || typeof y === 'number')
    ) {
      const tighter = x === undefined || (y !== undefined && (LOWER_BOUNDS.has(k) ? y > x : y < x));
      const cls: ChangeClass = input
        ? tighter
          ? 'breaking'
          : 'compatible'
        : tighter
          ? 'compatible'
          : 'risky';
      out.push(
        cls,
        here,
        `${k} of ${where} ${x === undefined ? `set to ${y}` : y === undefined ? `removed (was ${x})` : `changed from ${x} to ${y}`}`,
      );
    } else {
      out.push('risky', here, `${k} of ${where} changed from ${show(x)} to ${show(y)}; check it by hand`);
    }
  }
}

function diffPrompts(old: Surface, next: Surface, out: Changes): void {
  for (const [name, a] of Object.entries(old.prompts)) {
    const at = pointer('prompts', name);
    const b = next.prompts[name];
    const what = `the prompt ${show(name)}`;
    if (!b) {
      out.push('breaking', at, `${what} was removed`);
      continue;
    }
    if (a.title !== b.title)
      out.push(
        'compatible',
        `${at}/title`,
        `the title of ${what} changed from ${show(a.title)} to ${show(b.title)}`,
      );
    diffDescription(a.description, b.description, `${at}/description`, what, out);
    const [xa, xb] = [a.arguments ?? {}, b.arguments ?? {}];
    for (const [arg, x] of Object.entries(xa)) {
      const here = `${at}/arguments${pointer(arg)}`;
      const y = xb[arg];
      if (!y) out.push('breaking', here, `argument ${show(arg)} of ${what} was removed`);
      else if (!x.required && y.required)
        out.push('breaking', `${here}/required`, `argument ${show(arg)} of ${what} became required`);
      else if (x.required && !y.required)
        out.push('compatible', `${here}/required`, `argument ${show(arg)} of ${what} became optional`);
      if (y && (x.description ?? '') !== (y.description ?? ''))
        out.push(
          'compatible',
          `${here}/description`,
          `the description of argument ${show(arg)} of ${what} changed`,
        );
    }
    for (const [arg, y] of Object.entries(xb)) {
      if (arg in xa) continue;
      out.push(
        y.required ? 'breaking' : 'compatible',
        `${at}/arguments${pointer(arg)}`,
        `new ${y.required ? 'required' : 'optional'} argument ${show(arg)} of ${what}`,
      );
    }
  }
  for (const name of Object.keys(next.prompts))
    if (!(name in old.prompts)) out.push('compatible', pointer('prompts', name), `new prompt ${show(name)}`);
}

function diffResources(
  old: Record<string, SurfaceResource>,
  next: Record<string, SurfaceResource>,
  key: 'resources' | 'resourceTemplates',
  noun: string,
  out: Changes,
): void {
  for (const [uri, a] of Object.entries(old)) {
    const at = pointer(key, uri);
    const b = next[uri];
    const what = `the ${noun} ${show(uri)}`;
    if (!b) {
      out.push('breaking', at, `${what} is no longer listed`);
      continue;
    }
    if (a.mimeType !== b.mimeType)
      out.push(
        'risky',
        `${at}/mimeType`,
        `the MIME type of ${what} changed from ${show(a.mimeType)} to ${show(b.mimeType)}`,
      );
    for (const k of ['name', 'title'] as const)
      if (a[k] !== b[k])
        out.push(
          'compatible',
          `${at}/${k}`,
          `the ${k} of ${what} changed from ${show(a[k])} to ${show(b[k])}`,
        );
    diffDescription(a.description, b.description, `${at}/description`, what, out);
    if (!same(a.annotations, b.annotations))
      out.push('compatible', `${at}/annotations`, `the annotations of ${what} changed`);
  }
  for (const uri of Object.keys(next))
    if (!(uri in old)) out.push('compatible', pointer(key, uri), `new ${noun} ${show(uri)}`);
}
