/**
 * Every tool (prompt, resource) of a server, following `nextCursor` pages (MCP spec 2025-11-25,
 * "Pagination"). Bounded: a server that keeps handing out cursors, or hands out the same one
 * twice, gets a `server_error` instead of a command that never ends. Each page is its own
 * request (the SDK's `listTools()` without a cursor would walk the pages itself, with its own
 * bound, and cache the result): mcptest tests what the server sends, page by page.
 */
import type {
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import type { McpConnection } from './connect.js';

/** Pages of a list followed before giving up on a server whose cursors never run out. */
export const MAX_TOOL_PAGES = 100;

type Page<T> = { items: T[]; nextCursor?: string };
type RequestOptions = { timeout?: number; signal?: AbortSignal };

/** What paging needs of a client: the SDK Client, or the runner's narrower view of it. */
export interface ToolLister {
  request(
    req: { method: string; params?: Record<string, unknown> },
    schema: any,
    options?: RequestOptions,
  ): Promise<any>;
}

type ListResult =
  | 'ListToolsResult'
  | 'ListPromptsResult'
  | 'ListResourcesResult'
  | 'ListResourceTemplatesResult';

/** One page of `method`: the server's own answer, validated against the spec's result schema. */
async function onePage(
  client: ToolLister,
  method: string,
  schema: ListResult,
  cursor: string | undefined,
  options: RequestOptions,
): Promise<Record<string, unknown> & { nextCursor?: string }> {
  const { specTypeSchemas } = await import('@modelcontextprotocol/client');
  return client.request({ method, params: cursor ? { cursor } : {} }, specTypeSchemas[schema], options);
}

/** Every page of `method` (tools/list, prompts/list, …); errors from `fetchPage` are thrown as they come. */
async function pagedItems<T>(method: string, noun: string, fetchPage: (cursor?: string) => Promise<Page<T>>) {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const res = await fetchPage(cursor);
    items.push(...res.items);
    cursor = res.nextCursor;
    if (!cursor) return items;
    if (seen.has(cursor)) {
      throw new McptestError(
        'server_error',
        `the server's ${method} handed out the cursor ${JSON.stringify(cursor.slice(0, 40))} twice`,
      );
    }
    seen.add(cursor);
  }
  throw new McptestError(
    'server_error',
    `the server's ${method} still had more after ${MAX_TOOL_PAGES} pages (${items.length} ${noun}); mcptest stops there`,
  );
}

/** Every page of tools/list; errors from the client are thrown as they come. */
export async function pagedTools<T = Tool>(
  client: ToolLister,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T[]> {
  const request = { timeout: options.timeoutMs, signal: options.signal };
  return pagedItems('tools/list', 'tools', async (cursor) => {
    const res = await onePage(client, 'tools/list', 'ListToolsResult', cursor, request);
    return { items: res.tools as T[], nextCursor: res.nextCursor };
  });
}

/** The first page of tools/list only (doctor's look at a server), as the server sent it. */
export async function firstToolsPage(
  client: ToolLister,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ tools: Tool[]; nextCursor?: string }> {
  const res = await onePage(client, 'tools/list', 'ListToolsResult', undefined, {
    timeout: options.timeoutMs,
    signal: options.signal,
  });
  return { tools: res.tools as Tool[], nextCursor: res.nextCursor };
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

/** Every prompt of a connected server (prompts/list). */
export function listAllPrompts(
  conn: McpConnection,
  options: { signal?: AbortSignal } = {},
): Promise<Prompt[]> {
  return listAll(conn, 'prompts/list', 'prompts', options, async (cursor, request) => {
    const res = await onePage(conn.client, 'prompts/list', 'ListPromptsResult', cursor, request);
    return { items: res.prompts as Prompt[], nextCursor: res.nextCursor };
  });
}

/** Every listed resource of a connected server (resources/list). */
export function listAllResources(
  conn: McpConnection,
  options: { signal?: AbortSignal } = {},
): Promise<Resource[]> {
  return listAll(conn, 'resources/list', 'resources', options, async (cursor, request) => {
    const res = await onePage(conn.client, 'resources/list', 'ListResourcesResult', cursor, request);
    return { items: res.resources as Resource[], nextCursor: res.nextCursor };
  });
}

/**
 * Every resource template of a connected server (resources/templates/list). A server that
 * declares resources but does not implement templates (-32601) has none.
 */
export async function listAllResourceTemplates(
  conn: McpConnection,
  options: { signal?: AbortSignal } = {},
): Promise<ResourceTemplate[]> {
  try {
    return await listAll(
      conn,
      'resources/templates/list',
      'resource templates',
      options,
      async (cursor, request) => {
        const res = await onePage(
          conn.client,
          'resources/templates/list',
          'ListResourceTemplatesResult',
          cursor,
          request,
        );
        return { items: res.resourceTemplates as ResourceTemplate[], nextCursor: res.nextCursor };
      },
    );
  } catch (err) {
    if ((err as { details?: { rpcCode?: unknown } }).details?.rpcCode === -32601) return [];
    throw err;
  }
}

/** Every page of one list of a connected server; a refusal or failure becomes the connection's own error. */
async function listAll<T>(
  conn: McpConnection,
  method: string,
  noun: string,
  options: { signal?: AbortSignal },
  fetchPage: (cursor: string | undefined, request: RequestOptions) => Promise<Page<T>>,
): Promise<T[]> {
  const request = { timeout: conn.target.timeoutMs, signal: options.signal };
  try {
    return await pagedItems(method, noun, (cursor) => fetchPage(cursor, request));
  } catch (err) {
    throw conn.explain(err);
  }
}

/** The lists {@link pagedList} follows: each method, its result schema and item key. */
const LIST_METHODS = {
  prompts: { method: 'prompts/list', schema: 'ListPromptsResult', items: 'prompts', noun: 'prompts' },
  resources: {
    method: 'resources/list',
    schema: 'ListResourcesResult',
    items: 'resources',
    noun: 'resources',
  },
  resourceTemplates: {
    method: 'resources/templates/list',
    schema: 'ListResourceTemplatesResult',
    items: 'resourceTemplates',
    noun: 'resource templates',
  },
} as const;

/**
 * Every page of the prompts, resources or resource templates of a client (the runner's narrower
 * view of one too); errors from the client are thrown as they come, as by {@link pagedTools}.
 */
export async function pagedList<T = Record<string, unknown>>(
  client: ToolLister,
  list: keyof typeof LIST_METHODS,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T[]> {
  const { method, schema, items, noun } = LIST_METHODS[list];
  const request = { timeout: options.timeoutMs, signal: options.signal };
  return pagedItems(method, noun, async (cursor) => {
    const res = await onePage(client, method, schema, cursor, request);
    return { items: (res[items] as T[] | undefined) ?? [], nextCursor: res.nextCursor };
  });
}
