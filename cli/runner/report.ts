/**
 * The shape of a suite run's report: what every reporter renders and `run --reporter json`
 * prints as is (documented in docs/suite-format.md; `version` changes when a field is removed or
 * changes meaning), and the error of a failed test or server as data.
 */
import { ExitCode, McptestError, toMcptestError } from '../../shared/errors.js';
import type { Ask, ProtocolChoice, ProtocolEra } from '../mcp/target.js';
import type { AssertionFailure } from './result-types.js';
import type { LoadFigures } from '../load/stats.js';
import type { LoadedSuite } from './load-suite.js';

/** The kinds coverage counts, in report order. */
export const COVERAGE_KINDS = ['tools', 'prompts', 'resources', 'resource_templates'] as const;
export type CoverageKind = (typeof COVERAGE_KINDS)[number];

/** One kind of one server: what it offers and what the suite exercised. */
export interface KindCoverage {
  /** How many the server lists. */
  offered: number;
  /** How many of them the suite exercised. */
  tested: number;
  /** tested / offered × 100, or null when the server offers none (never counted as failing). */
  percent: number | null;
  /** Names (URIs of resources, URI templates of templates) the suite exercised, as listed. */
  exercised: string[];
  /** Names the suite did not exercise, as listed. */
  untested: string[];
}

export interface ServerCoverage {
  server: string;
  /**
   * The protocol version of the connection the lists were fetched on (its revision when the
   * version is unknown); null when no revision of the server connected.
   */
  listedAt: string | null;
  /** Each kind the server offers; absent when it does not (no capability, or -32601). */
  kinds: Partial<Record<CoverageKind, KindCoverage>>;
  /** Why the server (or one of its lists) could not be measured. */
  error: string | null;
}

/** The `coverage` object of a report (`run --coverage`). */
export interface CoverageReport {
  servers: ServerCoverage[];
  /** `--min-coverage`, per kind, in percent; null without it. */
  thresholds: Partial<Record<CoverageKind, number>> | null;
  /** False when a kind of a server is below its threshold. */
  passed: boolean;
  /** One line per kind below its threshold: `server "api": tools 12/15 (80%) is below 90%`. */
  shortfalls: string[];
}

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export type TestStatus = 'passed' | 'failed' | 'skipped';
export type TestKind =
  | 'tool'
  | 'tool_present'
  | 'tool_absent'
  | 'prompt'
  | 'resource'
  | 'list'
  | 'snapshot'
  | 'load';

export interface TestResult {
  name: string;
  /** The name reports show: `name`, with ` [revision]` when its server runs a protocol matrix. */
  label: string;
  server: string;
  kind: TestKind;
  /** The tool called or looked for, the prompt, the resource URI, the list, or the snapshot file. */
  tool: string;
  /** The revision asked for (`protocol:`, a matrix entry, `--protocol`; `auto` by default). */
  protocol: ProtocolChoice;
  /** The era the connection spoke; null when it never connected. */
  era: ProtocolEra | null;
  /** The protocol version the connection negotiated; null when unknown. */
  protocolVersion: string | null;
  status: TestStatus;
  /** The test's own time: its calls and checks, not the wait for a connection or its turn. */
  durationMs: number;
  /** When the test's turn came, in ms after the run started (absent for a test not run). */
  startMs?: number;
  /** Failed assertions (empty when passed or when `error` explains the failure). */
  failures: AssertionFailure[];
  /** A failure to run the test at all: connection, auth, protocol error, timeout. */
  error: ErrorInfo | null;
  /** What the server asked for during this test, when it could be told apart from other tests. */
  asks?: Ask[];
  /** Findings that do not fail the test: schema checks in `warn` mode (`schema_checks`). */
  warnings?: AssertionFailure[];
  /** What the test did besides checking: `snapshot FILE written` under --update-snapshots. */
  notes?: string[];
  /** A `load:` test's figures: calls, errors by kind, percentiles and the per-second timeline. */
  load?: LoadFigures;
}

export interface ServerResult {
  name: string;
  /** The URL, or the command line of a stdio server. */
  target: string;
  /** The revision asked for; a server of a protocol matrix has one entry per revision. */
  protocol: ProtocolChoice;
  /** The era and version the connection negotiated; null before (or without) a connection. */
  era: ProtocolEra | null;
  protocolVersion: string | null;
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
  /** With `run --coverage`: what of each live server the suite exercised (coverage.ts). */
  coverage?: CoverageReport;
  /** With `run --shard i/n`: which share of the suite this report holds (shard.ts, merge-reports.ts). */
  shard?: ShardReport;
  exitCode: number;
}

/** The `shard` object of a report of `run --shard i/n`, what merge-reports checks completeness by. */
export interface ShardReport {
  /** This shard, from 1. */
  index: number;
  /** How many shards the run was cut into. */
  total: number;
  /** How many tests (runs, a protocol matrix counting each revision) the whole suite has, over every shard. */
  suiteTests: number;
  /** For each of `tests`, its place (from 0) in the order of the whole, unsharded suite. */
  positions: number[];
}

export type RunEvent =
  | { type: 'start'; total: number; suite: LoadedSuite }
  | { type: 'server'; server: ServerResult }
  /** A test's result, in plan order (after the results of every test planned before it). */
  | { type: 'test'; result: TestResult; index: number }
  /** A test got its turn and starts (tests run side by side under --jobs). */
  | { type: 'running'; index: number; label: string }
  /** A test ended, as it happens (any order under --jobs; `test` follows in plan order). */
  | { type: 'finished'; result: TestResult; index: number };

/** A failure as report data: an McptestError's fields, or a classified SDK or network error. */
export function errorInfo(err: unknown): ErrorInfo {
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

export function isAuthError(err: unknown): boolean {
  return err instanceof McptestError && err.exitCode === ExitCode.auth;
}
