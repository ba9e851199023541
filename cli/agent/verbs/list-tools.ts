import { z } from 'zod';
import { listAllTools } from '../../mcp/list-tools.js';
import { withConnection } from '../connection.js';
import { ProtocolOut, protocolOf } from '../era.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

export const ToolOut = z.object({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the arguments.'),
  outputSchema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema of structuredContent.'),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

/** `list_tools`: the server's tools with their schemas. */
export const listTools = defineVerb({
  name: 'list_tools',
  title: 'List the tools of an MCP server',
  description:
    'List the tools an MCP server offers (name, description, JSON Schema of inputs and outputs). Give `url` plus one auth source: `bearer_token_env` (NAME of an env var holding a token), the client-credentials fields, or nothing to use a cached `mcptest login`. Or give `command`/`args` for a stdio server. On an auth failure the result has isError and `error.ask_human` says what to ask the human for.',
  input: TargetInput,
  output: {
    server: z.object({ name: z.string(), version: z.string() }).nullable(),
    tools: z.array(ToolOut),
    protocol: ProtocolOut,
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(args, ctx) {
    return withConnection(args, ctx, async (conn) => {
      const tools = await listAllTools(conn, { signal: ctx.signal });
      return {
        data: {
          server: conn.serverInfo ? { name: conn.serverInfo.name, version: conn.serverInfo.version } : null,
          tools: tools.map((t) => ({
            name: t.name,
            ...(t.title ? { title: t.title } : {}),
            ...(t.description ? { description: t.description } : {}),
            inputSchema: t.inputSchema as Record<string, unknown>,
            ...(t.outputSchema ? { outputSchema: t.outputSchema as Record<string, unknown> } : {}),
            ...(t.annotations ? { annotations: t.annotations as Record<string, unknown> } : {}),
          })),
          protocol: protocolOf(conn),
        },
      };
    });
  },
});
