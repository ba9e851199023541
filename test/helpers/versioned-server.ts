/**
 * One MCP server in two versions, for the surface diff tests: SDK 2.x `createMcpHandler` serving
 * both eras (the 2025 era stateless), unprotected, on 127.0.0.1 port 0 at `/mcp`. `setVersion`
 * switches what it serves at the same URL, so a suite's snapshot can be checked against v1, then
 * v2. From v1 to v2:
 *
 * - `export_all` is removed (breaking);
 * - `search`: `limit` becomes required (breaking), `mode` loses the enum value `fuzzy`
 *   (breaking), a new optional parameter `offset` (compatible), the output property `total` is
 *   removed (breaking);
 * - `convert`: `value` narrows from number to integer (breaking);
 * - `archive_note`: `destructiveHint` flips from false to true (risky);
 * - a new tool `tag_note` (compatible); the server version goes from 1.0.0 to 2.0.0 (compatible).
 *
 * The prompt `summarize` and the resource `notes://index` are the same in both.
 *
 * `v3` is v1 with the other kinds of change, for the diff's remaining classes:
 *
 * - `export_all` renamed to `export_notes` (same description: breaking, named as a likely rename;
 *   the new name is compatible);
 * - `search` no longer declares an outputSchema (breaking);
 * - `convert` has a rewritten description (risky);
 * - the prompt `summarize` and the `prompts` capability are gone (breaking, both);
 * - the resource `notes://index` is gone (breaking), `notes://all` is new (compatible).
 *
 * ```ts
 * const server = await startVersionedServer('v1');   // { url, setVersion, close }
 * server.setVersion('v2');
 * ```
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { sendWebResponse, toWebRequest } from '../../examples/oauth-server/node-web.js';

export type ServerVersion = 'v1' | 'v2' | 'v3';

export interface VersionedServer {
  url: string;
  version: ServerVersion;
  setVersion(version: ServerVersion): void;
  close(): Promise<void>;
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/** The server of one version (a fresh instance per request, as the SDK's HTTP entry asks). */
function versionedServer(version: ServerVersion): McpServer {
  const v2 = version === 'v2';
  const v3 = version === 'v3';
  const server = new McpServer(
    { name: 'notes', version: v2 ? '2.0.0' : v3 ? '3.0.0' : '1.0.0' },
    {
      capabilities: v3
        ? { tools: { listChanged: true }, resources: {} }
        : { tools: { listChanged: true }, prompts: {}, resources: {} },
    },
  );
  server.registerTool(
    'search',
    {
      description: 'Searches the notes for a query and returns the matching titles.',
      inputSchema: z.object({
        query: z.string().describe('what to look for'),
        limit: v2 ? z.number().int() : z.number().int().optional(),
        mode: z.enum(v2 ? ['fast', 'exact'] : ['fast', 'exact', 'fuzzy']).optional(),
        ...(v2 ? { offset: z.number().int().optional() } : {}),
      }),
      ...(v3
        ? {}
        : {
            outputSchema: z.object({
              results: z.array(z.string()),
              ...(v2 ? {} : { total: z.number().int() }),
            }),
          }),
      annotations: { readOnlyHint: true },
    },
    async ({ query }) =>
      v3
        ? text(`no notes match ${query}`)
        : {
            ...text(`no notes match ${query}`),
            structuredContent: v2 ? { results: [] } : { results: [], total: 0 },
          },
  );
  server.registerTool(
    'convert',
    {
      description: v3
        ? 'Rounds any measurement to the closest whole unit of the metric system.'
        : 'Converts a length in centimetres to inches.',
      inputSchema: z.object({ value: v2 ? z.number().int() : z.number() }),
    },
    async ({ value }) => text(String(value / 2.54)),
  );
  server.registerTool(
    'archive_note',
    {
      description: 'Archives a note by id.',
      inputSchema: z.object({ id: z.string() }),
      annotations: { destructiveHint: v2 },
    },
    async ({ id }) => text(`archived ${id}`),
  );
  if (v2) {
    server.registerTool(
      'tag_note',
      { description: 'Adds a tag to a note.', inputSchema: z.object({ id: z.string(), tag: z.string() }) },
      async ({ id, tag }) => text(`tagged ${id} with ${tag}`),
    );
  } else {
    server.registerTool(
      v3 ? 'export_notes' : 'export_all',
      { description: 'Exports every note as one JSON document.' },
      async () => text('[]'),
    );
  }
  if (!v3)
    server.registerPrompt(
      'summarize',
      {
        description: 'Summarizes a note.',
        argsSchema: z.object({ id: z.string(), style: z.string().optional() }),
      },
      async ({ id }) => ({
        messages: [{ role: 'user', content: { type: 'text', text: `Summarize note ${id}` } }],
      }),
    );
  server.registerResource(
    v3 ? 'all' : 'index',
    v3 ? 'notes://all' : 'notes://index',
    { description: 'The list of notes.', mimeType: 'application/json' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: '[]' }] }),
  );
  return server;
}

/** Starts the server at `version` on 127.0.0.1 (port 0). */
export async function startVersionedServer(version: ServerVersion): Promise<VersionedServer> {
  const state = { version };
  const handlers = {
    v1: createMcpHandler(() => versionedServer('v1'), { legacy: 'stateless' }),
    v2: createMcpHandler(() => versionedServer('v2'), { legacy: 'stateless' }),
    v3: createMcpHandler(() => versionedServer('v3'), { legacy: 'stateless' }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const request = toWebRequest(req, `${origin}${req.url ?? '/'}`, Buffer.concat(chunks), res);
        await sendWebResponse(res, await handlers[state.version].fetch(request));
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/mcp`,
    get version() {
      return state.version;
    },
    setVersion(v) {
      state.version = v;
    },
    close: async () => {
      await Promise.all([handlers.v1.close(), handlers.v2.close(), handlers.v3.close()]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
