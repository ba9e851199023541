/**
 * Unprotected (or bearer-guarded) MCP test servers of the three kinds a client meets, on
 * 127.0.0.1 port 0, over Streamable HTTP, plus the command line of their stdio twins:
 *
 * - `modern`: SDK 2.x `createMcpHandler(factory, { legacy: 'reject' })`, the 2026-07-28 era only
 *   (a strict 2026 deployment; a 2025 client gets -32022 naming the supported versions).
 * - `dual`: SDK 2.x serving both eras, the way a default v2 server does; its 2025-era traffic is
 *   routed (`isLegacyRequest`) to a sessionful v2 transport so server requests (elicitation,
 *   sampling, roots) work in that era too, and a session can be DELETEd.
 * - `legacy`: SDK 1.x, sessionful Streamable HTTP, 2025 era only.
 *
 * Every server carries the tools of era-tools.ts: `echo`, `ask_name`, `ask_url`, `ask_model`,
 * `ask_roots`, `add_tool`, and in the modern era `ask_forever`. `requests` records each HTTP request (method, JSON-RPC methods, headers of note)
 * so a test can assert on the wire.
 *
 * ```ts
 * const server = await startEraServer('modern');               // { kind, url, requests, close }
 * const guarded = await startEraServer('dual', { bearer: (t) => t === 'good' });
 * const scoped = await startEraServer('modern', { guard: ({ token, tools }) => (tools.includes('echo') && !ok(token) ? { status: 403, wwwAuthenticate: '...' } : null) });
 * const flags = eraStdioFlags('legacy');                        // ['--command', node, '--arg', script, '--arg', '--era', '--arg', 'legacy']
 * await server.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { type AddedTools, legacyEraServer, modernEraServer } from './era-tools.js';

export { ASK_MODEL_PROMPT, ASK_NAME_MESSAGE, ASK_URL, ASK_URL_MESSAGE } from './era-tools.js';

/** The three server kinds. */
export type EraServerKind = 'modern' | 'dual' | 'legacy';

export interface EraServerOptions {
  /**
   * Guards the endpoint with a bearer token: called with the token of each request (null when
   * none); false answers 401 with `WWW-Authenticate: Bearer realm="era"`.
   */
  bearer?: (token: string | null) => boolean;
  /**
   * A finer guard, consulted after `bearer`: given the token and the JSON-RPC methods and tool
   * names of a POST, answer a refusal (`{ status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope", scope="..."' }`)
   * or null to serve the request.
   */
  guard?: (request: { token: string | null; rpcMethods: string[]; tools: string[] }) => {
    status: 401 | 403;
    wwwAuthenticate: string;
  } | null;
  /** Also serve `regional_echo` (modern and dual kinds): an `x-mcp-header` parameter (era-tools.ts). */
  paramHeaderTool?: boolean;
}

/** One HTTP request the server received. */
export interface EraRequest {
  method: string;
  /** JSON-RPC methods of a POST body, in order. */
  rpcMethods: string[];
  protocolVersionHeader: string | null;
  sessionId: string | null;
  authorized: boolean;
  /** The `Mcp-Method` header, and the `Mcp-Param-*` headers by lower-case name. */
  mcpMethodHeader: string | null;
  paramHeaders: Record<string, string>;
}

export interface EraServer {
  kind: EraServerKind;
  /** The MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  requests: EraRequest[];
  /** Tools added by `add_tool` so far. */
  added: string[];
  close(): Promise<void>;
}

/** Where the built stdio twin lives (`node dist/test/helpers/era-stdio-server.js --era KIND`). */
export const ERA_STDIO_SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'era-stdio-server.js',
);

/** The `--command`/`--arg` flags that start the stdio twin of `kind` with this Node. */
export function eraStdioFlags(kind: EraServerKind): string[] {
  return ['--command', process.execPath, '--arg', ERA_STDIO_SCRIPT, '--arg', '--era', '--arg', kind];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toWebRequest(req: IncomingMessage, origin: string, body: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' || body.length === 0 ? undefined : new Uint8Array(body),
  });
}

async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // the client went away
  }
  res.end();
}

function toolNames(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list
      .filter((m) => (m as { method?: unknown })?.method === 'tools/call')
      .map((m) => String((m as { params?: { name?: unknown } }).params?.name ?? ''));
  } catch {
    return [];
  }
}

function rpcMethods(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((m) => String((m as { method?: unknown })?.method ?? '')).filter(Boolean);
  } catch {
    return [];
  }
}

/** Starts a server of `kind` on 127.0.0.1 (port 0) at `/mcp`. */
export async function startEraServer(
  kind: EraServerKind,
  options: EraServerOptions = {},
): Promise<EraServer> {
  const requests: EraRequest[] = [];
  const added: AddedTools = { names: [], paramHeaderTool: options.paramHeaderTool };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const closers: Array<() => Promise<void>> = [];

  let serve: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;
  if (kind === 'legacy') {
    const sessions = new Map<string, StreamableHTTPServerTransport>();
    serve = async (req, res, body) => {
      const parsed = body.length ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const transport = sessions.get(id);
        if (!transport) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              error: { code: -32001, message: 'Session not found' },
              id: null,
            }),
          );
          return;
        }
        await transport.handleRequest(req, res, parsed);
        return;
      }
      const mcp = legacyEraServer(added);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          sessions.set(sid, transport);
        },
        onsessionclosed: (sid) => {
          sessions.delete(sid);
          void mcp.close();
        },
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, parsed);
    };
    closers.push(async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
    });
  } else {
    const handler = createMcpHandler(({ era }) => modernEraServer(era, added), {
      legacy: kind === 'modern' ? 'reject' : 'stateless',
    });
    added.changed = () => handler.notify.toolsChanged();
    closers.push(() => handler.close());
    // The dual server's 2025 traffic: sessionful, so server requests reach the client and back.
    const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
    const legacyServe = async (request: Request): Promise<Response> => {
      const id = request.headers.get('mcp-session-id');
      if (id) {
        const transport = sessions.get(id);
        if (!transport) {
          return Response.json(
            { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null },
            { status: 404 },
          );
        }
        return transport.handleRequest(request);
      }
      const mcp = modernEraServer('legacy', added);
      const transport: WebStandardStreamableHTTPServerTransport =
        new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => {
            sessions.set(sid, transport);
          },
          onsessionclosed: (sid) => {
            sessions.delete(sid);
            void mcp.close();
          },
        });
      await mcp.connect(transport);
      return transport.handleRequest(request);
    };
    closers.push(async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
    });
    serve = async (req, res, body) => {
      const request = toWebRequest(req, origin, body);
      const legacy = kind === 'dual' && (await isLegacyRequest(request.clone()));
      await sendWebResponse(res, legacy ? await legacyServe(request) : await handler.fetch(request));
    };
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
      const authorized = options.bearer ? options.bearer(token) : true;
      requests.push({
        method: req.method ?? 'GET',
        rpcMethods: rpcMethods(body),
        protocolVersionHeader: (req.headers['mcp-protocol-version'] as string | undefined) ?? null,
        sessionId: (req.headers['mcp-session-id'] as string | undefined) ?? null,
        authorized,
        mcpMethodHeader: (req.headers['mcp-method'] as string | undefined) ?? null,
        paramHeaders: Object.fromEntries(
          Object.entries(req.headers).filter(
            (e): e is [string, string] => e[0].startsWith('mcp-param-') && typeof e[1] === 'string',
          ),
        ),
      });
      if (new URL(req.url ?? '/', origin).pathname !== '/mcp') {
        res.writeHead(404).end('not found');
        return;
      }
      if (!authorized) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="era"', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_token' }));
        return;
      }
      const refusal = options.guard?.({ token, rpcMethods: rpcMethods(body), tools: toolNames(body) });
      if (refusal) {
        const entry = requests.at(-1);
        if (entry) entry.authorized = false;
        res.writeHead(refusal.status, {
          'www-authenticate': refusal.wwwAuthenticate,
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ error: refusal.status === 403 ? 'insufficient_scope' : 'invalid_token' }));
        return;
      }
      await serve(req, res, body);
    })().catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });

  return {
    kind,
    url,
    requests,
    added: added.names,
    close: async () => {
      for (const close of closers) await close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
