import path from 'node:path';
import { z } from 'zod';
import {
  assertWritable,
  scaffoldSuite,
  surfaceFileFor,
  writeSuiteFile,
} from '../../scaffold/scaffold-suite.js';
import { writeSurfaceFile } from '../../surface/file.js';
import { withConnection } from '../connection.js';
import { ProtocolOut, protocolOf } from '../era.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

/** `scaffold_suite`: the suite `mcptest scaffold` writes, as data and optionally as a file. */
export const scaffoldSuiteVerb = defineVerb({
  name: 'scaffold_suite',
  title: 'Scaffold a test suite for an MCP server',
  description:
    'Build a starter mcptest suite (YAML) for a server: one test per tool, arguments generated from each input schema, expectations proposed from what held on three real calls. Tools the credentials may not call (e.g. 403 insufficient_scope) get a tool_present test with a comment. The first test is a surface snapshot (`snapshot: NAME.surface.json`: tools with their schemas, prompts, resources, capabilities, recorded before any call) that fails on breaking changes; every call is also checked against its outputSchema (`schema_checks: error`, written in the suite). Returns the YAML; with `path` also writes it and the surface file beside it (relative paths resolve from the mcp-server working folder) and refuses to replace an existing file unless `overwrite` is true. Without `path` there is no snapshot test (no file holds the surface). Run it with run_suite.',
  input: {
    ...TargetInput,
    path: z.string().min(1).optional().describe('Write the suite to this file.'),
    overwrite: z.boolean().optional().describe('Replace `path` when it exists (default false).'),
    call: z
      .boolean()
      .optional()
      .describe(
        'Call each tool once to learn what passes (default true). false: expect only is_error: false.',
      ),
    prompts: z
      .boolean()
      .optional()
      .describe('Also a test per prompt (prompts/get, required arguments set to "example"). Default false.'),
    resources: z
      .boolean()
      .optional()
      .describe('Also a test per listed resource (resources/read, the first 20). Default false.'),
    negative: z
      .boolean()
      .optional()
      .describe(
        'Also input-rejection tests per tool: a required argument left out, a typed argument of the wrong type, each expecting rejects_input (a tool error or JSON-RPC -32602). A server that accepts them fails run_suite naming the tool. Default false.',
      ),
  },
  output: {
    yaml: z.string().describe('The suite file text.'),
    path: z.string().nullable().describe('Absolute path written, or null.'),
    written: z.boolean(),
    tests: z.array(
      z.object({
        name: z.string(),
        tool: z.string(),
        kind: z.enum(['call', 'present', 'prompt', 'resource', 'negative', 'snapshot']),
        outcome: z.enum(['ok', 'tool_error', 'auth_refused', 'call_failed', 'not_called', 'none']),
        note: z.string().optional(),
      }),
    ),
    protocol: ProtocolOut,
  },
  annotations: { openWorldHint: true },
  async run(args, ctx) {
    const file = args.path ? path.resolve(ctx.cwd, args.path) : undefined;
    const hint = `call scaffold_suite again with "overwrite": true, or another "path"`;
    const surfaceFile = file ? surfaceFileFor(file) : undefined;
    const surfacePath = file && surfaceFile ? path.join(path.dirname(file), surfaceFile) : undefined;
    if (file && !args.overwrite) assertWritable(file, false, hint);
    if (surfacePath && !args.overwrite) assertWritable(surfacePath, false, hint);
    const { scaffold, protocol } = await withConnection(args, ctx, async (conn) => ({
      scaffold: await scaffoldSuite(conn, {
        call: args.call,
        prompts: args.prompts,
        resources: args.resources,
        negative: args.negative,
        signal: ctx.signal,
        suiteDir: file ? path.dirname(file) : ctx.cwd,
        surfaceFile,
        cwd: ctx.cwd,
      }),
      protocol: protocolOf(conn),
    }));
    if (file) {
      writeSuiteFile(file, scaffold.yaml, Boolean(args.overwrite), hint);
      if (surfacePath) writeSurfaceFile(scaffold.surface, surfacePath, ctx.cwd);
    }
    return {
      data: {
        yaml: scaffold.yaml,
        path: file ?? null,
        written: Boolean(file),
        tests: scaffold.tests,
        protocol,
      },
    };
  },
});
