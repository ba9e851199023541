/**
 * The daemon's HTTP layer on `node:http`: a router for the handful of /v1 routes, JSON bodies
 * in and out, errors in the IPC shape (`{ error: { code, message, hint? } }`), and `inject()`
 * for tests that drive the routes in-process through the same pipeline. It replaced a web
 * framework that made up two thirds of the modules the daemon loaded before its first answer
 * and a fifth of its memory (docs/performance.md).
 *
 * Every request goes: activity and home check (the daemon's own hook), route, body (at most
 * 1 MiB; JSON, or text/plain as a string), handler, then one JSON answer with a Content-Length
 * (the one-round-trip client reads no chunked answer). While the server closes, requests on
 * connections still open are answered 503 and those connections end.
 */
import http from 'node:http';
import { McptestError } from '../shared/errors.js';

/** What a handler sees of a request. */
export interface IpcRequest {
  method: string;
  /** The request target as sent, query included. */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Path parameters (`:id`), percent-decoded. */
  params: Record<string, string>;
  /** Query parameters; a repeated one is an array. */
  query: Record<string, string | string[]>;
  /** The parsed JSON body, a string for text/plain, undefined when there is none. */
  body: unknown;
}

/** What a handler may set on its answer besides the value it returns. */
export interface IpcReply {
  header(name: string, value: string): void;
  /** The answer's content type; the handler then returns the body as a string. */
  type(contentType: string): void;
}

export type IpcHandler = (req: IpcRequest, reply: IpcReply) => unknown;

/** Runs before the route, for every request; throwing answers with that error. */
export type IpcHook = (req: IpcRequest) => void;

export interface IpcAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What `inject` gives back; `json()` is the parsed body, typed by the test that reads it. */
export interface InjectedAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json(): any;
}

/** The largest request body the daemon reads. */
export const BODY_LIMIT = 1024 * 1024;

const JSON_TYPE = 'application/json; charset=utf-8';

interface Route {
  method: string;
  segments: string[];
  handler: IpcHandler;
}

export class IpcRouter {
  private readonly routes: Route[] = [];

  get(path: string, handler: IpcHandler): void {
    this.add('GET', path, handler);
  }
  post(path: string, handler: IpcHandler): void {
    this.add('POST', path, handler);
  }
  put(path: string, handler: IpcHandler): void {
    this.add('PUT', path, handler);
  }
  delete(path: string, handler: IpcHandler): void {
    this.add('DELETE', path, handler);
  }

  private add(method: string, path: string, handler: IpcHandler): void {
    this.routes.push({ method, segments: path.split('/'), handler });
  }

  /** The route for a method and a raw (still percent-encoded) path, with its parameters. */
  find(method: string, rawPath: string): { handler: IpcHandler; params: Record<string, string> } | null {
    const parts = rawPath.split('/');
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < parts.length && matched; i++) {
        const want = route.segments[i];
        if (want.startsWith(':')) {
          if (parts[i] === '') matched = false;
          else params[want.slice(1)] = decodeSegment(parts[i]);
        } else matched = want === parts[i];
      }
      if (matched) return { handler: route.handler, params };
    }
    return null;
  }
}

/** A refusal of the HTTP layer itself, answered with its own status (415, 413). */
class HttpRefusal extends McptestError {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super('invalid_request', message);
  }
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new McptestError('invalid_request', 'malformed percent-encoding in the request path', {
      hint: 'check the request path: login ids are short; see docs/ipc.md',
    });
  }
}

function parseQuery(search: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  if (!search) return out;
  for (const [key, value] of new URLSearchParams(search)) {
    const had = out[key];
    out[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}

/** JSON.parse, refusing the keys that would reach an object's prototype when copied. */
function parseJson(text: string): unknown {
  if (!text.includes('__proto__') && !text.includes('constructor')) return JSON.parse(text);
  return JSON.parse(text, (key, value) => {
    if (
      key === '__proto__' ||
      (key === 'constructor' && value && typeof value === 'object' && 'prototype' in value)
    ) {
      throw new McptestError('invalid_request', `the request body holds a forbidden key: ${key}`);
    }
    return value;
  });
}

function readBody(method: string, headers: http.IncomingHttpHeaders, raw: Buffer | undefined): unknown {
  if (method === 'GET' || method === 'HEAD' || raw === undefined || raw.length === 0) return undefined;
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/json') {
    try {
      return parseJson(text);
    } catch (err) {
      if (err instanceof McptestError) throw err;
      throw new McptestError('invalid_request', `the request body is not JSON: ${(err as Error).message}`);
    }
  }
  if (type === 'text/plain') return text;
  throw new HttpRefusal(
    415,
    `unsupported content type ${JSON.stringify(type.slice(0, 100) || '(none)')}: send application/json`,
  );
}

function errorAnswer(e: McptestError, status = e.status === 202 ? 409 : e.status): IpcAnswer {
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ error: e.toJSON() }) };
}

export interface IpcServerOptions {
  router: IpcRouter;
  onRequest: IpcHook;
  /** Called for a failure that is not an McptestError (a bug): answered as `internal`. */
  onUnexpected: (err: unknown, req: { method: string; url: string }) => void;
  /** Called once an answer is out. */
  onAnswered: (req: { method: string; url: string }, status: number) => void;
}

/** The pipeline, on an HTTP server or in-process (`inject`). */
export class IpcServer {
  readonly server: http.Server;
  private closing = false;
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly options: IpcServerOptions) {
    this.server = http.createServer((req, res) => this.onHttp(req, res));
    // Keep-alive connections of CLI processes and runners stay open across their requests.
    this.server.keepAliveTimeout = 72_000;
    // Bytes that do not parse as HTTP never reach a route: answer them in the IPC error shape.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return;
      const body = JSON.stringify({
        error: new McptestError(
          'invalid_request',
          `malformed HTTP request (${err.code ?? err.message})`,
        ).toJSON(),
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  /** Answers one request: what the HTTP server and `inject` both run. */
  async answer(
    method: string,
    url: string,
    headers: http.IncomingHttpHeaders,
    raw: Buffer | undefined,
  ): Promise<IpcAnswer> {
    if (this.closing) {
      return errorAnswer(
        new McptestError('daemon_unreachable', 'the auth daemon is stopping', {
          hint: 'run the command again: a new daemon starts on demand',
        }),
      );
    }
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const req: IpcRequest = { method, url, headers, params: {}, query: {}, body: undefined };
    const extra: Record<string, string> = {};
    let contentType: string | null = null;
    const reply: IpcReply = {
      header: (name, value) => {
        extra[name.toLowerCase()] = value;
      },
      type: (t) => {
        contentType = t;
      },
    };
    this.inFlight++;
    try {
      this.options.onRequest(req);
      const route = this.options.router.find(method, rawPath);
      if (!route) {
        return errorAnswer(
          new McptestError('not_found', `no route ${method} ${rawPath.slice(0, 200)}`, {
            hint: 'client and daemon versions may differ: mcptest daemon stop, then run the command again',
          }),
        );
      }
      req.params = route.params;
      req.query = parseQuery(q < 0 ? '' : url.slice(q + 1));
      req.body = readBody(method, headers, raw);
      const value = await route.handler(req, reply);
      if (contentType !== null) {
        return { status: 200, headers: { ...extra, 'content-type': contentType }, body: String(value) };
      }
      return {
        status: 200,
        headers: { ...extra, 'content-type': JSON_TYPE },
        body: JSON.stringify(value ?? null),
      };
    } catch (err) {
      if (err instanceof McptestError) {
        const answer = errorAnswer(err, err instanceof HttpRefusal ? err.httpStatus : undefined);
        Object.assign(answer.headers, extra);
        return answer;
      }
      this.options.onUnexpected(err, { method, url });
      return errorAnswer(
        new McptestError('internal', 'unexpected failure in the auth daemon', {
          hint: 'see the daemon log: mcptest daemon logs',
        }),
      );
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const done of this.idle.splice(0)) done();
    }
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const send = (answer: IpcAnswer, close = false) => {
      if (res.headersSent || res.destroyed) return;
      const headers: http.OutgoingHttpHeaders = {
        ...answer.headers,
        'content-length': Buffer.byteLength(answer.body),
      };
      if (close || this.closing) headers.connection = 'close';
      res.writeHead(answer.status, headers);
      // A string body goes out with the head in one write.
      res.end(answer.body);
      this.options.onAnswered({ method, url }, answer.status);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > BODY_LIMIT) {
      send(tooLarge(), true);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > BODY_LIMIT) {
        refused = true;
        chunks.length = 0;
        send(tooLarge(), true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const raw = chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      this.answer(method, url, req.headers, raw).then(send, (err) => {
        this.options.onUnexpected(err, { method, url });
        res.destroy();
      });
    });
    req.on('error', () => res.destroy());
  }

  /** Drives a request through the whole pipeline without a socket (tests). */
  async inject(request: {
    method: string;
    url: string;
    payload?: unknown;
    headers?: Record<string, string>;
  }): Promise<InjectedAnswer> {
    const headers: http.IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
    let raw: Buffer | undefined;
    if (typeof request.payload === 'string') raw = Buffer.from(request.payload, 'utf8');
    else if (request.payload !== undefined) {
      raw = Buffer.from(JSON.stringify(request.payload), 'utf8');
      headers['content-type'] ??= 'application/json';
    }
    if (raw && raw.length > BODY_LIMIT) {
      const a = tooLarge();
      return { statusCode: a.status, headers: a.headers, body: a.body, json: () => JSON.parse(a.body) };
    }
    const answer = await this.answer(request.method.toUpperCase(), request.url, headers, raw);
    return {
      statusCode: answer.status,
      headers: answer.headers,
      body: answer.body,
      json: () => JSON.parse(answer.body),
    };
  }

  listen(target: { path: string } | { fd: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(target, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Stops accepting connections, answers 503 to requests on the ones still open, and resolves
   * once every request in flight has its answer and every connection is gone.
   */
  async close(): Promise<void> {
    this.closing = true;
    const closed = this.server.listening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    this.server.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await closed;
  }
}

function tooLarge(): IpcAnswer {
  return errorAnswer(new HttpRefusal(413, `request body over ${BODY_LIMIT / 1024 / 1024} MiB`), 413);
}
