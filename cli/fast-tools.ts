/**
 * `mcptest tools --url URL [--bearer-token-env VAR]` without the SDK: the plain case of the
 * command's most common form (a token from the variable, or the cached login from a running
 * daemon in one round trip), served by two or more HTTP requests written here, at a fraction of
 * the start-up cost of loading the SDK and its schemas (see docs/performance.md).
 *
 * It takes only the modern era, and only an exchange with nothing unusual in it: a
 * `server/discover` answer that offers 2026-07-28, then `tools/list` pages that are complete
 * results whose tools have the shape the spec gives them. Anything else (another status, a
 * redirect, a JSON-RPC error, a server request in the stream, a 2025-era server, a shape this
 * reader does not vouch for, a network failure) hands the command to the full CLI before anything
 * is printed, and the full CLI runs it from the start: its negotiation, its fallbacks and its
 * error messages stay the only ones. Output is the full command's, byte for byte.
 * @see MCP spec 2026-07-28 basic/lifecycle (server/discover), server/tools (tools/list), basic/transports
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ExitCode } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';

const MODERN = '2026-07-28';
/** Pages followed before the full CLI (and its own bound and message) takes over. */
const MAX_PAGES = 100;
/** Bigger answers go to the full CLI. */
const MAX_BODY = 8 * 1024 * 1024;
/**
 * A server this slow to answer goes to the full CLI, which waits with its own timeout (30 s by
 * default) and explains: kept short, since a server that never answers costs this much more.
 */
const FAST_TIMEOUT_MS = 5_000;

/** Thrown for anything the fast listing does not vouch for: the full CLI takes over. */
class HandOver extends Error {}

interface Reply {
  status: number;
  type: string;
  text: string;
  /** The JSON-RPC message that answered (JSON body, or the event that carried it). */
  message: unknown;
  sessionId: string | undefined;
}

/**
 * The URL and token of a plain `tools --url URL --bearer-token-env VAR`, or null. Without
 * `--bearer-token-env` the token is the cached login's (`token: null`: ask the daemon).
 */
export function plainToolsArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { url: URL; token: string | null } | null {
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name !== '--url' && name !== '--bearer-token-env') return null;
    if (values[name] !== undefined) return null;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    values[name] = value;
  }
  const raw = values['--url'];
  const envVar = values['--bearer-token-env'];
  if (!raw) return null;
  let token: string | null = null;
  if (envVar !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envVar)) return null;
    // Unset here may still be set by .env, which the full CLI reads; a value that is not one
    // token gets the full CLI's refusal.
    token = env[envVar]?.trim().replace(/^bearer\s+/i, '') ?? null;
    if (!token || !/^[\x21-\x7e]+$/.test(token)) return null;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  if (url.username || url.password || url.hash) return null;
  return { url, token };
}

/** Lists the tools and returns the exit code, or null to hand the command to the full CLI. */
export async function fastTools(args: readonly string[]): Promise<number | null> {
  const plain = plainToolsArgs(args, process.env);
  if (!plain) return null;
  // `mcptest tools | head` closes stdout early: stop quietly, as the full CLI does.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.ok);
    throw err;
  });
  const token = plain.token ?? (await loginToken(plain.url));
  if (token === null) return null;
  const text = await listToolsFast(plain.url, token);
  if (text === null) return null;
  process.stderr.write(`MCP ${MODERN} (modern)\n`);
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  return ExitCode.ok;
}

/**
 * The cached login's token, from a running daemon in one round trip; null for anything else (no
 * store, no daemon, no login, a refusal), which the full CLI then handles with its messages.
 */
async function loginToken(url: URL): Promise<string | null> {
  try {
    const { canonicalServerUrl, oneShotToken, resolvePaths } = await import('./token-path.js');
    const paths = resolvePaths(process.env);
    if (!fs.existsSync(paths.dbPath)) return null;
    const request = { serverUrl: canonicalServerUrl(url.href), minTtlSeconds: 10 };
    const answer = await oneShotToken(paths, paths.socketPath, request, FAST_TIMEOUT_MS);
    return answer.kind === 'token' ? answer.token.accessToken : null;
  } catch {
    return null;
  }
}

/** The listing `mcptest tools` prints for a modern server, or null when the full CLI must run. */
export async function listToolsFast(url: URL, token: string): Promise<string | null> {
  try {
    return await listTools(url, token);
  } catch {
    // A hand-over, or anything this reader did not foresee: the full CLI runs the command.
    return null;
  }
}

async function listTools(url: URL, token: string): Promise<string> {
  const discover = await request(url, token, 0, 'server/discover', {});
  const versions = discover.supportedVersions;
  if (!Array.isArray(versions) || !versions.includes(MODERN)) throw new HandOver();
  const capabilities = discover.capabilities;
  if (!isObject(capabilities)) throw new HandOver();
  const meta = discover._meta;
  if (meta !== undefined && !isObject(meta)) throw new HandOver();
  const info = meta?.['io.modelcontextprotocol/serverInfo'] ?? discover.serverInfo;
  if (
    info !== undefined &&
    (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string')
  )
    throw new HandOver();
  if (!capabilities.tools) return 'The server declares no tools capability.\n';
  const tools: Array<{ name: string; description?: string; inputSchema: unknown }> = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await request(url, token, page + 1, 'tools/list', cursor ? { cursor } : {});
    if (!Array.isArray(result.tools)) throw new HandOver();
    for (const tool of result.tools) tools.push(checkedTool(tool));
    if (result.nextCursor === undefined) {
      const { formatTools } = await import('./mcp/tool-text.js');
      return formatTools(tools);
    }
    if (typeof result.nextCursor !== 'string' || result.nextCursor === '' || seen.has(result.nextCursor))
      throw new HandOver();
    seen.add(result.nextCursor);
    cursor = result.nextCursor;
  }
  throw new HandOver();
}

/** A tool as the spec shapes it, or a hand-over: the full CLI's validation then reports it. */
function checkedTool(tool: unknown): { name: string; description?: string; inputSchema: unknown } {
  if (!isObject(tool) || typeof tool.name !== 'string') throw new HandOver();
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  if (!optionalString(tool.title) || !optionalString(tool.description)) throw new HandOver();
  const input = tool.inputSchema;
  if (!isObject(input) || input.type !== 'object' || !optionalString(input.$schema)) throw new HandOver();
  if (input.properties !== undefined && !isObject(input.properties)) throw new HandOver();
  if (input.required !== undefined && !isStringArray(input.required)) throw new HandOver();
  const output = tool.outputSchema;
  if (output !== undefined && (!isObject(output) || !optionalString(output.$schema))) throw new HandOver();
  if (tool._meta !== undefined && !isObject(tool._meta)) throw new HandOver();
  if (tool.annotations !== undefined && !plainAnnotations(tool.annotations)) throw new HandOver();
  if (tool.icons !== undefined && !plainIcons(tool.icons)) throw new HandOver();
  return {
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description as string }),
    inputSchema: input,
  };
}

function plainAnnotations(a: unknown): boolean {
  if (!isObject(a)) return false;
  if (a.title !== undefined && typeof a.title !== 'string') return false;
  for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
    if (a[hint] !== undefined && typeof a[hint] !== 'boolean') return false;
  }
  return true;
}

function plainIcons(icons: unknown): boolean {
  return (
    Array.isArray(icons) &&
    icons.every(
      (i) =>
        isObject(i) &&
        typeof i.src === 'string' &&
        (i.mimeType === undefined || typeof i.mimeType === 'string') &&
        (i.sizes === undefined || isStringArray(i.sizes)) &&
        (i.theme === undefined || i.theme === 'light' || i.theme === 'dark'),
    )
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/**
 * One modern request (the envelope in `_meta`, the standard headers) and its complete result.
 * @see MCP spec 2026-07-28 basic/transports §"Standard headers"
 */
async function request(
  url: URL,
  token: string,
  id: number,
  method: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN,
        'io.modelcontextprotocol/clientInfo': { name: 'mcptest', version: VERSION },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
  const reply = await post(url, token, id, method, body);
  // A modern exchange has no session; a server that starts one is for the full CLI to judge.
  if (reply.status !== 200 || reply.sessionId !== undefined) throw new HandOver();
  const message = reply.message;
  if (!isObject(message) || message.jsonrpc !== '2.0' || message.id !== id || 'error' in message)
    throw new HandOver();
  const result = message.result;
  if (!isObject(result) || result.resultType !== 'complete') throw new HandOver();
  return result;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HandOver();
  }
}

/**
 * The answer to request `id` in the complete events of a text/event-stream body so far, or
 * undefined while it has not come. Notifications before it are passed over; a request of the
 * server's own (it wants an answer) is for the full CLI.
 */
function fromEventStream(text: string, id: number): unknown {
  const events = text.replace(/\r\n?/g, '\n').split('\n\n');
  events.pop(); // not complete until its blank line
  for (const event of events) {
    const data = event
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (data.length === 0) continue;
    const message = parse(data.join('\n'));
    if (!isObject(message)) throw new HandOver();
    if ('method' in message) {
      if ('id' in message) throw new HandOver();
      continue;
    }
    if (message.id === id) return message;
  }
  return undefined;
}

/**
 * POSTs one request. A JSON answer is read to its end; an event stream only until the answer to
 * `id` is in (a server may keep the stream open for more).
 */
function post(url: URL, token: string, id: number, method: string, body: string): Promise<Reply> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolveReply, rejectReply) => {
    // A whole-request deadline: a server that trickles its answer is as slow as one that is silent.
    const deadline = setTimeout(() => {
      req.destroy();
      rejectReply(new HandOver());
    }, FAST_TIMEOUT_MS);
    const resolve = (reply: Reply) => {
      clearTimeout(deadline);
      resolveReply(reply);
    };
    const reject = (err: unknown) => {
      clearTimeout(deadline);
      rejectReply(err);
    };
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
          'mcp-protocol-version': MODERN,
          'mcp-method': method,
        },
      },
      (res) => {
        const type = String(res.headers['content-type'] ?? '')
          .split(';')[0]
          .trim()
          .toLowerCase();
        const session = res.headers['mcp-session-id'];
        const reply = (text: string, message?: unknown): Reply => ({
          status: res.statusCode ?? 0,
          type,
          text,
          message,
          sessionId: Array.isArray(session) ? session[0] : session,
        });
        if (res.statusCode !== 200 || (type !== 'application/json' && type !== 'text/event-stream')) {
          res.resume();
          resolve(reply(''));
          return;
        }
        res.setEncoding('utf8');
        let text = '';
        let done = false;
        res.on('data', (chunk: string) => {
          if (done) return;
          text += chunk;
          if (text.length > MAX_BODY) {
            done = true;
            req.destroy();
            reject(new HandOver());
            return;
          }
          if (type !== 'text/event-stream') return;
          try {
            const message = fromEventStream(text, id);
            if (message === undefined) return;
            done = true;
            resolve(reply(text, message));
            req.destroy();
          } catch (err) {
            done = true;
            req.destroy();
            reject(err);
          }
        });
        res.on('end', () => {
          if (done) return;
          done = true;
          try {
            // The last event may end with the stream rather than with a blank line.
            const message = type === 'text/event-stream' ? fromEventStream(`${text}\n\n`, id) : parse(text);
            if (message === undefined) throw new HandOver();
            resolve(reply(text, message));
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', () => reject(new HandOver()));
      },
    );
    req.on('error', () => reject(new HandOver()));
    req.end(body);
  });
}
