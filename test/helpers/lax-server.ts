/**
 * A test MCP server (SDK 2.x low-level `Server`, so nothing validates arguments for it) whose
 * tools refuse bad input in every way a real server does, and one that does not refuse at all:
 *
 * - `echo` `{ text: string }`: a tool error (`isError: true`) for bad arguments, like SDK servers.
 * - `add` `{ a: number, b: number }`: the JSON-RPC error -32602 (invalid params).
 * - `gate` `{ text: string }`: over HTTP, the front answers bad arguments with an HTTP 400 whose
 *   body is the JSON-RPC error -32602 (what a strict 2026-07-28 gateway may do); over stdio, -32602.
 * - `store` `{ key: string, count: integer }`: accepts anything (the server that "accepts garbage").
 * - `internal` `{ text: string }`: answers bad arguments with -32603 (internal error), not -32602.
 * - `crash` `{ text: string }`, only with `{ crash: true }` (stdio `--crash`): bad arguments make
 *   the server process exit, as a server that crashes on garbage does.
 *
 * No prompts or resources (a coverage report must not count them as 0/0). Served over stdio by
 * `lax-stdio-server.ts` (both eras) and over HTTP by {@link startLaxHttpServer} (both eras).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMcpHandler, ProtocolError, Server } from '@modelcontextprotocol/server';

const TOOLS = [
  {
    name: 'echo',
    description: 'Returns the text; a tool error for bad arguments.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  {
    name: 'add',
    description: 'Adds two numbers; -32602 for bad arguments.',
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  },
  {
    name: 'gate',
    description: 'Returns the text; over HTTP bad arguments get an HTTP 400 carrying -32602.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  {
    name: 'store',
    description: 'Stores a count under a key; validates nothing.',
    inputSchema: {
      type: 'object',
      properties: { key: { type: 'string' }, count: { type: 'integer' } },
      required: ['key', 'count'],
    },
  },
  {
    name: 'internal',
    description: 'Returns the text; bad arguments get -32603.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
] as const;

/** True when `args` gives a string `text`. */
function goodText(args: Record<string, unknown>): boolean {
  return typeof args.text === 'string';
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

const CRASH_TOOL = {
  name: 'crash',
  description: 'Returns the text; bad arguments make the server exit.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
} as const;

/** A fresh low-level server carrying the tools above (`crash` only when asked for). */
export function laxServer(options: { crash?: boolean } = {}): Server {
  const server = new Server({ name: 'mcptest-lax', version: '1.0.0' }, { capabilities: { tools: {} } });
  const tools = options.crash ? [...TOOLS, CRASH_TOOL] : TOOLS;
  server.setRequestHandler('tools/list', async () => ({ tools: tools.map((t) => ({ ...t })) as never }));
  server.setRequestHandler('tools/call', async (request) => {
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    switch (request.params.name) {
      case 'echo':
        if (!goodText(args)) return { ...text('text must be a string'), isError: true };
        return text(args.text as string);
      case 'add':
        if (typeof args.a !== 'number' || typeof args.b !== 'number') {
          throw new ProtocolError(-32602, 'a and b must be numbers');
        }
        return text(String(args.a + args.b));
      case 'gate':
        if (!goodText(args)) throw new ProtocolError(-32602, 'text must be a string');
        return text(args.text as string);
      case 'store':
        return text(`stored ${JSON.stringify(args)}`);
      case 'internal':
        if (!goodText(args)) throw new ProtocolError(-32603, 'something broke inside');
        return text(args.text as string);
      case 'crash':
        if (options.crash && !goodText(args)) process.exit(3);
        return text(String(args.text));
      default:
        throw new ProtocolError(-32602, `no tool ${request.params.name}`);
    }
  });
  return server;
}

/** Where the built stdio twin lives. */
export const LAX_STDIO_SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'lax-stdio-server.js',
);

export interface LaxHttpServer {
  url: string;
  /** How many tools/call of `gate` the front refused with an HTTP 400. */
  gateRefusals: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** The lax server over Streamable HTTP on 127.0.0.1 (both eras, stateless), at `/mcp`. */
export async function startLaxHttpServer(): Promise<LaxHttpServer> {
  const handler = createMcpHandler(() => laxServer(), { legacy: 'stateless' });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state: LaxHttpServer = {
    url: `${origin}/mcp`,
    gateRefusals: 0,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      let message: { id?: unknown; method?: unknown; params?: { name?: unknown; arguments?: unknown } } = {};
      try {
        message = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        // the handler answers a bad body
      }
      const args = (message.params?.arguments ?? {}) as Record<string, unknown>;
      if (message.method === 'tools/call' && message.params?.name === 'gate' && !goodText(args)) {
        state.gateRefusals++;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id ?? null,
            error: { code: -32602, message: 'Invalid params: text must be a string' },
          }),
        );
        return;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      const method = req.method ?? 'GET';
      const request = new Request(new URL(req.url ?? '/', origin), {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' || body.length === 0 ? undefined : new Uint8Array(body),
      });
      await sendWebResponse(res, await handler.fetch(request));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return state;
}
