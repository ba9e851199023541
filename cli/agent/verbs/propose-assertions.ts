import { z } from 'zod';
import { McptestError } from '../../../shared/errors.js';
import { proposeAssertions } from '../../scaffold/propose-assertions.js';
import { listAllTools } from '../../mcp/list-tools.js';
import { renderSuite, sampleCalls, serverSpecFor } from '../../scaffold/scaffold-suite.js';
import type { Suite } from '../../runner/suite-schema.js';
import { withConnection } from '../connection.js';
import { ProtocolOut, protocolOf } from '../era.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

/** `propose_assertions`: a few real calls, the assertions that held on all of them as a one-test suite. */
export const proposeAssertionsVerb = defineVerb({
  name: 'propose_assertions',
  title: 'Propose assertions for one tool call',
  description:
    'Call a tool three times and propose the assertions that held on every call: is_error, text_contains (or text_matches when the text holds ids, timestamps or numbers that changed), JSON paths into structuredContent (exact where a value was the same each time and looks stable, type/pattern where it varied or looks volatile), output_schema when the tool declares one. No latency bound (it fails on loaded machines) and no assertion on the text of a tool error. Returns a runnable one-test suite YAML (copy its test into a suite) and the test as data.',
  input: {
    ...TargetInput,
    tool: z.string().min(1).describe('The tool to call.'),
    arguments: z.record(z.string(), z.unknown()).optional().describe('The tool arguments.'),
    test_name: z
      .string()
      .min(1)
      .optional()
      .describe('Name of the proposed test; derived from the tool by default.'),
  },
  output: {
    yaml: z.string().describe('A suite with the server and the one proposed test.'),
    test: z.object({
      name: z.string(),
      tool: z.string(),
      arguments: z.record(z.string(), z.unknown()).optional(),
      expect: z.record(z.string(), z.unknown()),
    }),
    notes: z.array(z.string()).describe('Why some assertions look the way they do.'),
    observed: z.object({
      isError: z.boolean(),
      latency_ms: z.number().describe('The slowest of the calls.'),
      calls: z.number().int().describe('How many calls the proposal is drawn from.'),
    }),
    protocol: ProtocolOut,
  },
  annotations: { openWorldHint: true },
  async run(args, ctx) {
    return withConnection(args, ctx, async (conn) => {
      const tools = await listAllTools(conn, { signal: ctx.signal });
      const info = tools.find((t) => t.name === args.tool);
      if (!info) {
        throw new McptestError(
          'not_found',
          `${conn.serverUrl ?? 'the server'} offers no tool named "${args.tool}" (it offers: ${tools.map((t) => t.name).join(', ') || 'none'})`,
          { hint: 'call list_tools to see the tool names' },
        );
      }
      const toolArgs = args.arguments ?? {};
      const { results, latenciesMs } = await sampleCalls(conn, args.tool, toolArgs, { signal: ctx.signal });
      const result = results[results.length - 1];
      const proposal = proposeAssertions({
        results,
        outputSchema: info.outputSchema as Record<string, unknown> | undefined,
      });
      const test = {
        name: args.test_name ?? `${args.tool} ${result.isError ? 'answers a tool error' : 'answers'}`,
        tool: args.tool,
        ...(Object.keys(toolArgs).length ? { arguments: toolArgs } : {}),
        expect: proposal.expect,
      };
      const key = (conn.serverInfo?.name ?? 'server').replace(/[^A-Za-z0-9_.-]+/g, '-') || 'server';
      const suite: Suite = {
        name: `${args.tool} (proposed)`,
        servers: { [key]: serverSpecFor(conn.target, ctx.cwd, ctx.cwd) },
        tests: [test],
      };
      const from = conn.serverUrl ?? 'a stdio server';
      const yaml = renderSuite(
        suite,
        [` ${proposal.notes.join('; ')}`],
        from,
        `Proposed by mcptest from ${results.length} call${results.length > 1 ? 's' : ''} of ${args.tool} on ${from}: copy the test into your suite, or run this file as is.`,
      );
      return {
        data: {
          yaml,
          test: test as Record<string, unknown> & typeof test,
          notes: proposal.notes,
          observed: {
            isError: result.isError === true,
            latency_ms: Math.round(Math.max(...latenciesMs)),
            calls: results.length,
          },
          protocol: protocolOf(conn),
        },
      };
    });
  },
});
