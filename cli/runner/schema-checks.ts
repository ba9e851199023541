/**
 * The automatic schema check of every tool call: a tool that declares an `outputSchema` in
 * tools/list must answer `structuredContent` matching it (MCP 2025-06-18 and later, "Structured
 * Content"; any JSON Schema root since SEP-2106). A tool error (`isError: true`) is exempt, as the
 * spec and the SDK client exempt it. How a finding counts is the run's `--schema-checks`, else
 * the server's `schema_checks:`, else the suite's, else `error`; `expect.output_schema: true`
 * makes it an error (and requires an outputSchema), `false` skips it for one test.
 */
import type { AssertionFailure, ToolResult } from './result-types.js';
import type { ToolInfo } from './connection-pool.js';
import { compileSchema } from './result-schema.js';
import type { Expect, SchemaCheckMode, ServerSpec, Suite } from './suite-schema.js';

export { SCHEMA_CHECK_MODES, type SchemaCheckMode } from './suite-schema.js';

/** The mode of one test's check. */
export function schemaCheckMode(
  override: SchemaCheckMode | undefined,
  suite: Suite,
  server: ServerSpec,
  expect: Expect | undefined,
): SchemaCheckMode {
  if (expect?.output_schema === true) return 'error';
  if (expect?.output_schema === false) return 'off';
  return override ?? server.schema_checks ?? suite.schema_checks ?? 'error';
}

/**
 * What the check found about one tool result (empty when it holds); `info` is the tool's
 * tools/list entry (undefined when not listed). `required` is `output_schema: true`: a tool that
 * is not listed, or declares no outputSchema, is a finding, and a tool error is not exempt.
 */
export function checkOutputSchema(
  info: Pick<ToolInfo, 'outputSchema'> | undefined,
  result: ToolResult,
  required: boolean,
): AssertionFailure[] {
  const found = (message: string) => [{ assertion: 'output_schema', message }];
  if (!info) return required ? found('the tool is not in tools/list, so it has no outputSchema') : [];
  const schema = info.outputSchema;
  if (!schema || typeof schema !== 'object') {
    return required ? found('the tool declares no outputSchema in tools/list') : [];
  }
  if (result.isError === true && !required) return [];
  if (result.structuredContent === undefined) {
    return found('the tool declares an outputSchema but answered no structuredContent');
  }
  const c = compileSchema(schema);
  if (!c.ok) return found(`the tool's outputSchema cannot be used: ${c.message}`);
  const check = c.check(result.structuredContent);
  return check.valid
    ? []
    : found(`structuredContent does not match the tool's outputSchema: ${check.errorMessage}`);
}
