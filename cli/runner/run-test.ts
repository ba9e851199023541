/**
 * One run of one test: on the pooled connection of its server, revision and answers, the request
 * the test names (a tool call, a prompt, a resource read, a list, a look at tools/list, a surface
 * snapshot: snapshot-test.ts), then
 * every assertion: on the content (assertions.ts), the tool's own outputSchema (schema-checks.ts:
 * a failure or a warning by `schema_checks`), the result snapshot (result-snapshot.ts) and on
 * the exchange (exchange-assertions.ts: what the server asked, the notifications after the
 * action, the raw result's resultType and cache hints). A test that cannot run becomes a failed
 * result, never a thrown error.
 */
import { McptestError } from '../../shared/errors.js';
import { callOptions } from '../mcp/call-progress.js';
import type { McpConnection } from '../mcp/connect.js';
import { MAX_TOOL_PAGES, pagedTools } from '../mcp/list-tools.js';
import { headersFromListing } from '../mcp/param-headers.js';
import type { Ask } from '../mcp/target.js';
import { ANSWER_EXAMPLES, effectiveAnswers } from './answers.js';
import { type AssertionFailure, checkExpectations, resultText, type ToolResult } from './assertions.js';
import type { ConnectionPool, PooledConnection, ToolInfo } from './connection-pool.js';
import {
  checkAsks,
  checkNotifications,
  checkRawResult,
  notificationMethod,
  missingCapabilities,
  refusedAsks,
  unansweredCapabilities,
} from './exchange-assertions.js';
import {
  acceptedGarbage,
  crashedOnGarbage,
  INVALID_PARAMS,
  otherRpcError,
  refusalAsResult,
  rpcErrorOf,
} from './input-rejection.js';
import type { LoadedSuite } from './load-suite.js';
import type { PlannedRun } from './protocol-matrix.js';
import { type ErrorInfo, errorInfo, isAuthError, type TestKind, type TestResult } from './report.js';
import { checkSnapshot } from './result-snapshot.js';
import { checkOutputSchema, type SchemaCheckMode, schemaCheckMode } from './schema-checks.js';
import { checkSnapshot as checkSurfaceSnapshot, snapshotFile } from './snapshot-test.js';
import type { ListKind, LoadSpec, SnapshotSpec, TestSpec } from './suite-schema.js';
import type { WireLeg } from './wire-tap.js';

/** The SDK result schemas the runner validates answers with. */
export interface ResultSchemas {
  CallToolResultSchema: unknown;
  GetPromptResultSchema: unknown;
  ReadResourceResultSchema: unknown;
  list: Record<ListKind, unknown>;
}

/** What a test exercises: its kind, and the tool or prompt name, the resource URI or the list. */
export function testTarget(test: TestSpec): { kind: TestKind; tool: string } {
  if (test.tool !== undefined) return { kind: 'tool', tool: test.tool };
  if (test.tool_present !== undefined) return { kind: 'tool_present', tool: test.tool_present };
  if (test.tool_absent !== undefined) return { kind: 'tool_absent', tool: test.tool_absent };
  if (test.prompt !== undefined) return { kind: 'prompt', tool: test.prompt };
  if (test.list !== undefined) return { kind: 'list', tool: test.list };
  if (test.snapshot !== undefined) return { kind: 'snapshot', tool: snapshotFile(test.snapshot) };
  if (test.load !== undefined) return { kind: 'load', tool: test.load.tool };
  return { kind: 'resource', tool: test.resource as string };
}

/**
 * A prompts/get answer as the content the assertions read: its messages' content, in order
 * (the text assertions read the text items).
 */
export function promptAsResult(answer: {
  messages?: Array<{ content?: { type?: string; text?: string } }>;
}): ToolResult {
  return {
    content: (answer.messages ?? []).flatMap((m) =>
      m.content && typeof m.content.type === 'string'
        ? [m.content as { type: string; text?: string; [k: string]: unknown }]
        : [],
    ),
  };
}

/**
 * A resources/read answer as content: a text part as `text`, a binary part as `blob`, each with
 * its uri and mimeType (the text assertions read the text items; `content:` matchers read all).
 */
export function resourceAsResult(answer: { contents?: Array<object> }): ToolResult {
  return {
    content: (answer.contents ?? []).flatMap((c): NonNullable<ToolResult['content']> => {
      const { text, blob, uri, mimeType } = c as Record<string, unknown>;
      const meta = {
        ...(typeof uri === 'string' ? { uri } : {}),
        ...(typeof mimeType === 'string' ? { mimeType } : {}),
      };
      if (typeof text === 'string') return [{ type: 'text', text, ...meta }];
      if (typeof blob === 'string') return [{ type: 'blob', blob, ...meta }];
      return [];
    }),
  };
}

/** The method and item key of each `list:`. */
const LISTS: Record<ListKind, { method: string; items: string }> = {
  tools: { method: 'tools/list', items: 'tools' },
  prompts: { method: 'prompts/list', items: 'prompts' },
  resources: { method: 'resources/list', items: 'resources' },
  resource_templates: { method: 'resources/templates/list', items: 'resourceTemplates' },
};

export interface TestContext {
  loaded: LoadedSuite;
  pool: ConnectionPool;
  schemas: ResultSchemas;
  /** Per-test (and per-connect) time limit in ms, unless the test sets its own. */
  timeoutMs: number;
  /** `--update-snapshots`: surface snapshot tests and result snapshots (re)write their files instead of comparing. */
  updateSnapshots: boolean;
  signal?: AbortSignal;
  /** Each connection's tools/list, fetched once for tool_present, tool_absent and the schema checks. */
  toolLists: WeakMap<PooledConnection, Promise<ToolInfo[]>>;
  /** `--schema-checks`: the mode of every server, over the suite's `schema_checks:`. */
  schemaChecks?: SchemaCheckMode;
  /** The snapshots written in this run, by absolute path (one file, several revisions). */
  snapshotWrites?: Map<string, string>;
}

/** What a test's request and its content assertions found. */
interface Acted {
  failures: AssertionFailure[];
  raw: Record<string, unknown> | undefined;
  /** Findings that do not fail the test (schema checks in warn mode). */
  warnings?: AssertionFailure[];
  /** What the test did besides checking (a snapshot written). */
  notes?: string[];
  /** A load test's figures. */
  load?: TestResult['load'];
}

/** A request of the test, with its raw final result when the connection's wire is tapped. */
async function watched<T>(
  pc: PooledConnection,
  method: string,
  params: Record<string, unknown>,
  send: () => Promise<T>,
  seen: WireLeg[],
): Promise<{ value: T; raw: Record<string, unknown> | undefined }> {
  const watch = pc.tap?.watch(method, params);
  try {
    const value = await send();
    return { value, raw: watch?.final()?.result };
  } finally {
    seen.push(...(watch?.legs ?? []));
    watch?.done();
  }
}

/** Every page of a list, with page 1's raw result (whose cache hints describe the list). */
export async function fetchList(
  pc: PooledConnection,
  kind: ListKind,
  schema: unknown,
  options: { timeout: number; signal?: AbortSignal },
  legs: WireLeg[],
): Promise<{ result: Record<string, unknown>; raw: Record<string, unknown> | undefined }> {
  const { method, items } = LISTS[kind];
  const all: unknown[] = [];
  const seen = new Set<string>();
  let first: Record<string, unknown> | undefined;
  let raw: Record<string, unknown> | undefined;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const params = cursor ? { cursor } : {};
    const res = await watched(
      pc,
      method,
      params,
      () => pc.conn.client.request({ method, params }, schema, options),
      legs,
    );
    if (page === 0) {
      first = res.value as Record<string, unknown>;
      raw = res.raw;
    }
    const list = (res.value as Record<string, unknown>)[items];
    if (Array.isArray(list)) all.push(...list);
    cursor = (res.value as { nextCursor?: string }).nextCursor;
    if (!cursor) {
      const { nextCursor: _n, ...rest } = first as Record<string, unknown>;
      return { result: { ...rest, [items]: all }, raw };
    }
    if (seen.has(cursor)) {
      throw new McptestError(
        'server_error',
        `${method} handed out the cursor ${JSON.stringify(cursor)} twice`,
      );
    }
    seen.add(cursor);
  }
  throw new McptestError('server_error', `${method} still had a next page after ${MAX_TOOL_PAGES} pages`);
}

/**
 * A refused ask's error hints at `mcptest call --answer …`; in a suite the answer is written in
 * the test: the hint says how.
 */
function suiteHint(info: ErrorInfo): ErrorInfo {
  if (info.code !== 'input_required') return info;
  const needs = info.details?.requiredCapabilities;
  const kind = info.details?.kind ?? (Array.isArray(needs) ? needs[0] : undefined);
  const example = typeof kind === 'string' ? ANSWER_EXAMPLES[kind] : undefined;
  return example ? { ...info, hint: `add to the test: answers: { ${example} }` } : info;
}

const NO_TAP = 'notifications cannot be observed on this connection (it exposes no transport)';

/** Runs one planned run to its result. */
export async function runTest(run: PlannedRun, ctx: TestContext): Promise<TestResult> {
  const { test, server, protocol } = run;
  const { kind, tool } = testTarget(test);
  const { suite } = ctx.loaded;
  const base = { name: test.name, label: run.label, server, kind, tool, protocol };
  const timeout = test.timeout_ms ?? ctx.timeoutMs;
  const answers = effectiveAnswers(suite.answers, suite.servers[server].answers, test.answers);
  const where = `server "${server}"${run.matrix || protocol !== 'auto' ? ` at ${protocol}` : ''}`;
  let pc: PooledConnection;
  try {
    pc = await ctx.pool.get(server, protocol, answers);
  } catch (err) {
    const info = errorInfo(err);
    const why = isAuthError(err) ? '' : `: ${info.message.split('\n')[0]}`;
    return {
      ...base,
      era: null,
      protocolVersion: null,
      status: 'failed',
      durationMs: 0,
      failures: [],
      error: { ...info, message: `not run: ${where} could not be used (${info.code})${why}` },
    };
  }
  const era = pc.conn.era ?? null;
  const protocolVersion = pc.conn.protocolVersion ?? null;
  const e = test.expect;
  const expected = (e?.notifications ?? []).map(notificationMethod);
  // What the server asks or sends during a test that checks it must be that test's own.
  const hold = await pc.hold(e?.asks !== undefined || expected.length > 0);
  const asksFrom = pc.asks?.length ?? 0;
  const t0 = performance.now();
  /** What was asked during the test, when no other test ran beside it on the connection. */
  const asksOfTest = (): Ask[] | undefined => (hold.overlapped ? undefined : pc.asks?.slice(asksFrom));
  let acted: Acted | undefined;
  const result = (failures: AssertionFailure[], error: TestResult['error'] = null): TestResult => {
    const asks = asksOfTest();
    return {
      ...base,
      era,
      protocolVersion,
      status: failures.length || error ? 'failed' : 'passed',
      durationMs: Math.round(performance.now() - t0),
      failures,
      error,
      ...(asks?.length ? { asks } : {}),
      ...(acted?.warnings?.length ? { warnings: acted.warnings } : {}),
      ...(acted?.notes?.length ? { notes: acted.notes } : {}),
      ...(acted?.load ? { load: acted.load } : {}),
    };
  };
  /** The wire legs of the test's requests, with their raw answers. */
  const legs: WireLeg[] = [];
  try {
    /** Why notifications cannot be waited for, when they cannot. */
    let unheard: string | null = pc.tap ? null : NO_TAP;
    if (expected.length && !unheard) {
      unheard = await pc.listen(timeout).then(
        () => null,
        (err) => {
          const why = pc.conn.explain ? pc.conn.explain(err) : err;
          return `the server did not open subscriptions/listen, the 2026-07-28 way to receive notifications: ${errorInfo(why).message}`;
        },
      );
    }
    const notificationsFrom = pc.tap?.nextSeq ?? 0;
    acted = await act(pc, run, kind, tool, timeout, ctx, legs, server);
    const { failures, raw } = acted;
    failures.push(...checkRawResult(e, raw, era));
    if (expected.length) {
      if (unheard || !pc.tap) {
        failures.push({ assertion: 'notifications', message: unheard ?? NO_TAP });
      } else {
        const missing = await pc.tap.waitForNotifications(notificationsFrom, expected, timeout, ctx.signal);
        const seen = pc.tap.notificationsSince(notificationsFrom).map((n) => n.method);
        failures.push(...checkNotifications(missing, seen, timeout));
      }
    }
    const asks = asksOfTest();
    if (e?.asks !== undefined) {
      if (asks === undefined)
        failures.push({ assertion: 'asks', message: 'this connection does not record what the server asks' });
      else failures.push(...checkAsks(e.asks, asks));
    }
    const unanswered = failures.length
      ? unansweredCapabilities(
          failures.map((f) => f.message),
          answers,
        )
      : [];
    return result([...refusedAsks(asks ?? []), ...unanswered, ...failures]);
  } catch (raw) {
    const err = pc.conn.explain ? pc.conn.explain(raw) : raw;
    if (isAuthError(err)) ctx.pool.markAuthFailed(server, protocol);
    const info = suiteHint(errorInfo(err));
    const unanswered = [
      ...refusedAsks(asksOfTest() ?? []),
      ...missingCapabilities(legs.map((l) => l.error)),
      ...unansweredCapabilities([info.message], answers),
    ];
    // The failure says which answer to add: the error's hint would say it again.
    const { hint: _said, ...error } = info;
    return result(unanswered, unanswered.length ? error : info);
  } finally {
    hold.release();
  }
}

/** `expect.snapshot` of a tool, prompt or resource result, with the sanitizers of every level. */
function snapshotCheck(
  run: PlannedRun,
  ctx: TestContext,
  result: ToolResult,
): Pick<Acted, 'failures' | 'notes'> {
  const file = run.test.expect?.snapshot;
  if (file === undefined) return { failures: [], notes: [] };
  const { suite, dir, file: suiteFile } = ctx.loaded;
  const sanitizers = [
    ...(suite.sanitize ?? []),
    ...(suite.servers[run.server].sanitize ?? []),
    ...(run.test.sanitize ?? []),
  ];
  ctx.snapshotWrites ??= new Map();
  return checkSnapshot(file, result, sanitizers, {
    dir,
    suiteFile,
    update: ctx.updateSnapshots === true,
    written: ctx.snapshotWrites,
  });
}

/** The test's request and its content assertions. */
async function act(
  pc: PooledConnection,
  run: PlannedRun,
  kind: TestKind,
  tool: string,
  timeout: number,
  ctx: TestContext,
  legs: WireLeg[],
  server: string,
): Promise<Acted> {
  const { test } = run;
  const { schemas, signal } = ctx;
  const schemaFiles = ctx.loaded.schemaFiles;
  const client = pc.conn.client;
  const listing = () => {
    let pending = ctx.toolLists.get(pc);
    if (!pending) {
      pending = pagedTools(client, { timeoutMs: timeout, signal });
      pending.catch(() => undefined);
      ctx.toolLists.set(pc, pending);
    }
    return pending;
  };
  if (kind === 'tool_present' || kind === 'tool_absent') {
    const listed = (await listing()).some((t) => t.name === tool);
    const failures: AssertionFailure[] =
      kind === 'tool_present' && !listed
        ? [{ assertion: 'tool_present', message: `tools/list does not offer "${tool}"` }]
        : kind === 'tool_absent' && listed
          ? [{ assertion: 'tool_absent', message: `tools/list offers "${tool}", expected it hidden` }]
          : [];
    return { failures, raw: undefined };
  }
  if (kind === 'snapshot') {
    const { failures, notes } = await checkSurfaceSnapshot(pc.conn, test.snapshot as SnapshotSpec, {
      suiteFile: ctx.loaded.file,
      suiteDir: ctx.loaded.dir,
      updateSnapshots: ctx.updateSnapshots,
      timeoutMs: timeout,
      signal,
    });
    return { failures, raw: undefined, notes };
  }
  if (kind === 'load') {
    const { runSuiteLoad } = await import('./load-test.js');
    return runSuiteLoad(pc, test.load as LoadSpec, schemas.CallToolResultSchema, timeout, signal);
  }
  if (kind === 'list') {
    const start = performance.now();
    const { result, raw } = await fetchList(
      pc,
      test.list as ListKind,
      schemas.list[test.list as ListKind],
      { timeout, signal },
      legs,
    );
    const latencyMs = performance.now() - start;
    // A list is checked as structured content: json paths read it ($.tools[0].name).
    const failures = checkExpectations(test.expect, {
      result: { structuredContent: result },
      latencyMs,
      toolListed: true,
      schemaFiles,
    });
    return { failures, raw };
  }
  if (kind === 'prompt' || kind === 'resource') {
    const start = performance.now();
    const method = kind === 'prompt' ? 'prompts/get' : 'resources/read';
    const params = kind === 'prompt' ? { name: tool, arguments: test.arguments ?? {} } : { uri: tool };
    const schema = kind === 'prompt' ? schemas.GetPromptResultSchema : schemas.ReadResourceResultSchema;
    const { value, raw } = await watched(
      pc,
      method,
      params,
      () => client.request({ method, params }, schema, { timeout, signal }),
      legs,
    );
    const latencyMs = performance.now() - start;
    const result = kind === 'prompt' ? promptAsResult(value) : resourceAsResult(value);
    const failures = checkExpectations(test.expect, { result, latencyMs, toolListed: true, schemaFiles });
    const snap = snapshotCheck(run, ctx, result);
    return { failures: [...failures, ...snap.failures], raw, notes: snap.notes };
  }
  const { suite } = ctx.loaded;
  const required = test.expect?.output_schema === true;
  const mode = schemaCheckMode(ctx.schemaChecks, suite, suite.servers[run.server], test.expect);
  /** Why the automatic schema check could not run (tools/list failed), when it could not. */
  let unlisted: string | undefined;
  const tools = required
    ? await listing()
    : mode === 'off'
      ? undefined
      : await listing().catch((err) => {
          unlisted = errorInfo(pc.conn.explain ? pc.conn.explain(err) : err).message.split('\n')[0];
          return undefined;
        });
  const params = { name: tool, arguments: test.arguments ?? {} };
  const paramHeaders = await mcpParamHeaders(pc.conn, async () => tools ?? listing(), params);
  const start = performance.now();
  // A raw request, not client.callTool(): the SDK would throw on an outputSchema mismatch
  // before the suite's own `output_schema` assertion could report it.
  const call = () =>
    watched(
      pc,
      'tools/call',
      params,
      () =>
        client.request({ method: 'tools/call', params }, schemas.CallToolResultSchema, {
          ...callOptions(timeout, signal),
          ...(paramHeaders ? { headers: paramHeaders } : {}),
        }),
      legs,
    );
  if (test.expect?.rejects_input === true) return rejectsInput(pc, test, call, start, server);
  const { value, raw } = await call();
  const latencyMs = performance.now() - start;
  const info = tools?.find((t) => t.name === tool);
  const failures = checkExpectations(test.expect, {
    result: value as ToolResult,
    latencyMs,
    outputSchema: info?.outputSchema,
    toolListed: tools ? info !== undefined : true,
    schemaFiles,
  });
  const warnings: AssertionFailure[] = [];
  if (!required && mode !== 'off') {
    if (tools)
      (mode === 'error' ? failures : warnings).push(...checkOutputSchema(info, value as ToolResult, false));
    else
      warnings.push({ assertion: 'output_schema', message: `not checked: tools/list failed: ${unlisted}` });
  }
  const snap = snapshotCheck(run, ctx, value as ToolResult);
  return { failures: [...failures, ...snap.failures], raw, warnings, notes: snap.notes };
}

/**
 * A `rejects_input: true` call: a tool error or a -32602 passes (and the other assertions read
 * the refusal); a success, another JSON-RPC error, a crash or a hang fails naming server and tool.
 * Auth refusals and interruptions stay errors of the run, as in every test.
 */
async function rejectsInput(
  pc: PooledConnection,
  test: TestSpec,
  call: () => Promise<{ value: unknown; raw: Record<string, unknown> | undefined }>,
  start: number,
  server: string,
): Promise<{ failures: AssertionFailure[]; raw: Record<string, unknown> | undefined }> {
  const tool = test.tool as string;
  const expect = { ...test.expect, rejects_input: undefined, is_error: true };
  let answer: { value: unknown; raw: Record<string, unknown> | undefined };
  try {
    answer = await call();
  } catch (thrown) {
    const rpc = rpcErrorOf(thrown);
    if (rpc?.code === INVALID_PARAMS) {
      const result = refusalAsResult(rpc);
      const latencyMs = performance.now() - start;
      return { failures: checkExpectations(expect, { result, latencyMs, toolListed: true }), raw: undefined };
    }
    const err = pc.conn.explain ? pc.conn.explain(thrown) : thrown;
    if (isAuthError(err) || errorInfo(err).code === 'cancelled') throw thrown;
    const message = rpc
      ? otherRpcError(server, tool, rpc)
      : crashedOnGarbage(server, tool, errorInfo(err).code, errorInfo(err).message);
    return { failures: [{ assertion: 'rejects_input', message }], raw: undefined };
  }
  const latencyMs = performance.now() - start;
  const result = answer.value as ToolResult;
  if (result.isError !== true) {
    const message = acceptedGarbage(server, tool, test.arguments ?? {}, resultText(result));
    return { failures: [{ assertion: 'rejects_input', message }], raw: answer.raw };
  }
  return { failures: checkExpectations(expect, { result, latencyMs, toolListed: true }), raw: answer.raw };
}

/**
 * The `Mcp-Param-*` headers of a 2026-07-28 `tools/call` over HTTP (SEP-2243), built from the
 * tool's listed `x-mcp-header` declarations (the connection's one listing); none in the 2025
 * era, on stdio, or when the list could not be had (the server then says what it misses).
 */
async function mcpParamHeaders(
  conn: Partial<Pick<McpConnection, 'era' | 'transport'>>,
  list: () => Promise<ToolInfo[] | undefined>,
  params: { name: string; arguments: unknown },
): Promise<Record<string, string> | undefined> {
  if (conn.era !== 'modern' || conn.transport !== 'streamable-http') return undefined;
  return headersFromListing(await list().catch(() => undefined), params);
}
