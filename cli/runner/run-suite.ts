/**
 * Runs a loaded suite: one connection per server (shared by its tests, opened on first use),
 * tests across a worker pool of `concurrency`, results in suite order. Reporters turn the
 * {@link SuiteReport} (and the live events) into text.
 */
import path from 'node:path';
import { ExitCode, McptestError, toMcptestError } from '../../shared/errors.js';
import { type AssertionFailure, checkExpectations, type ToolResult } from './assertions.js';
import type { LoadedSuite } from './load-suite.js';
import { callOptions } from '../mcp/call-progress.js';
import { pagedTools } from '../mcp/list-tools.js';
import type { ServerTarget } from '../mcp/target.js';
import type { ServerSpec, TestSpec } from './suite-schema.js';

/** The slice of the SDK `Client` the runner uses. */
export interface RunnerClient {
  request(
    req: { method: string; params?: Record<string, unknown> },
    schema: any,
    options?: any,
  ): Promise<any>;
  listTools(params?: { cursor?: string }, options?: any): Promise<{ tools: ToolInfo[]; nextCursor?: string }>;
}

export interface ToolInfo {
  name: string;
  outputSchema?: Record<string, unknown>;
}

export interface RunnerConnection {
  client: RunnerClient;
  /** Turns a failed request into an McptestError (the auth error when the server refused us). */
  explain?(err: unknown): McptestError;
  close(): Promise<void>;
}

export type Connector = (
  target: ServerTarget,
  io: {
    env: NodeJS.ProcessEnv;
    vars?: NodeJS.ProcessEnv;
    passEnv?: readonly string[];
    cwd: string;
    signal?: AbortSignal;
  },
) => Promise<RunnerConnection>;

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export type TestStatus = 'passed' | 'failed' | 'skipped';
export type TestKind = 'tool' | 'tool_present' | 'tool_absent' | 'prompt' | 'resource';

/** What a test exercises: its kind, and the tool or prompt name or the resource URI. */
function testTarget(test: TestSpec): { kind: TestKind; tool: string } {
  if (test.tool !== undefined) return { kind: 'tool', tool: test.tool };
  if (test.tool_present !== undefined) return { kind: 'tool_present', tool: test.tool_present };
  if (test.tool_absent !== undefined) return { kind: 'tool_absent', tool: test.tool_absent };
  if (test.prompt !== undefined) return { kind: 'prompt', tool: test.prompt };
  return { kind: 'resource', tool: test.resource as string };
}

export interface TestResult {
  name: string;
  server: string;
  kind: TestKind;
  /** The tool called or looked for. */
  tool: string;
  status: TestStatus;
  durationMs: number;
  /** Failed assertions (empty when passed or when `error` explains the failure). */
  failures: AssertionFailure[];
  /** A failure to run the test at all: connection, auth, protocol error, timeout. */
  error: ErrorInfo | null;
}

export interface ServerResult {
  name: string;
  /** The URL, or the command line of a stdio server. */
  target: string;
  /** False when no test used it, or connecting failed. */
  connected: boolean;
  connectMs: number | null;
  error: ErrorInfo | null;
  /** True when the failure was an authentication failure (exit code 3). */
  authFailed: boolean;
}

/** The report every reporter renders; the JSON reporter prints it as is (documented shape). */
export interface SuiteReport {
  version: 1;
  suite: { name: string; file: string };
  startedAt: string;
  durationMs: number;
  summary: { total: number; passed: number; failed: number; skipped: number };
  servers: ServerResult[];
  tests: TestResult[];
  exitCode: number;
}

export interface RunOptions {
  /** Substring of test names (case-insensitive), or `/regex/flags`. */
  filter?: string;
  bail?: boolean;
  concurrency: number;
  /** Per-test (and per-connect) timeout in ms. */
  timeoutMs: number;
}

export type RunEvent =
  | { type: 'start'; total: number; suite: LoadedSuite }
  | { type: 'server'; server: ServerResult }
  | { type: 'test'; result: TestResult; index: number };

export interface RunDeps {
  connect: Connector;
  env: NodeJS.ProcessEnv;
  /** Where the env vars a server's auth names are read; `env` when absent. */
  vars?: NodeJS.ProcessEnv;
  /** Variables a stdio server gets besides the safe set (see ConnectIo.passEnv). */
  passEnv?: readonly string[];
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/** Builds the name matcher of `--filter`. */
export function testFilter(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined || pattern === '') return () => true;
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    let regex: RegExp;
    try {
      regex = new RegExp(re[1], re[2]);
    } catch (err) {
      throw new McptestError(
        'invalid_request',
        `--filter ${pattern} is not a valid regular expression: ${(err as Error).message}`,
        {
          hint: `mcptest run SUITE.yaml --filter '/^echo/'`,
        },
      );
    }
    return (name) => regex.test(name);
  }
  const needle = pattern.toLowerCase();
  return (name) => name.toLowerCase().includes(needle);
}

/** The YAML server entry as a connect target; relative paths resolve from the suite's folder. */
export function serverTarget(spec: ServerSpec, suiteDir: string, timeoutMs: number): ServerTarget {
  const oauth = spec.auth?.oauth;
  return {
    ...(spec.url ? { url: spec.url } : {}),
    ...(spec.command
      ? {
          command: spec.command,
          args: spec.args ?? [],
          cwd: path.resolve(suiteDir, spec.cwd ?? '.'),
          ...(spec.env ? { env: spec.env } : {}),
        }
      : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.auth?.bearer_token_env ? { bearerTokenEnv: spec.auth.bearer_token_env } : {}),
    ...(oauth
      ? {
          oauth: {
            grant: oauth.grant,
            clientId: oauth.client_id,
            ...(oauth.client_secret_env ? { clientSecretEnv: oauth.client_secret_env } : {}),
            ...(oauth.token_url ? { tokenUrl: oauth.token_url } : {}),
            ...(oauth.scope ? { scope: oauth.scope } : {}),
            ...(oauth.resource ? { resource: oauth.resource } : {}),
            ...(oauth.auth_method ? { authMethod: oauth.auth_method } : {}),
            ...(oauth.private_key_file
              ? { privateKeyFile: path.resolve(suiteDir, oauth.private_key_file) }
              : {}),
            ...(oauth.private_key_env ? { privateKeyEnv: oauth.private_key_env } : {}),
          },
        }
      : {}),
    timeoutMs: spec.timeout_ms ?? timeoutMs,
  };
}

function describeTarget(spec: ServerSpec): string {
  return spec.url ?? [spec.command, ...(spec.args ?? [])].join(' ');
}

function errorInfo(err: unknown): ErrorInfo {
  const e = toMcptestError(err);
  const json = e.toJSON();
  return e.code === 'internal' && !(err instanceof McptestError)
    ? { code: classify(err), message: e.message }
    : json;
}

/** Names SDK and network failures that did not come as McptestErrors. */
function classify(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === -32001 || /timed out|timeout/i.test(message)) return 'timeout';
  if (typeof code === 'number') return 'server_error';
  if (/ECONNREFUSED|ENOTFOUND|fetch failed|ECONNRESET|EPIPE/.test(message)) return 'connection_failed';
  return 'server_error';
}

function isAuthError(err: unknown): boolean {
  return err instanceof McptestError && err.exitCode === ExitCode.auth;
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

/** The test counts of several suites added up. */
export function combinedSummary(reports: SuiteReport[]): SuiteReport['summary'] {
  const sum = (key: keyof SuiteReport['summary']) => reports.reduce((n, r) => n + r.summary[key], 0);
  return { total: sum('total'), passed: sum('passed'), failed: sum('failed'), skipped: sum('skipped') };
}

/** The exit code of several suites: cancelled, else auth refused, else any failure, else 0. */
export function combinedExitCode(reports: SuiteReport[]): number {
  for (const code of [ExitCode.cancel, ExitCode.auth, ExitCode.error]) {
    if (reports.some((r) => r.exitCode === code)) return code;
  }
  return reports.find((r) => r.exitCode !== ExitCode.ok)?.exitCode ?? ExitCode.ok;
}

/** Runs the suite and returns its report; never throws for test or server failures. */
export async function runSuite(
  loaded: LoadedSuite,
  options: RunOptions,
  deps: RunDeps,
): Promise<SuiteReport> {
  const started = Date.now();
  const { suite } = loaded;
  const serverNames = Object.keys(suite.servers);
  const match = testFilter(options.filter);
  const selected = suite.tests.filter((t) => match(t.name));
  if (selected.length === 0) {
    throw new McptestError(
      'invalid_request',
      `no test in ${loaded.file} matches --filter ${options.filter} (the suite has ${suite.tests.length} test${suite.tests.length === 1 ? '' : 's'})`,
      { hint: `mcptest run ${loaded.file}` },
    );
  }
  deps.onEvent?.({ type: 'start', total: selected.length, suite: loaded });

  const servers = new Map<string, ServerResult>(
    serverNames.map((name) => [
      name,
      {
        name,
        target: describeTarget(suite.servers[name]),
        connected: false,
        connectMs: null,
        error: null,
        authFailed: false,
      },
    ]),
  );
  const connections = new Map<string, Promise<RunnerConnection>>();
  const toolLists = new Map<string, Promise<ToolInfo[]>>();

  const connection = (name: string): Promise<RunnerConnection> => {
    let pending = connections.get(name);
    if (!pending) {
      const t0 = performance.now();
      const target = serverTarget(suite.servers[name], loaded.dir, options.timeoutMs);
      pending = deps
        .connect(target, {
          env: deps.env,
          vars: deps.vars,
          passEnv: deps.passEnv,
          cwd: loaded.dir,
          signal: deps.signal,
        })
        .then(
          (conn) => {
            const s = servers.get(name)!;
            s.connected = true;
            s.connectMs = Math.round(performance.now() - t0);
            deps.onEvent?.({ type: 'server', server: s });
            return conn;
          },
          (err) => {
            const s = servers.get(name)!;
            s.connectMs = Math.round(performance.now() - t0);
            s.error = errorInfo(err);
            s.authFailed = isAuthError(err);
            deps.onEvent?.({ type: 'server', server: s });
            throw err;
          },
        );
      pending.catch(() => undefined);
      connections.set(name, pending);
    }
    return pending;
  };

  const tools = (name: string, client: RunnerClient, timeout: number): Promise<ToolInfo[]> => {
    let pending = toolLists.get(name);
    if (!pending) {
      pending = pagedTools(client, { timeoutMs: timeout, signal: deps.signal });
      pending.catch(() => undefined);
      toolLists.set(name, pending);
    }
    return pending;
  };

  const { CallToolResultSchema, GetPromptResultSchema, ReadResourceResultSchema } = await import(
    '@modelcontextprotocol/sdk/types.js'
  );
  const runOne = async (test: TestSpec): Promise<TestResult> => {
    const server = test.server ?? serverNames[0];
    const { kind, tool } = testTarget(test);
    const base = { name: test.name, server, kind, tool } as const;
    const timeout = test.timeout_ms ?? options.timeoutMs;
    let conn: RunnerConnection;
    try {
      conn = await connection(server);
    } catch (err) {
      const info = errorInfo(err);
      return {
        ...base,
        status: 'failed',
        durationMs: 0,
        failures: [],
        error: { ...info, message: `not run: server "${server}" could not be used (${info.code})` },
      };
    }
    const t0 = performance.now();
    /** The result of a test that ran to its verdict. */
    const finished = (failures: AssertionFailure[]): TestResult => ({
      ...base,
      status: failures.length ? 'failed' : 'passed',
      durationMs: Math.round(performance.now() - t0),
      failures,
      error: null,
    });
    try {
      if (kind === 'prompt' || kind === 'resource') {
        const callStart = performance.now();
        const result =
          kind === 'prompt'
            ? promptAsResult(
                await conn.client.request(
                  { method: 'prompts/get', params: { name: tool, arguments: test.arguments ?? {} } },
                  GetPromptResultSchema,
                  { timeout, signal: deps.signal },
                ),
              )
            : resourceAsResult(
                await conn.client.request(
                  { method: 'resources/read', params: { uri: tool } },
                  ReadResourceResultSchema,
                  {
                    timeout,
                    signal: deps.signal,
                  },
                ),
              );
        const latencyMs = performance.now() - callStart;
        return finished(checkExpectations(test.expect, { result, latencyMs, toolListed: true }));
      }
      if (kind !== 'tool') {
        const listed = (await tools(server, conn.client, timeout)).some((t) => t.name === tool);
        const failures: AssertionFailure[] =
          kind === 'tool_present' && !listed
            ? [{ assertion: 'tool_present', message: `tools/list does not offer "${tool}"` }]
            : kind === 'tool_absent' && listed
              ? [{ assertion: 'tool_absent', message: `tools/list offers "${tool}", expected it hidden` }]
              : [];
        return finished(failures);
      }
      const needsList = test.expect?.output_schema === true;
      const listing = needsList ? await tools(server, conn.client, timeout) : undefined;
      const callStart = performance.now();
      // A raw request, not client.callTool(): the SDK would throw on an outputSchema mismatch
      // before the suite's own `output_schema` assertion could report it.
      const result = (await conn.client.request(
        { method: 'tools/call', params: { name: tool, arguments: test.arguments ?? {} } },
        CallToolResultSchema,
        callOptions(timeout, deps.signal),
      )) as ToolResult;
      const latencyMs = performance.now() - callStart;
      const info = listing?.find((t) => t.name === tool);
      const failures = checkExpectations(test.expect, {
        result,
        latencyMs,
        outputSchema: info?.outputSchema,
        toolListed: listing ? info !== undefined : true,
      });
      return finished(failures);
    } catch (raw) {
      const err = conn.explain ? conn.explain(raw) : raw;
      if (isAuthError(err)) servers.get(server)!.authFailed = true;
      return {
        ...base,
        status: 'failed',
        durationMs: Math.round(performance.now() - t0),
        failures: [],
        error: errorInfo(err),
      };
    }
  };

  const results: Array<TestResult | undefined> = new Array(selected.length);
  let next = 0;
  let bailed = false;
  const worker = async () => {
    while (next < selected.length && !bailed && !deps.signal?.aborted) {
      const index = next++;
      const result = await runOne(selected[index]);
      results[index] = result;
      deps.onEvent?.({ type: 'test', result, index });
      if (result.status === 'failed' && options.bail) bailed = true;
    }
  };
  try {
    const n = Math.max(1, Math.min(options.concurrency, selected.length));
    await Promise.all(Array.from({ length: n }, worker));
  } finally {
    await Promise.all([...connections.values()].map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  const tests: TestResult[] = selected.map(
    (t, i) =>
      results[i] ?? {
        name: t.name,
        server: t.server ?? serverNames[0],
        ...testTarget(t),
        status: 'skipped',
        durationMs: 0,
        failures: [],
        error: null,
      },
  );
  const summary = {
    total: tests.length,
    passed: tests.filter((t) => t.status === 'passed').length,
    failed: tests.filter((t) => t.status === 'failed').length,
    skipped: tests.filter((t) => t.status === 'skipped').length,
  };
  const serverList = [...servers.values()];
  const exitCode = deps.signal?.aborted
    ? ExitCode.cancel
    : serverList.some((s) => s.authFailed)
      ? ExitCode.auth
      : summary.failed > 0 || (summary.skipped > 0 && !options.bail)
        ? ExitCode.error
        : ExitCode.ok;
  return {
    version: 1,
    suite: { name: loaded.name, file: loaded.file },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary,
    servers: serverList,
    tests,
    exitCode,
  };
}
