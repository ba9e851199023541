/**
 * Generates arguments that satisfy a tool's JSON Schema input: required properties only, values
 * chosen from `default`, `examples`, `const` and `enum` first, then built from the type and its
 * bounds (min/max, lengths, string formats, nested objects and arrays). Deterministic, so a
 * scaffolded suite is the same every time. Values are deliberately dull (`false`, the minimum,
 * "example") so a first call is unlikely to do anything drastic.
 * @see JSON Schema 2020-12 Validation §6 (keywords) and §7.3 (formats)
 */

type Schema = Record<string, any>;

/** How deep nested objects and arrays are followed before giving up with a placeholder. */
const MAX_DEPTH = 8;
/**
 * How many values one sample may hold in all, and the longest string or array it builds: a
 * hostile schema (ten required properties that each refer back to the root; `minItems: 1e9`)
 * must give a placeholder, not hang or exhaust memory.
 */
const MAX_VALUES = 2_000;
const MAX_LENGTH = 1_000;

interface Budget {
  left: number;
}

/** A sample value for `schema`; `root` resolves local `$ref`s (`#/$defs/...`, `#/definitions/...`). */
export function sampleValue(
  schema: unknown,
  root: unknown = schema,
  variant = 0,
  depth = 0,
  budget: Budget = { left: MAX_VALUES },
): unknown {
  if (schema === true || schema === undefined || schema === null) return 'example';
  if (typeof schema !== 'object' || Array.isArray(schema)) return 'example';
  const s = schema as Schema;
  if (depth > MAX_DEPTH || --budget.left < 0) return null;
  if (typeof s.$ref === 'string') {
    const target = resolveRef(root, s.$ref);
    if (target !== undefined) return sampleValue(target, root, variant, depth + 1, budget);
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[variant % s.enum.length];
  if ('default' in s && s.default !== undefined) return s.default;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    return sampleValue(mergeAllOf(s), root, variant, depth + 1, budget);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[key]) && s[key].length > 0) {
      const options = s[key] as unknown[];
      const pick = options.find((o) => (o as Schema)?.type !== 'null') ?? options[0];
      return sampleValue(pick, root, variant, depth + 1, budget);
    }
  }
  switch (pickType(s)) {
    case 'object':
      return sampleObject(s, root, depth, budget);
    case 'array':
      return sampleArray(s, root, depth, budget);
    case 'string':
      return sampleString(s, variant);
    case 'integer':
      return sampleNumber(s, true, variant);
    case 'number':
      return sampleNumber(s, false, variant);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'example';
  }
}

/** Arguments for a tool: its input schema is an object schema (MCP requires `type: object`). */
export function sampleArguments(inputSchema: unknown): Record<string, unknown> {
  const value = sampleValue(inputSchema ?? { type: 'object' }, inputSchema);
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function pickType(s: Schema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t: unknown) => t !== 'null') ?? s.type[0];
  if (typeof s.type === 'string') return s.type;
  if (s.properties || s.required || s.additionalProperties) return 'object';
  if (s.items || s.prefixItems) return 'array';
  if (s.minLength !== undefined || s.pattern || s.format) return 'string';
  if (s.minimum !== undefined || s.maximum !== undefined) return 'number';
  return undefined;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let cur: any = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function mergeAllOf(s: Schema): Schema {
  const { allOf, ...rest } = s;
  const merged: Schema = { ...rest };
  for (const part of allOf as Schema[]) {
    if (!part || typeof part !== 'object') continue;
    for (const [k, v] of Object.entries(part)) {
      if (k === 'properties') merged.properties = { ...merged.properties, ...v };
      else if (k === 'required') merged.required = [...new Set([...(merged.required ?? []), ...v])];
      else if (!(k in merged)) merged[k] = v;
    }
  }
  return merged;
}

function sampleObject(s: Schema, root: unknown, depth: number, budget: Budget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props: Record<string, unknown> = s.properties ?? {};
  const required: string[] = Array.isArray(s.required) ? s.required.map(String) : [];
  for (const name of required) {
    out[name] = sampleValue(props[name] ?? {}, root, 0, depth + 1, budget);
  }
  // minProperties beyond the required ones: add optional properties in declaration order.
  const min = typeof s.minProperties === 'number' ? s.minProperties : 0;
  for (const name of Object.keys(props)) {
    if (Object.keys(out).length >= min) break;
    if (!(name in out)) out[name] = sampleValue(props[name], root, 0, depth + 1, budget);
  }
  return out;
}

function sampleArray(s: Schema, root: unknown, depth: number, budget: Budget): unknown[] {
  if (Array.isArray(s.prefixItems)) {
    return (s.prefixItems as unknown[])
      .slice(0, MAX_LENGTH)
      .map((item, i) => sampleValue(item, root, i, depth + 1, budget));
  }
  const min = typeof s.minItems === 'number' ? s.minItems : 0;
  const max = typeof s.maxItems === 'number' ? s.maxItems : Number.POSITIVE_INFINITY;
  const count = Math.min(Math.max(min, 1), max, MAX_LENGTH);
  const items = s.items ?? {};
  // Distinct variants, so `uniqueItems` holds for enums, strings and numbers alike.
  return Array.from({ length: count }, (_, i) => sampleValue(items, root, i, depth + 1, budget));
}

const FORMATS: Record<string, string> = {
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  iri: 'https://example.com/',
  'iri-reference': 'https://example.com/',
  'uri-template': 'https://example.com/{id}',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  date: '2024-01-01',
  'date-time': '2024-01-01T00:00:00Z',
  time: '00:00:00Z',
  duration: 'PT1M',
  uuid: '00000000-0000-4000-8000-000000000000',
  'json-pointer': '/example',
  regex: '^example$',
};

function sampleString(s: Schema, variant: number): string {
  let value = typeof s.format === 'string' && FORMATS[s.format] ? FORMATS[s.format] : 'example';
  if (variant > 0 && !s.format) value = `${value}${variant + 1}`;
  if (typeof s.pattern === 'string') {
    const fitted = fitPattern(s.pattern, value);
    if (fitted !== undefined) value = fitted;
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Number.POSITIVE_INFINITY;
  if (value.length < min) value = value + 'x'.repeat(Math.max(0, Math.min(min, MAX_LENGTH) - value.length));
  if (value.length > max) value = value.slice(0, max);
  return value;
}

/** A string matching `pattern`: plain candidates first, then one built from the pattern; undefined when neither matches. */
function fitPattern(pattern: string, preferred: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  const candidates = [
    preferred,
    'example',
    'EXAMPLE',
    'a',
    'A',
    '0',
    '1',
    'abc123',
    'a-b',
    'a_b',
    'example.com',
  ];
  const plain = candidates.find((c) => re.test(c));
  if (plain !== undefined) return plain;
  const built = fromPattern(pattern);
  return built !== undefined && re.test(built) ? built : undefined;
}

/**
 * Builds a string from the simple regexes schemas use: literals, escapes (\d \w \s), classes,
 * groups with alternation (first branch), quantifiers (minimum count, at least one for + and
 * {n,}). Anchors are dropped. Undefined for anything it cannot read.
 */
function fromPattern(pattern: string): string | undefined {
  let i = 0;
  const atom = (): string | undefined => {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1];
      i += 2;
      if (e === 'd') return '0';
      if (e === 'w') return 'a';
      if (e === 's') return ' ';
      if (e === undefined || /[DWSbB]/.test(e)) return e === 'b' || e === 'B' ? '' : undefined;
      return e;
    }
    if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      const body = pattern.slice(i + 1, end);
      i = end + 1;
      if (body.startsWith('^')) return /[a-z]/i.test(body) ? '0' : 'a';
      const first = body.startsWith('\\')
        ? (({ d: '0', w: 'a', s: ' ' } as Record<string, string>)[body[1]] ?? body[1])
        : body[0];
      return first;
    }
    if (c === '(') {
      let depth = 0;
      let j = i;
      for (; j < pattern.length; j++) {
        if (pattern[j] === '\\') j++;
        else if (pattern[j] === '(') depth++;
        else if (pattern[j] === ')' && --depth === 0) break;
      }
      let inner = pattern.slice(i + 1, j).replace(/^\?[:=!]/, '');
      const bar = topLevelBar(inner);
      if (bar >= 0) inner = inner.slice(0, bar);
      i = j + 1;
      return fromPattern(inner);
    }
    if (c === '.') {
      i++;
      return 'a';
    }
    if (c === '^' || c === '$') {
      i++;
      return '';
    }
    i++;
    return c;
  };
  const bar = topLevelBar(pattern);
  if (bar >= 0) return fromPattern(pattern.slice(0, bar));
  let out = '';
  while (i < pattern.length) {
    const piece = atom();
    if (piece === undefined) return undefined;
    let count = 1;
    const q = pattern[i];
    if (q === '*' || q === '?') {
      count = 0;
      i++;
    } else if (q === '+') i++;
    else if (q === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
      if (m) {
        count = Math.max(Number(m[1]), m[2] === undefined ? 0 : Number(m[1]) || 1);
        i += m[0].length;
      }
    }
    if (pattern[i] === '?') i++; // lazy quantifier
    if (out.length + piece.length * count > MAX_LENGTH) return undefined; // `a{1000000000}`
    out += piece.repeat(count);
  }
  return out;
}

function topLevelBar(pattern: string): number {
  let depth = 0;
  for (let j = 0; j < pattern.length; j++) {
    const c = pattern[j];
    if (c === '\\') j++;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '|' && depth === 0) return j;
  }
  return -1;
}

function sampleNumber(s: Schema, integer: boolean, variant: number): number {
  const step = typeof s.multipleOf === 'number' && s.multipleOf > 0 ? s.multipleOf : integer ? 1 : undefined;
  let lo = typeof s.minimum === 'number' ? s.minimum : undefined;
  let hi = typeof s.maximum === 'number' ? s.maximum : undefined;
  const eps = integer ? 1 : (step ?? 0.5);
  if (typeof s.exclusiveMinimum === 'number') lo = Math.max(lo ?? -Infinity, s.exclusiveMinimum + eps);
  if (typeof s.exclusiveMaximum === 'number') hi = Math.min(hi ?? Infinity, s.exclusiveMaximum - eps);
  let value = lo !== undefined ? lo : hi !== undefined && hi < 1 ? hi : 1;
  value += variant;
  if (step !== undefined) value = Math.ceil(value / step) * step;
  if (hi !== undefined && value > hi) value = step !== undefined ? Math.floor(hi / step) * step : hi;
  return integer ? Math.round(value) : value;
}
