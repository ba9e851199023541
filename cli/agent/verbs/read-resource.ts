import { z } from 'zod';
import { withConnection } from '../connection.js';
import { ProtocolOut, protocolOf } from '../era.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

/** `read_resource`: one resources/read, its contents returned as data; the twin of call_tool. */
export const readResource = defineVerb({
  name: 'read_resource',
  title: 'Read one resource of an MCP server',
  description:
    'Read one resource of an MCP server (resources/read) and return its `contents`: each with `uri`, `mimeType`, and `text` or `blob` (base64), plus `bytes` (the decoded size). An unknown URI fails with `not_found` naming the resources the server lists. Same target fields as list_tools.',
  input: {
    ...TargetInput,
    uri: z.string().min(1).describe('The resource URI, as `mcptest resources` lists it.'),
  },
  output: {
    uri: z.string(),
    contents: z.array(
      z.object({
        uri: z.string(),
        mimeType: z.string().optional(),
        text: z.string().optional(),
        blob: z.string().optional().describe('The bytes, base64.'),
        bytes: z.number().describe('Size in bytes: of the UTF-8 text, or of the decoded blob.'),
      }),
    ),
    protocol: ProtocolOut,
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(args, ctx) {
    return withConnection(args, ctx, async (conn) => {
      let res: Awaited<ReturnType<typeof conn.client.readResource>>;
      try {
        res = await conn.client.readResource(
          { uri: args.uri },
          { timeout: conn.target.timeoutMs, signal: ctx.signal },
        );
      } catch (err) {
        const explained = conn.explain(err);
        if (explained.code.startsWith('auth')) throw explained;
        const { unknownResource } = await import('../../mcp/unknown-item.js');
        throw (await unknownResource(conn, args.uri, explained)) ?? explained;
      }
      const contents = (
        res.contents as Array<{ uri: string; mimeType?: string; text?: string; blob?: string }>
      ).map((c) => ({
        uri: c.uri,
        ...(c.mimeType ? { mimeType: c.mimeType } : {}),
        ...(typeof c.text === 'string' ? { text: c.text } : {}),
        ...(typeof c.blob === 'string' ? { blob: c.blob } : {}),
        bytes:
          typeof c.blob === 'string'
            ? Buffer.from(c.blob, 'base64').length
            : Buffer.byteLength(c.text ?? '', 'utf8'),
      }));
      return { data: { uri: args.uri, contents, protocol: protocolOf(conn) } };
    });
  },
});
