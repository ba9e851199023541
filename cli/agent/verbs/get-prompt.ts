import { z } from 'zod';
import { withConnection } from '../connection.js';
import { ProtocolOut, protocolOf } from '../era.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

/** `get_prompt`: one prompts/get, its messages returned as data; the twin of call_tool. */
export const getPrompt = defineVerb({
  name: 'get_prompt',
  title: 'Get one prompt of an MCP server',
  description:
    'Get one prompt of an MCP server (prompts/get) with its arguments and return its `messages` (role and content) as the server answered them. An unknown prompt fails with `not_found` naming the prompts the server has. Same target fields as list_tools.',
  input: {
    ...TargetInput,
    name: z.string().min(1).describe('The prompt name, as `mcptest prompts` lists it.'),
    arguments: z
      .record(z.string(), z.string())
      .optional()
      .describe('The prompt arguments: an object of strings.'),
  },
  output: {
    name: z.string(),
    description: z.string().optional(),
    messages: z.array(z.object({ role: z.string(), content: z.record(z.string(), z.unknown()) })),
    protocol: ProtocolOut,
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(args, ctx) {
    return withConnection(args, ctx, async (conn) => {
      let res: Awaited<ReturnType<typeof conn.client.getPrompt>>;
      try {
        res = await conn.client.getPrompt(
          { name: args.name, arguments: args.arguments ?? {} },
          { timeout: conn.target.timeoutMs, signal: ctx.signal },
        );
      } catch (err) {
        const explained = conn.explain(err);
        if (explained.code.startsWith('auth')) throw explained;
        const { unknownPrompt } = await import('../../mcp/unknown-item.js');
        throw (await unknownPrompt(conn, args.name, explained)) ?? explained;
      }
      return {
        data: {
          name: args.name,
          ...(res.description ? { description: res.description } : {}),
          messages: res.messages as Array<{ role: string; content: Record<string, unknown> }>,
          protocol: protocolOf(conn),
        },
      };
    });
  },
});
