/**
 * Every tool of a server, following `nextCursor` pages (MCP spec 2025-11-25, "Pagination").
 * Bounded: a server that keeps handing out cursors, or hands out the same one twice, gets a
 * `server_error` instead of a command that never ends.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { McptestError } from '../../shared/errors.js';
import type { McpConnection } from './connect.js';

/** Pages of tools/list followed before giving up on a server whose cursors never run out. */
export const MAX_TOOL_PAGES = 100;

/** What paging needs of a client: the SDK Client, or the runner's narrower view of it. */
export interface ToolLister<T> {
  listTools(
    params?: { cursor?: string },
    options?: { timeout?: number; signal?: AbortSignal },
  ): Promise<{
    tools: T[];
    nextCursor?: string;
  }>;
}

/** Every page of tools/list; errors from the client are thrown as they come. */
export async function pagedTools<T>(
  client: ToolLister<T>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T[]> {
  const tools: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const res = await client.listTools(cursor ? { cursor } : undefined, {
      timeout: options.timeoutMs,
      signal: options.signal,
    });
    tools.push(...res.tools);
    cursor = res.nextCursor;
    if (!cursor) return tools;
    if (seen.has(cursor)) {
      throw new McptestError(
        'server_error',
        `the server's tools/list handed out the cursor ${JSON.stringify(cursor.slice(0, 40))} twice`,
      );
    }
    seen.add(cursor);
  }
  throw new McptestError(
    'server_error',
    `the server's tools/list still had more after ${MAX_TOOL_PAGES} pages (${tools.length} tools); mcptest stops there`,
  );
}

/** Every tool of a connected server; a refusal or failure becomes the connection's own error. */
export async function listAllTools(
  conn: McpConnection,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Tool[]> {
  try {
    return await pagedTools(conn.client, {
      timeoutMs: options.timeoutMs ?? conn.target.timeoutMs,
      signal: options.signal,
    });
  } catch (err) {
    throw conn.explain(err);
  }
}
