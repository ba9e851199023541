/**
 * Input-rejection tests for one tool (`mcptest scaffold --negative`, `scaffold_suite` with
 * `negative: true`): calls that break the tool's `inputSchema` on purpose and expect
 * `rejects_input: true` (a tool error or JSON-RPC -32602, never a success or a crash). One test
 * leaves out a required argument (when there is one), one gives a typed argument a value of
 * another type (a required one first); every other argument keeps its valid sample value, so
 * the break is the only thing wrong. A tool with nothing to break (no properties, or only untyped
 * or union-typed ones) gets none, and says why.
 * @see JSON Schema 2020-12 Validation §6.1.1 (type) and §6.5.3 (required)
 */
import type { TestSpec } from '../runner/suite-schema.js';
import { sampleArguments } from './sample-arguments.js';

type Schema = Record<string, unknown>;

/** A value of another type for each JSON Schema type, and how the test name says it. */
const WRONG: Record<string, { value: unknown; says: string }> = {
  string: { value: 12345, says: 'a number' },
  number: { value: 'not a number', says: 'a string' },
  integer: { value: 'not a number', says: 'a string' },
  boolean: { value: 'not a boolean', says: 'a string' },
  object: { value: 'not an object', says: 'a string' },
  array: { value: 'not an array', says: 'a string' },
};

export interface NegativeTests {
  tests: TestSpec[];
  /** Why the tool got no test (or only one), when it did not get both. */
  note?: string;
}

/** The input-rejection tests of `tool` (the suite's only server is theirs: no `server:` key). */
export function negativeTests(tool: { name: string; inputSchema?: unknown }): NegativeTests {
  const schema = (tool.inputSchema ?? {}) as Schema;
  const properties =
    schema.properties && typeof schema.properties === 'object'
      ? (schema.properties as Record<string, Schema>)
      : {};
  const required = Array.isArray(schema.required)
    ? (schema.required as unknown[]).filter((r): r is string => typeof r === 'string')
    : [];
  const valid = sampleArguments(tool.inputSchema);
  const tests: TestSpec[] = [];

  const missing = required[0];
  if (missing !== undefined) {
    const { [missing]: _left, ...args } = valid;
    tests.push({
      name: `${tool.name} rejects a missing "${missing}"`,
      tool: tool.name,
      arguments: args,
      expect: { rejects_input: true },
    });
  }
  const typed = (name: string) => {
    const type = properties[name]?.type;
    return typeof type === 'string' && type in WRONG ? type : undefined;
  };
  const names = [
    ...required.filter((r) => r in properties),
    ...Object.keys(properties).filter((p) => !required.includes(p)),
  ];
  const target = names.find((name) => typed(name) !== undefined);
  if (target !== undefined) {
    const type = typed(target) as string;
    const wrong = WRONG[type];
    tests.push({
      name: `${tool.name} rejects ${wrong.says} for "${target}" (${type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}`})`,
      tool: tool.name,
      arguments: { ...valid, [target]: wrong.value },
      expect: { rejects_input: true },
    });
  }
  if (tests.length === 2) return { tests };
  const why =
    Object.keys(properties).length === 0
      ? 'its inputSchema has no properties'
      : target === undefined
        ? 'none of its properties has a single JSON type to break'
        : 'it has no required argument to leave out';
  return {
    tests,
    note: `${tests.length ? 'one input-rejection test only' : 'no input-rejection test'}: ${why}`,
  };
}
