/**
 * Reads a suite file: YAML with positions kept, `${VAR}` interpolation of non-secret values,
 * a refusal of literal secrets, and schema validation whose every error names `file:line:col`.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  isMap,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parse as parseYaml,
  parseDocument,
  visit,
} from 'yaml';
import { McptestError } from '../../shared/errors.js';
import { compileSchema } from './result-schema.js';
import {
  ASK_MESSAGE,
  ELICITATION_MESSAGE,
  ROOT_MESSAGE,
  SAMPLING_MESSAGE,
  SANITIZER_MESSAGE,
  SNAPSHOT_MESSAGE,
  Suite,
  TOOL_CONTENT_TYPES,
} from './suite-schema.js';

export interface LoadedSuite {
  suite: Suite;
  /** The path as the user gave it (used in messages). */
  file: string;
  /** Folder of the suite file: relative `cwd`, `args` and key files resolve from here. */
  dir: string;
  /** `name:` from the file, else the file name without extension. */
  name: string;
  /** The JSON Schemas of `expect.schema: FILE`, read and checked at load, by the path as written. */
  schemaFiles?: Map<string, Record<string, unknown>>;
}

/** Keys that would hold a secret value; the suite must name an env var instead. */
const SECRET_KEYS: Record<string, string> = {
  client_secret: 'client_secret_env',
  secret: 'client_secret_env',
  token: 'bearer_token_env',
  bearer_token: 'bearer_token_env',
  access_token: 'bearer_token_env',
  refresh_token: 'bearer_token_env',
  password: 'client_secret_env',
  api_key: 'bearer_token_env',
  private_key: 'private_key_env',
};

interface Problem {
  offset: number | null;
  message: string;
}

type PathKey = string | number;

function pathText(p: ReadonlyArray<PathKey>): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out || 'the suite';
}

function nodeAt(doc: ReturnType<typeof parseDocument>, p: ReadonlyArray<PathKey>): Node | undefined {
  return p.length === 0 ? (doc.contents as Node | undefined) : (doc.getIn(p as PathKey[], true) as Node);
}

/** Offset of the deepest existing node on a path (the key itself when the path ends in a map key). */
function offsetOf(doc: ReturnType<typeof parseDocument>, p: ReadonlyArray<PathKey>): number | null {
  for (let n = p.length; n >= 0; n--) {
    const parent = nodeAt(doc, p.slice(0, n - 1));
    const last = p[n - 1];
    if (n > 0 && isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === last);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
    }
    const node = nodeAt(doc, p.slice(0, n));
    if (node?.range) return node.range[0];
  }
  return null;
}

const INTERPOLATION = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in string values with the environment's values
 * (`$${` writes a literal `${`). Meant for non-secret values such as URLs and ports: secrets are
 * named by `*_env` keys and read only where they are sent.
 */
export function interpolate(value: string, env: NodeJS.ProcessEnv): { value: string; missing: string[] } {
  const missing: string[] = [];
  const out = value.replace(INTERPOLATION, (whole, name?: string, fallback?: string) => {
    if (whole === '$${') return '${';
    const v = env[name as string];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    missing.push(name as string);
    return whole;
  });
  return { value: out, missing };
}

function scanDocument(doc: ReturnType<typeof parseDocument>, env: NodeJS.ProcessEnv): Problem[] {
  const problems: Problem[] = [];
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isScalar(pair.key)) return;
      const key = String(pair.key.value);
      const offset = pair.key.range?.[0] ?? null;
      const parentPair = [...ancestors].reverse().find(isPair);
      const inHeaders = isScalar(parentPair?.key) && parentPair.key.value === 'headers';
      const inEnv = isScalar(parentPair?.key) && parentPair.key.value === 'env';
      if (inHeaders && key.toLowerCase() === 'authorization') {
        problems.push({
          offset,
          message:
            'an Authorization header would put a secret in the suite; use auth.bearer_token_env: VAR (the token stays in the env var) or auth.oauth',
        });
      } else if (!inEnv && !inHeaders && Object.hasOwn(SECRET_KEYS, key) && pair.value !== null) {
        problems.push({
          offset,
          message: `"${key}" would hold a literal secret; suites name env vars only: use ${SECRET_KEYS[key]}: VAR_NAME and export the value into VAR_NAME`,
        });
      }
    },
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const { value, missing } = interpolate(node.value, env);
      if (missing.length) {
        problems.push({
          offset: node.range?.[0] ?? null,
          message: `environment variable ${missing.map((m) => `\${${m}}`).join(', ')} is not set (write \${${missing[0]}:-default} for a fallback)`,
        });
      } else node.value = value;
    },
  });
  return problems;
}

function zodProblems(doc: ReturnType<typeof parseDocument>, data: unknown, files?: SchemaFiles): Problem[] {
  const parsed = Suite.safeParse(data);
  if (parsed.success)
    return [...semanticProblems(doc, parsed.data), ...resultCheckProblems(doc, parsed.data, files)];
  return parsed.error.issues.map((issue) => {
    const p = issue.path as PathKey[];
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0];
      const hint = Object.hasOwn(KEY_HINTS, key)
        ? KEY_HINTS[key]
        : Object.hasOwn(PLACE_HINTS, key)
          ? PLACE_HINTS[key]
          : '';
      return {
        offset: offsetOf(doc, [...p, key]),
        message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${pathText(p)}${hint}`,
      };
    }
    const exists = nodeAt(doc, p) !== undefined && nodeAt(doc, p) !== null;
    if (issue.code === 'invalid_type' && !exists && p.length > 0) {
      return {
        offset: offsetOf(doc, p),
        message: `missing key "${p[p.length - 1]}" in ${pathText(p.slice(0, -1))}`,
      };
    }
    const message = issue.code === 'invalid_union' ? (unionMessage(p) ?? issue.message) : issue.message;
    return { offset: offsetOf(doc, p), message: `${pathText(p)}: ${message}` };
  });
}

/** What a key taking one of several shapes accepts, by the key (or the list it is an item of). */
function unionMessage(p: ReadonlyArray<PathKey>): string | undefined {
  const last = p[p.length - 1];
  const key = typeof last === 'number' ? p[p.length - 2] : last;
  switch (key) {
    case 'text_contains':
      return 'expected a string or a list of strings';
    case 'elicitation':
      return ELICITATION_MESSAGE;
    case 'sampling':
      return SAMPLING_MESSAGE;
    case 'roots':
      return ROOT_MESSAGE;
    case 'asks':
      return ASK_MESSAGE;
    case 'snapshot':
      return SNAPSHOT_MESSAGE;
    case 'ttl_ms':
      return 'expected milliseconds (a whole number), or operators like { gte: 1000 }';
    case 'sanitize':
      return SANITIZER_MESSAGE;
    case 'schema':
      return 'expected a JSON Schema object, or the path of a .json or .yaml file holding one';
    case 'content_type':
      return `expected ${TOOL_CONTENT_TYPES.join(', ')}, or a list of them`;
    default:
      return undefined;
  }
}

const KEY_HINTS: Record<string, string> = {
  expct: ' (did you mean "expect"?)',
  args: ' (a test takes "arguments")',
  protocol_version: ' (did you mean "protocol"?)',
  protocolVersion: ' (did you mean "protocol"?)',
  answer: ' (did you mean "answers"?)',
  ask: ' (did you mean "asks"?, under expect)',
  notification: ' (did you mean "notifications"?, under expect)',
  resultType: ' (write "result_type", under expect)',
  ttlMs: ' (write "ttl_ms", under expect)',
  cacheScope: ' (write "cache_scope", under expect)',
  elicit: ' (did you mean "elicitation"?)',
  sanitizers: ' (did you mean "sanitize"?)',
  schemaChecks: ' (write "schema_checks")',
  contentType: ' (write "content_type", under expect)',
  isError: ' (write "is_error", under expect)',
  snapshots: ' (did you mean "snapshot"?, under expect)',
};

/** Where each key belongs when it is written at the wrong level. */
const PLACE_HINTS: Record<string, string> = {
  asks: ' (asks goes under expect)',
  notifications: ' (notifications goes under expect)',
  result_type: ' (result_type goes under expect)',
  ttl_ms: ' (ttl_ms goes under expect)',
  cache_scope: ' (cache_scope goes under expect)',
  answers: ' (answers goes in a test, a server or the suite, not under expect)',
  snapshot: ' (snapshot goes under expect)',
  schema: ' (schema goes under expect)',
  content_type: ' (content_type goes under expect)',
  schema_checks:
    ' (schema_checks goes in a server or the suite; output_schema: true|false under expect sets one test)',
  sanitize: ' (sanitize goes in a test, a server or the suite, beside expect)',
};

function semanticProblems(doc: ReturnType<typeof parseDocument>, suite: Suite): Problem[] {
  const problems: Problem[] = [];
  const names = Object.keys(suite.servers);
  suite.tests.forEach((t, i) => {
    if (t.server !== undefined && !names.includes(t.server)) {
      problems.push({
        offset: offsetOf(doc, ['tests', i, 'server']),
        message: `tests[${i}] names server "${t.server}", but the suite defines ${names.map((n) => `"${n}"`).join(', ')}`,
      });
    }
    if (t.server === undefined && names.length > 1) {
      problems.push({
        offset: offsetOf(doc, ['tests', i]),
        message: `tests[${i}] needs "server:" because the suite defines ${names.length} servers`,
      });
    }
    const regexes: Array<[PathKey[], string]> = [];
    if (t.expect?.text_matches !== undefined)
      regexes.push([['tests', i, 'expect', 'text_matches'], t.expect.text_matches]);
    const asks = t.expect?.asks === undefined ? [] : [t.expect.asks].flat();
    asks.forEach((a, j) => {
      if (typeof a !== 'string' && a.message !== undefined) {
        const re = /^\/(.*)\/([a-z]*)$/s.exec(a.message);
        if (re) {
          const at: PathKey[] = Array.isArray(t.expect?.asks)
            ? ['tests', i, 'expect', 'asks', j, 'message']
            : ['tests', i, 'expect', 'asks', 'message'];
          try {
            new RegExp(re[1], re[2]);
          } catch (err) {
            problems.push({
              offset: offsetOf(doc, at),
              message: `invalid regular expression: ${(err as Error).message}`,
            });
          }
        }
      }
    });
    for (const [jp, v] of Object.entries(t.expect?.json ?? {})) {
      if (v && typeof v === 'object' && typeof (v as any).matches === 'string')
        regexes.push([['tests', i, 'expect', 'json', jp, 'matches'], (v as any).matches]);
    }
    for (const [p, source] of regexes) {
      try {
        new RegExp(source);
      } catch (err) {
        problems.push({
          offset: offsetOf(doc, p),
          message: `invalid regular expression: ${(err as Error).message}`,
        });
      }
    }
  });
  return problems;
}

/** Where `expect.schema: FILE` files are read from, and what they held. */
interface SchemaFiles {
  dir: string;
  loaded: Map<string, Record<string, unknown>>;
}

/** A schema file's JSON Schema, or why it is not one. */
function readSchemaFile(abs: string): { schema: Record<string, unknown> } | { problem: string } {
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    return { problem: `cannot read ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(abs) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    return {
      problem: `not ${/\.json$/i.test(abs) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: 'it holds no JSON Schema object' };
  return { schema: value as Record<string, unknown> };
}

/**
 * The result checks' own problems: `schema:` (a file that must exist and hold a schema, an
 * inline schema that must compile) and sanitizer regexes. Schema files are only read when the
 * suite's folder is known (loadSuite).
 */
function resultCheckProblems(
  doc: ReturnType<typeof parseDocument>,
  suite: Suite,
  files?: SchemaFiles,
): Problem[] {
  const problems: Problem[] = [];
  const at = (p: PathKey[], message: string) => problems.push({ offset: offsetOf(doc, p), message });
  const regexes = (list: Suite['sanitize'], where: PathKey[]) =>
    (list ?? []).forEach((s, j) => {
      if (!('pattern' in s)) return;
      try {
        new RegExp(s.pattern, `g${s.flags ?? ''}`);
      } catch (err) {
        at([...where, j, 'pattern'], `invalid regular expression: ${(err as Error).message}`);
      }
    });
  regexes(suite.sanitize, ['sanitize']);
  for (const [name, server] of Object.entries(suite.servers))
    regexes(server.sanitize, ['servers', name, 'sanitize']);
  suite.tests.forEach((t, i) => {
    regexes(t.sanitize, ['tests', i, 'sanitize']);
    const schema = t.expect?.schema;
    const where: PathKey[] = ['tests', i, 'expect', 'schema'];
    if (schema === undefined) return;
    if (typeof schema !== 'string') {
      const c = compileSchema(schema);
      if (!c.ok) at(where, `this JSON Schema cannot be used: ${c.message}`);
      return;
    }
    if (!files) return;
    let loaded = files.loaded.get(schema);
    if (!loaded) {
      const read = readSchemaFile(path.resolve(files.dir, schema));
      if ('problem' in read) {
        at(where, `schema file ${schema} (relative to the suite): ${read.problem}`);
        return;
      }
      loaded = read.schema;
      files.loaded.set(schema, loaded);
    }
    const c = compileSchema(loaded);
    if (!c.ok) at(where, `the JSON Schema in ${schema} cannot be used: ${c.message}`);
  });
  return problems;
}

function fail(file: string, lc: LineCounter, problems: Problem[]): never {
  const lines = problems.slice(0, 20).map((pr) => {
    if (pr.offset === null) return `${file}: ${pr.message}`;
    const { line, col } = lc.linePos(pr.offset);
    return `${file}:${line}:${col}: ${pr.message}`;
  });
  if (problems.length > 20) lines.push(`… and ${problems.length - 20} more`);
  throw new McptestError('suite_invalid', lines.join('\n'), {
    hint: 'mcptest schema --output suite.schema.json   # then validate the suite in your editor',
    details: { file, problems: lines },
  });
}

/**
 * Parses suite text; `file` is only used in messages. With `dir` (the suite's folder) the files
 * of `expect.schema` are read and checked too.
 */
export function parseSuite(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  dir?: string,
): Omit<LoadedSuite, 'dir'> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    // The first syntax error is the mistake; the ones after it mostly follow from it.
    const first = doc.errors[0];
    const line = text.slice(text.lastIndexOf('\n', first.pos[0] - 1) + 1).split('\n')[0];
    const flowInterpolation = /\{[^}]*[^"'\w]\$\{/.test(line)
      ? ` (inside { … } quote a \${VAR}: { url: "\${MCP_URL}" })`
      : '';
    const more = doc.errors.length > 1 ? ` (${doc.errors.length - 1} more after it)` : '';
    fail(file, lc, [
      {
        offset: first.pos[0],
        message: `YAML syntax error: ${first.message.split('\n')[0]}${flowInterpolation}${more}`,
      },
    ]);
  }
  const scanned = scanDocument(doc, env);
  if (scanned.length) fail(file, lc, scanned);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // yaml refuses alias bombs ("billion laughs") and similar while building the value.
    fail(file, lc, [{ offset: null, message: `YAML cannot be loaded: ${(err as Error).message}` }]);
  }
  const files: SchemaFiles | undefined = dir === undefined ? undefined : { dir, loaded: new Map() };
  const problems = zodProblems(doc, value, files);
  if (problems.length) fail(file, lc, problems);
  const suite = Suite.parse(value);
  return {
    suite,
    file,
    name: suite.name ?? path.basename(file).replace(/\.ya?ml$/i, ''),
    ...(files?.loaded.size ? { schemaFiles: files.loaded } : {}),
  };
}

/** Reads and parses a suite file. */
export function loadSuite(
  file: string,
  io: { env: NodeJS.ProcessEnv; vars?: NodeJS.ProcessEnv; cwd: string },
): LoadedSuite {
  const abs = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new McptestError(
      'suite_invalid',
      `cannot read suite file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { hint: `ls ${path.dirname(file)}`, details: { file } },
    );
  }
  return { ...parseSuite(text, file, io.vars ?? io.env, path.dirname(abs)), dir: path.dirname(abs) };
}
