/**
 * The bridge's side towards the server: the SDK 2.x Streamable HTTP client transport (or the
 * legacy HTTP+SSE one, when the server refuses a Streamable HTTP `initialize`) on the connection
 * layer's authenticated fetch, carrying every message of the host unchanged in either era.
 *
 * - 2025 era: the host's `initialize` opens a session; the negotiated version goes on every later
 *   request; the GET stream carries what the server sends unasked; `stop()` DELETEs the session.
 * - 2026-07-28 era: each request carries its version in `_meta`; the transport derives
 *   `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` from it, and the bridge adds the
 *   `Mcp-Param-*` headers of the tool called (cli/mcp/param-headers.ts). Each request has a stream of its
 *   own (`input_required` results, `subscriptions/listen` notifications); a host's
 *   `notifications/cancelled` for such a request closes its stream, which is how this era cancels
 *   over HTTP, instead of being posted.
 *
 * A 403 `insufficient_scope` is retried after a step-up when the token source can step up by
 * itself (client credentials re-mint); else the host gets the error naming the login command.
 * @see MCP spec 2026-07-28 "Transports" (Streamable HTTP, Cancellation), 2025-11-25 "Transports"
 */
import type { JSONRPCMessage, Transport, TransportSendOptions } from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import type { FetchLike } from '../mcp/auth-fetch.js';
import { isLegacyHint } from '../mcp/explain-error.js';
import type { StepUpRunner } from '../mcp/step-up.js';
import { describeMessage, errorResponse, requestId } from './messages.js';
import { ParamHeaderBook } from '../mcp/param-headers.js';

/** How long the session's DELETE may hold the exit after the host left. */
const TERMINATE_LIMIT_MS = 5_000;

/** Pages of its own `tools/list` the bridge reads to learn a tool's `Mcp-Param-*` headers. */
const MAX_OWN_PAGES = 20;

/** How long one of the bridge's own requests may take. */
const OWN_REQUEST_TIMEOUT_MS = 30_000;

/** The `_meta` key of the 2026-07-28 per-request protocol version. */
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

type Id = string | number;

export interface RemoteDeps {
  endpoint: URL;
  serverUrl: string;
  fetch: FetchLike;
  stepUp: StepUpRunner | null;
  /** True when the last failure was the server refusing the token (no fallback then). */
  refused(): boolean;
  /** An error the transport threw, as the host should read it. */
  explain(err: unknown): McptestError;
  toHost(message: JSONRPCMessage): void;
  log(line: string): void;
  /** A `--verbose` line. */
  trace(line: string): void;
}

/** A request of the host still waiting for its answer. */
interface InFlight {
  method: string;
  modern: boolean;
  /** Closes this request's stream (2026-07-28: the way to cancel it over HTTP). */
  abort: AbortController;
}

/** The 2026-07-28 version a message's `_meta` carries, or null (a 2025-era message). */
export function envelopeVersion(message: JSONRPCMessage): string | null {
  const params = (message as { params?: { _meta?: Record<string, unknown> } }).params;
  const v = params?._meta?.[VERSION_KEY];
  return typeof v === 'string' ? v : null;
}

/** 2026-07-28 and later: the stateless era. */
function isModern(version: string | null): boolean {
  return version !== null && version >= '2026-07-28';
}

/** The envelope of a request's `_meta` (version, client info and capabilities), for requests of the bridge's own. */
function envelopeOf(message: JSONRPCMessage): Record<string, unknown> {
  const meta = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta ?? {};
  return Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith('io.modelcontextprotocol/')));
}

export class Remote {
  private readonly streamable: Transport & {
    sessionId?: string;
    terminateSession(): Promise<void>;
    setProtocolVersion(v: string): void;
  };
  private transport: Transport;
  private readonly inFlight = new Map<Id, InFlight>();
  private readonly own = new Map<Id, { resolve(result: unknown): void; reject(err: Error): void }>();
  private readonly book = new ParamHeaderBook();
  private listing: Promise<void> | null = null;
  private ownCount = 0;
  private initializeId: Id | null = null;
  private stopped = false;

  private constructor(
    private readonly deps: RemoteDeps,
    private readonly sdk: typeof import('@modelcontextprotocol/client'),
  ) {
    this.streamable = new sdk.StreamableHTTPClientTransport(deps.endpoint, {
      fetch: deps.fetch,
    }) as Remote['streamable'];
    this.transport = this.streamable;
    this.wire(this.streamable);
  }

  static async start(deps: RemoteDeps): Promise<Remote> {
    const remote = new Remote(deps, await import('@modelcontextprotocol/client'));
    await remote.streamable.start();
    return remote;
  }

  private wire(t: Transport): void {
    t.onmessage = (message) => this.fromServer(message);
    t.onerror = (err) => {
      if (!this.stopped) this.deps.log(`${this.deps.serverUrl}: ${err.message}`);
    };
  }

  private fromServer(message: JSONRPCMessage): void {
    const id = 'id' in message && !('method' in message) ? (message.id as Id) : null;
    if (id !== null) {
      const mine = this.own.get(id);
      if (mine) {
        this.own.delete(id);
        if ('result' in message) mine.resolve(message.result);
        else mine.reject(new Error((message as { error?: { message?: string } }).error?.message ?? 'error'));
        return;
      }
      const request = this.inFlight.get(id);
      this.inFlight.delete(id);
      if (request?.method === 'tools/list' && 'result' in message) this.book.learn(message.result);
      // The SDK's Client tells its transport the negotiated version; here the bridge does.
      if (id === this.initializeId && 'result' in message) {
        this.initializeId = null;
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === 'string') this.transport.setProtocolVersion?.(version);
      }
    }
    this.deps.toHost(message);
  }

  /** Forwards one message of the host; a request that cannot be sent is answered with the error. */
  async forward(message: JSONRPCMessage): Promise<void> {
    const id = requestId(message);
    const method = 'method' in message ? message.method : null;
    if (method === 'notifications/cancelled' && this.cancelStream(message)) return;
    const modern = isModern(envelopeVersion(message));
    const options: TransportSendOptions = {};
    let entry: InFlight | undefined;
    if (id !== null && method !== null) {
      const request: InFlight = { method, modern, abort: new AbortController() };
      entry = request;
      this.inFlight.set(id, request);
      if (modern) options.requestSignal = request.abort.signal;
      if (method === 'initialize') this.initializeId = id;
      options.onRequestStreamEnd = () => this.streamEnded(id, request);
    }
    try {
      if (modern && method === 'tools/call') options.headers = await this.paramHeaders(message);
      await this.send(message, options, method === 'initialize');
    } catch (err) {
      if (id !== null) this.inFlight.delete(id);
      if (entry?.abort.signal.aborted || this.stopped) return; // cancelled: no answer is due
      const e = this.deps.explain(err);
      this.deps.log(
        `could not forward ${describeMessage(message)}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}`,
      );
      if (id !== null) this.deps.toHost(errorResponse(id, e));
    }
  }

  /**
   * The server ended the SSE stream of a request: when no answer came on it (and the SDK will
   * not resume it), the host is answered with an error instead of waiting forever.
   */
  private streamEnded(id: Id, request: InFlight): void {
    if (this.stopped || this.inFlight.get(id) !== request) return;
    this.inFlight.delete(id);
    const e = new McptestError(
      'server_error',
      `${this.deps.serverUrl} closed the stream of ${request.method} id=${JSON.stringify(id)} without answering it`,
      { hint: `mcptest doctor --url ${this.deps.serverUrl}` },
    );
    this.deps.log(e.message);
    this.deps.toHost(errorResponse(id, e));
  }

  /**
   * A host's `notifications/cancelled` for a 2026-07-28 request closes that request's stream
   * and is not posted; true when it was one. A 2025-era cancellation is forwarded as it is.
   */
  private cancelStream(message: JSONRPCMessage): boolean {
    const target = (message as { params?: { requestId?: unknown } }).params?.requestId;
    if (typeof target !== 'string' && typeof target !== 'number') return false;
    const request = this.inFlight.get(target);
    if (!request?.modern) return false;
    this.inFlight.delete(target);
    request.abort.abort();
    this.deps.trace(`cancelled ${request.method} id=${JSON.stringify(target)}: its stream is closed`);
    return true;
  }

  private async send(message: JSONRPCMessage, options: TransportSendOptions, isInitialize: boolean) {
    const once = () => this.transport.send(message, options);
    const sendOnce = this.deps.stepUp ? () => (this.deps.stepUp as StepUpRunner).run(once) : once;
    try {
      await sendOnce();
    } catch (err) {
      if (!isInitialize || this.transport !== this.streamable || this.deps.refused() || !isLegacyHint(err))
        throw err;
      await this.fallBack();
      await sendOnce();
    }
  }

  /** The 2024-11-05 HTTP+SSE transport, after the server refused the Streamable HTTP initialize. */
  private async fallBack(): Promise<void> {
    const sse = new this.sdk.SSEClientTransport(this.deps.endpoint, { fetch: this.deps.fetch });
    this.wire(sse);
    await sse.start();
    this.transport = sse;
    this.deps.log(
      `${this.deps.serverUrl} does not speak Streamable HTTP; using the legacy HTTP+SSE transport`,
    );
  }

  /**
   * The `Mcp-Param-*` headers of a 2026-07-28 call. A tool the host never listed through the
   * bridge is looked up with a `tools/list` of the bridge's own (one at a time, every page);
   * when that fails the call goes without them and the server says what it misses.
   */
  private async paramHeaders(message: JSONRPCMessage): Promise<Record<string, string>> {
    const params = (message as { params?: { name?: unknown; arguments?: unknown } }).params;
    const tool = typeof params?.name === 'string' ? params.name : null;
    if (tool === null) return {};
    if (!this.book.knows(tool)) {
      this.listing ??= this.learnTools(envelopeOf(message)).finally(() => {
        this.listing = null;
      });
      await this.listing.catch((err) =>
        this.deps.log(
          `could not list the tools to build the Mcp-Param headers of \`${tool}\`: ${err.message}`,
        ),
      );
    }
    return this.book.headersFor(tool, params?.arguments);
  }

  private async learnTools(envelope: Record<string, unknown>): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_OWN_PAGES; page++) {
      const result = (await this.ownRequest('tools/list', {
        _meta: envelope,
        ...(cursor ? { cursor } : {}),
      })) as { nextCursor?: unknown } | null;
      this.book.learn(result);
      cursor = typeof result?.nextCursor === 'string' ? result.nextCursor : undefined;
      if (!cursor) return;
    }
  }

  /** A request of the bridge's own; its answer goes to the bridge, not to the host. */
  private ownRequest(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = `mcptest-bridge-${++this.ownCount}`;
    const abort = new AbortController();
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.own.delete(id);
        abort.abort();
        reject(new Error(`no answer to ${method} within ${OWN_REQUEST_TIMEOUT_MS / 1000} s`));
      }, OWN_REQUEST_TIMEOUT_MS);
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          abort.abort();
          f(v);
        };
      this.own.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.send({ jsonrpc: '2.0', id, method, params }, { requestSignal: abort.signal }, false).catch(
        (err) => {
          if (this.own.delete(id)) settle(reject)(err as Error);
        },
      );
    });
  }

  /** After the host left: closes every open stream, ends a 2025 session (bounded), closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const request of this.inFlight.values()) request.abort.abort();
    this.inFlight.clear();
    if (this.transport === this.streamable && this.streamable.sessionId !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, TERMINATE_LIMIT_MS);
      });
      await Promise.race([this.streamable.terminateSession().catch(() => undefined), limit]);
      clearTimeout(timer);
    }
    await this.transport.close().catch(() => undefined);
  }
}
