/**
 * One load run: `concurrency` workers calling one tool as fast as the server answers (or at a
 * fixed offered `rate` over all of them), over `connections` MCP connections, until `requests`
 * calls were sent or `durationMs` passed, whichever comes first. Every connection asks the
 * daemon for the token per request, so a token that expires mid-run is refreshed once, by the
 * daemon, for every worker. What each call did goes to LoadStats; the caller prints.
 */
import { setMaxListeners } from 'node:events';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import type { McpConnection } from '../mcp/connect.js';
import type { ProtocolEra } from '../mcp/target.js';
import { type ErrorKind, LoadStats } from './stats.js';

export interface LoadPlan {
  tool: string;
  args: Record<string, unknown>;
  concurrency: number;
  connections: number;
  /** Requests per second over all workers; unset: each worker sends as soon as it has an answer. */
  rate?: number;
  /** Stop sending after this many calls. */
  requests?: number;
  /** Stop sending after this long. */
  durationMs?: number;
  /** The limit of one call. */
  callTimeoutMs: number;
  /** The limit of the requests before the run (the tool list); --timeout, not the call's limit. */
  setupTimeoutMs?: number;
}

export interface LoadRun {
  stats: LoadStats;
  elapsedMs: number;
  sent: number;
  interrupted: boolean;
  era: ProtocolEra;
  protocolVersion: string | undefined;
  transport: McpConnection['transport'];
}

export interface LoadDeps {
  /** Opens one connection (the CLI's connectToServer with its IO). */
  connect(): Promise<McpConnection>;
  signal?: AbortSignal;
  /** Called every `progressMs` while the run goes on, with the calls sent and not yet answered. */
  onProgress?(stats: LoadStats, inFlight: number, elapsedMs: number): void;
  progressMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The kind of a thrown error: a JSON-RPC error answer has a numeric code; auth errors say so; a
 * call that ran out of time is the transport's, whatever code the SDK gave it (1.x: -32001).
 */
export function errorKind(err: unknown, explained: McptestError): ErrorKind {
  if (explained.exitCode === 3) return 'auth';
  if (explained.code === 'timeout') return 'transport';
  return typeof (err as { code?: unknown })?.code === 'number' ? 'jsonrpc' : 'transport';
}

/** The tool's definition on a 2026-07-28 connection (for its Mcp-Param headers); refuses a tool the server lacks. */
async function toolDefinition(conn: McpConnection, tool: string, timeoutMs: number) {
  const { pagedTools } = await import('../mcp/list-tools.js');
  const tools = await pagedTools(conn.client, { timeoutMs });
  const found = tools.find((t) => t.name === tool);
  if (!found) {
    const names = tools.map((t) => t.name);
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
    throw new McptestError(
      'not_found',
      `the server has no tool named \`${tool}\` (${names.length ? `it has: ${shown}` : 'it lists no tools'})`,
      { hint: 'mcptest tools --url URL' },
    );
  }
  return found;
}

export async function runLoad(plan: LoadPlan, deps: LoadDeps): Promise<LoadRun> {
  const conns: McpConnection[] = [];
  try {
    // Opened one after another: the first one's failure (no login, a wrong URL) is the answer.
    conns.push(await deps.connect());
    const rest = await Promise.allSettled(Array.from({ length: plan.connections - 1 }, () => deps.connect()));
    for (const r of rest) if (r.status === 'fulfilled') conns.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const first = conns[0];
    const definition = await toolDefinition(first, plan.tool, plan.setupTimeoutMs ?? 30_000).catch(
      (err: unknown) => {
        throw err instanceof McptestError ? err : (first.explain(err) ?? toMcptestError(err));
      },
    );
    return await drive(plan, deps, conns, first.era === 'modern' ? definition : undefined);
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  }
}

/** One caller of the tool: what a worker sends, and how a thrown error reads. */
export interface LoadCaller {
  call(signal: AbortSignal): Promise<{ isError?: boolean; content?: unknown }>;
  explain(err: unknown): McptestError;
}

/** What the workers measured, whatever they called through. */
export interface DrivenLoad {
  stats: LoadStats;
  elapsedMs: number;
  sent: number;
  interrupted: boolean;
}

async function drive(
  plan: LoadPlan,
  deps: LoadDeps,
  conns: McpConnection[],
  definition: unknown,
): Promise<LoadRun> {
  const callers: LoadCaller[] = conns.map((conn) => ({
    call: (signal) =>
      conn.client.callTool(
        { name: plan.tool, arguments: plan.args },
        {
          timeout: plan.callTimeoutMs,
          signal,
          ...(definition ? { toolDefinition: definition as never } : {}),
        },
      ),
    explain: (err) => conn.explain(err) ?? toMcptestError(err),
  }));
  const driven = await driveLoad(plan, callers, deps);
  return {
    ...driven,
    era: conns[0].era,
    protocolVersion: conns[0].protocolVersion,
    transport: conns[0].transport,
  };
}

/**
 * The workers of a load: `plan.concurrency` of them, worker i calling through
 * `callers[i % callers.length]`, until the plan's bounds (or `deps.signal`) stop them.
 */
export async function driveLoad(
  plan: Pick<LoadPlan, 'concurrency' | 'rate' | 'requests' | 'durationMs'>,
  callers: LoadCaller[],
  deps: Pick<LoadDeps, 'signal' | 'onProgress' | 'progressMs'>,
): Promise<DrivenLoad> {
  const stats = new LoadStats();
  const start = performance.now();
  const deadline = plan.durationMs === undefined ? Number.POSITIVE_INFINITY : start + plan.durationMs;
  const stop = new AbortController();
  // Every call in flight listens on it: as many listeners as workers, not a leak.
  setMaxListeners(plan.concurrency * 2 + 10, stop.signal);
  const onAbort = () => stop.abort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  let sent = 0;
  /** Calls on the wire: a call waiting for its turn at a fixed rate is not in flight yet. */
  let inFlight = 0;
  /** The next call a worker may send, and when (at a fixed rate), or null when the run is over. */
  const next = (): number | null => {
    if (stop.signal.aborted) return null;
    if (plan.requests !== undefined && sent >= plan.requests) return null;
    const at = plan.rate === undefined ? performance.now() : start + (sent * 1_000) / plan.rate;
    if (at >= deadline || performance.now() >= deadline) return null;
    sent++;
    return at;
  };
  const worker = async (index: number) => {
    const caller = callers[index % callers.length];
    for (let at = next(); at !== null; at = next()) {
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      const began = performance.now();
      inFlight++;
      try {
        const result = await caller.call(stop.signal);
        const ms = performance.now() - began;
        if (result.isError) {
          const text = (result.content as Array<{ type: string; text?: string }> | undefined)
            ?.filter((c) => c.type === 'text')
            .map((c) => c.text)
            .join(' ');
          stats.record(began - start, ms, 'tool', text?.slice(0, 200) || 'isError with no text');
        } else stats.record(began - start, ms, 'ok');
      } catch (err) {
        const ms = performance.now() - began;
        if (stop.signal.aborted) break; // interrupted: not the server's failure
        const explained = caller.explain(err);
        const kind = errorKind(err, explained);
        // Refused credentials are fixed by a command: the sample names it.
        const text =
          kind === 'auth' && explained.hint
            ? `${explained.message.slice(0, 200)} (${explained.hint.slice(0, 200)})`
            : explained.message.slice(0, 200);
        stats.record(began - start, ms, kind, text);
      } finally {
        inFlight--;
      }
    }
  };
  const progress = deps.onProgress
    ? setInterval(() => deps.onProgress?.(stats, inFlight, performance.now() - start), deps.progressMs ?? 500)
    : undefined;
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, (_, i) => worker(i)));
  } finally {
    if (progress) clearInterval(progress);
    deps.signal?.removeEventListener('abort', onAbort);
  }
  return { stats, elapsedMs: performance.now() - start, sent, interrupted: deps.signal?.aborted === true };
}
