/**
 * JSON Schema validation of results: the SDK 2.x client's own validator
 * (`@modelcontextprotocol/client/validators/ajv`: JSON Schema 2020-12 when `$schema` is absent,
 * 2019-09 and draft-07 when declared, any other dialect refused), loaded on first use. A schema
 * that cannot be compiled (an unknown dialect, a bad `pattern`, a `$ref` that does not resolve
 * inside the document: remote references are never fetched) is a finding of its own and does
 * not spoil the other schemas (SEP-2106).
 */
import { createRequire } from 'node:module';

type Check = (value: unknown) => { valid: boolean; errorMessage?: string };
interface Validator {
  getValidator(schema: Record<string, unknown>): Check;
}

/** A compiled schema, or why it cannot be compiled. */
export type CompiledSchema = { ok: true; check: Check } | { ok: false; message: string };

let shared: Validator | undefined;
const compiled = new WeakMap<object, CompiledSchema>();

/**
 * The validator for `schema`. Its engine keeps schemas by `$id` and hands out the first one
 * compiled under an id, so a schema with an `$id` (two servers may reuse one for different
 * schemas) gets an engine of its own.
 */
function sdkValidator(schema: Record<string, unknown>): Validator {
  // Synchronous and lazy: suite loading checks inline schemas, and most runs have none.
  const { AjvJsonSchemaValidator } = createRequire(import.meta.url)(
    '@modelcontextprotocol/client/validators/ajv',
  );
  if (typeof schema.$id === 'string') return new AjvJsonSchemaValidator() as Validator;
  shared ??= new AjvJsonSchemaValidator() as Validator;
  return shared;
}

/** Compiles `schema` once (cached by object identity). @see https://json-schema.org/draft/2020-12 */
export function compileSchema(schema: Record<string, unknown>): CompiledSchema {
  let c = compiled.get(schema);
  if (!c) {
    try {
      c = { ok: true, check: sdkValidator(schema).getValidator(schema) };
    } catch (err) {
      c = { ok: false, message: (err instanceof Error ? err.message : String(err)).slice(0, 300) };
    }
    compiled.set(schema, c);
  }
  return c;
}

/** Why `value` does not match `schema` (null when it does). */
export function schemaMismatch(schema: Record<string, unknown>, value: unknown): string | null {
  const c = compileSchema(schema);
  if (!c.ok) return `the schema cannot be used: ${c.message}`;
  const r = c.check(value);
  return r.valid ? null : (r.errorMessage ?? 'does not match');
}
