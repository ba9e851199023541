/**
 * Runs a loaded suite: every test once per revision of its server (the protocol matrix,
 * protocol-matrix.ts), across a worker pool of `concurrency` (`--jobs`; 1 for a `serial: true`
 * suite), a `serial: true` test alone (serial-gate.ts), on connections opened on first use and
 * shared (connection-pool.ts). Results, and the `test` events, come in plan order whatever order
 * the tests end in; `running` and `finished` events tell progress as it happens. Reporters turn
 * the {@link SuiteReport} (and the live events) into text.
 */
import { ExitCode, McptestError } from '../../shared/errors.js';
import type { ProtocolChoice } from '../mcp/target.js';
import { connectionPool, type PooledConnection, type RunDeps, type ToolInfo } from './connection-pool.js';
import { type CoverageKind, type CoverageReport, measureCoverage } from './coverage.js';
import type { LoadedSuite } from './load-suite.js';
import { planRuns, serverProtocols } from './protocol-matrix.js';
import type { RunEvent, ShardReport, SuiteReport, TestResult } from './report.js';
import { type ResultSchemas, runTest, testTarget } from './run-test.js';
import type { SchemaCheckMode } from './schema-checks.js';
import type { ShardSelection } from './shard.js';
import { serialGate } from './serial-gate.js';

export type {
  Connector,
  RunDeps,
  RunnerClient,
  RunnerConnection,
  ToolInfo,
} from './connection-pool.js';
export type {
  ErrorInfo,
  RunEvent,
  ServerResult,
  ShardReport,
  SuiteReport,
  TestKind,
  TestResult,
  TestStatus,
} from './report.js';
export { promptAsResult, resourceAsResult } from './run-test.js';

export interface RunOptions {
  /** Substring of test names (case-insensitive), or `/regex/flags`. */
  filter?: string;
  bail?: boolean;
  /** `--jobs`: tests at the same time (a `serial: true` suite runs one at a time whatever this says). */
  concurrency: number;
  /** Per-test (and per-connect) timeout in ms. */
  timeoutMs: number;
  /** `--protocol`: every server at this revision, instead of the suite's choice or matrix. */
  protocol?: ProtocolChoice;
  /** `--coverage`: measure which tools, prompts and resources the suite exercised. */
  coverage?: boolean;
  /** `--min-coverage`: per kind, the percentage below which the run fails (implies coverage). */
  minCoverage?: Partial<Record<CoverageKind, number>>;
  /** `--schema-checks`: how every server's schema checks count, over the suite's `schema_checks:`. */
  schemaChecks?: SchemaCheckMode;
  /** `--update-snapshots`: write missing or different snapshots (results, surfaces) instead of failing. */
  updateSnapshots?: boolean;
  /** `--shard i/n`: run only this shard's tests of the suite (shard.ts); the report says which shard. */
  shard?: ShardSelection;
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

/** The spec's result schemas (SDK 2.x) answers are validated with, loaded when a run starts. */
async function resultSchemas(): Promise<ResultSchemas> {
  const { specTypeSchemas: t } = await import('@modelcontextprotocol/client');
  return {
    CallToolResultSchema: t.CallToolResult,
    GetPromptResultSchema: t.GetPromptResult,
    ReadResourceResultSchema: t.ReadResourceResult,
    list: {
      tools: t.ListToolsResult,
      prompts: t.ListPromptsResult,
      resources: t.ListResourcesResult,
      resource_templates: t.ListResourceTemplatesResult,
    },
  };
}

/** Runs the suite and returns its report; never throws for test or server failures. */
export async function runSuite(
  loaded: LoadedSuite,
  options: RunOptions,
  deps: RunDeps,
): Promise<SuiteReport> {
  const started = Date.now();
  /** The clock of every test's `startMs`: from the report's `startedAt`. */
  const t0 = performance.now();
  const { suite } = loaded;
  const serverNames = Object.keys(suite.servers);
  const planned = planRuns(suite, suite.tests, options.protocol, testFilter(options.filter));
  const sharded = options.shard;
  const positions = planned.flatMap((run, i) => (!sharded || sharded.tests.has(run.test) ? [i] : []));
  const runs = positions.map((i) => planned[i]);
  const shard = sharded && {
    index: sharded.index,
    total: sharded.total,
    suiteTests: planned.length,
    positions,
  };
  // A shard may hold none of a suite's tests: its report says so, and merge-reports counts it.
  if (shard && runs.length === 0) return emptyShardReport(loaded, shard, started);
  if (runs.length === 0) {
    throw new McptestError(
      'invalid_request',
      `no test in ${loaded.file} matches --filter ${options.filter} (the suite has ${suite.tests.length} test${suite.tests.length === 1 ? '' : 's'})`,
      { hint: `mcptest run ${loaded.file}` },
    );
  }
  deps.onEvent?.({ type: 'start', total: runs.length, suite: loaded });

  const pairs = serverNames.flatMap((server) =>
    serverProtocols(suite, server, options.protocol).map((protocol) => ({ server, protocol })),
  );
  // A server's connection is told just before the first test of it in plan order, not when it
  // happens to open: under --jobs the output reads the same as a run of one test at a time.
  const serverEvents = new Map<string, RunEvent>();
  const pairKey = (server: string, protocol: string) => `${server}\u0000${protocol}`;
  const tellServer = (key: string) => {
    const e = serverEvents.get(key);
    if (e === undefined) return;
    serverEvents.delete(key);
    deps.onEvent?.(e);
  };
  const pool = connectionPool(loaded, pairs, options.timeoutMs, {
    ...deps,
    onEvent: (e) => {
      if (e.type === 'server') serverEvents.set(pairKey(e.server.name, e.server.protocol), e);
      else deps.onEvent?.(e);
    },
  });
  const ctx = {
    loaded,
    pool,
    schemas: await resultSchemas(),
    timeoutMs: options.timeoutMs,
    updateSnapshots: options.updateSnapshots ?? false,
    signal: deps.signal,
    toolLists: new WeakMap<PooledConnection, Promise<ToolInfo[]>>(),
    schemaChecks: options.schemaChecks,
    snapshotWrites: new Map<string, string>(),
  };

  const results: Array<TestResult | undefined> = new Array(runs.length);
  // `test` events go out in plan order: a result waits for those before it to be told.
  const told: Array<TestResult | null | undefined> = new Array(runs.length);
  let nextTold = 0;
  const tell = (index: number, result: TestResult | null) => {
    told[index] = result;
    while (nextTold < runs.length && told[nextTold] !== undefined) {
      const r = told[nextTold];
      if (r) {
        tellServer(pairKey(r.server, r.protocol));
        deps.onEvent?.({ type: 'test', result: r, index: nextTold });
      }
      nextTold += 1;
    }
  };
  const gate = serialGate();
  let next = 0;
  let bailed = false;
  const worker = async () => {
    while (next < runs.length && !bailed && !deps.signal?.aborted) {
      const index = next++;
      const run = runs[index];
      // A load test runs alone unless it says serial: false: its figures are its own, and the
      // other tests' times are not its load's.
      const leave = await gate.enter(run.test.serial ?? run.test.load !== undefined);
      try {
        if (bailed || deps.signal?.aborted) {
          tell(index, null);
          continue;
        }
        const startMs = Math.floor(performance.now() - t0);
        deps.onEvent?.({ type: 'running', index, label: run.label });
        const result: TestResult = { ...(await runTest(run, ctx)), startMs };
        results[index] = result;
        deps.onEvent?.({ type: 'finished', result, index });
        tell(index, result);
        if (result.status === 'failed' && options.bail) bailed = true;
      } finally {
        leave();
      }
    }
  };
  let coverage: CoverageReport | undefined;
  try {
    const n = suite.serial ? 1 : Math.max(1, Math.min(options.concurrency, runs.length));
    await Promise.all(Array.from({ length: n }, worker));
    if ((options.coverage || options.minCoverage) && !deps.signal?.aborted) {
      const done = runs.map((_, i) => results[i]).filter((r): r is TestResult => r !== undefined);
      coverage = await measureCoverage(
        loaded,
        pairs,
        runs.filter((_, i) => results[i] !== undefined),
        done,
        pool,
        ctx,
        options.minCoverage ?? null,
      );
    }
  } finally {
    await pool.closeAll();
    // Connections no told test used (skipped tests, coverage), in the suite's server order.
    for (const { server, protocol } of pairs) tellServer(pairKey(server, protocol));
  }

  const tests: TestResult[] = runs.map(
    (run, i) =>
      results[i] ?? {
        name: run.test.name,
        label: run.label,
        server: run.server,
        ...testTarget(run.test),
        protocol: run.protocol,
        era: null,
        protocolVersion: null,
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
  const serverList = pool.results();
  const exitCode = deps.signal?.aborted
    ? ExitCode.cancel
    : serverList.some((s) => s.authFailed)
      ? ExitCode.auth
      : summary.failed > 0 || (summary.skipped > 0 && !options.bail) || coverage?.passed === false
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
    ...(coverage ? { coverage } : {}),
    ...(shard ? { shard } : {}),
    exitCode,
  };
}

/** The report of a suite none of whose tests fell to this shard: nothing connected, nothing failed. */
function emptyShardReport(loaded: LoadedSuite, shard: ShardReport, started: number): SuiteReport {
  return {
    version: 1,
    suite: { name: loaded.name, file: loaded.file },
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    summary: { total: 0, passed: 0, failed: 0, skipped: 0 },
    servers: [],
    tests: [],
    shard,
    exitCode: ExitCode.ok,
  };
}
