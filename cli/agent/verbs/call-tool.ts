import { z } from 'zod';
import { timedCall } from '../../scaffold/scaffold-suite.js';
import { withConnection } from '../connection.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

/** `call_tool`: one tools/call, its result returned as data. */
export const callTool = defineVerb({
  name: 'call_tool',
  title: 'Call one tool of an MCP server',
  description:
    'Call one tool of an MCP server and return its result as data: `content`, `structuredContent`, `isError` and the latency. A tool answering isError is still a successful call of this verb (ok: true, isError: true); this verb itself fails (isError) only when the server could not be reached or refused our credentials. Same target fields as list_tools.',
  input: {
    ...TargetInput,
    tool: z.string().min(1).describe('The tool name, as list_tools shows it.'),
    arguments: z.record(z.string(), z.unknown()).optional().describe('The tool arguments (a JSON object).'),
  },
  output: {
    tool: z.string(),
    content: z.array(z.record(z.string(), z.unknown())),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean(),
    latency_ms: z.number(),
  },
  annotations: { openWorldHint: true },
  async run(args, ctx) {
    return withConnection(args, ctx, async (conn) => {
      const { result, latencyMs } = await timedCall(conn, args.tool, args.arguments ?? {}, {
        signal: ctx.signal,
      });
      return {
        data: {
          tool: args.tool,
          content: (result.content ?? []) as Array<Record<string, unknown>>,
          ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
          isError: result.isError === true,
          latency_ms: Math.round(latencyMs),
        },
      };
    });
  },
});
