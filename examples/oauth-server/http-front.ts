/**
 * The HTTP side every example MCP server shares, whichever SDK answers MCP: a loopback listener,
 * the request log (never a token), the RFC 9728 protected-resource metadata, 404 for other paths,
 * and the body of `/mcp` POSTs read and parsed once. The era modules plug their `/mcp` handler in.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';

/** One request the MCP server saw. Records whether Authorization was sent, never its value. */
export interface McpRequest {
  at: number;
  method: string;
  path: string;
  authorization: boolean;
  status: number;
  /** JSON-RPC method(s) of a POST body, comma-separated for a batch. */
  rpcMethod?: string;
  /** Tool name of a `tools/call`. */
  tool?: string;
}

/** A `/mcp` request with its body: `parsed` is the JSON of a POST, `raw` its bytes. */
export interface McpExchange {
  req: IncomingMessage;
  res: ServerResponse;
  entry: McpRequest;
  raw?: Buffer;
  parsed?: unknown;
}

export interface HttpFront {
  readonly url: string;
  readonly origin: string;
  readonly resourceMetadataUrl: string;
  readonly requests: McpRequest[];
  /** Sets who answers `/mcp`. */
  serve(handler: (exchange: McpExchange) => Promise<void>): void;
  close(): Promise<void>;
}

export interface HttpFrontOptions {
  port?: number;
  /** Serve the protected-resource metadata (only when the server wants tokens). */
  auth: boolean;
  issuer?: string;
  scopesSupported?: string[];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Tool names called by a JSON-RPC message or batch. */
export function calledTools(messages: unknown[]): string[] {
  return messages.flatMap((message: any) =>
    message?.method === 'tools/call' && typeof message.params?.name === 'string' ? [message.params.name] : [],
  );
}

/**
 * Listens on 127.0.0.1 with the MCP endpoint at `/mcp`.
 * @see RFC 9728 §3 (protected-resource metadata at the path-suffixed well-known URL)
 */
export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  const requests: McpRequest[] = [];
  const loopback = await listenOnLoopback(options.port);
  const origin = `http://127.0.0.1:${loopback.port}`;
  const url = `${origin}/mcp`;
  const resourceMetadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const metadata = {
    resource: url,
    authorization_servers: options.issuer ? [options.issuer] : [],
    scopes_supported: options.scopesSupported ?? ['mcp:read', 'mcp:write', 'mcp:admin'],
    bearer_methods_supported: ['header'],
    resource_name: 'mcptest example MCP server',
  };
  let handler: ((exchange: McpExchange) => Promise<void>) | undefined;

  async function handleMcp(req: IncomingMessage, res: ServerResponse, entry: McpRequest): Promise<void> {
    const exchange: McpExchange = { req, res, entry };
    if (req.method === 'POST') {
      exchange.raw = await readBody(req);
      try {
        exchange.parsed = JSON.parse(exchange.raw.toString('utf8'));
      } catch {
        sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
        return;
      }
      const messages = Array.isArray(exchange.parsed) ? exchange.parsed : [exchange.parsed];
      entry.rpcMethod = messages.map((message: any) => String(message?.method ?? '')).join(',') || undefined;
      entry.tool = calledTools(messages).join(',') || undefined;
    }
    if (!handler) throw new Error('no MCP handler');
    await handler(exchange);
  }

  loopback.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    const entry: McpRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const handled = (async () => {
      if (
        options.auth &&
        req.method === 'GET' &&
        (path === '/.well-known/oauth-protected-resource/mcp' ||
          path === '/.well-known/oauth-protected-resource')
      ) {
        sendJson(res, 200, metadata, { 'access-control-allow-origin': '*' });
      } else if (path === '/mcp') {
        await handleMcp(req, res, entry);
      } else {
        sendJson(res, 404, { error: 'not_found' });
      }
    })();
    handled.catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(error) });
      else res.destroy();
    });
  });

  return {
    url,
    origin,
    resourceMetadataUrl,
    requests,
    serve: (h) => {
      handler = h;
    },
    close: () => loopback.close(),
  };
}
