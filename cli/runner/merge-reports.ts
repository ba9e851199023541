/**
 * `mcptest merge-reports`: joins the JSON reports of `run --shard i/n` into the report one
 * unsharded run would have given, in the same shape (report.ts). It refuses inputs that do not
 * make one run (not shard reports, different suites, test counts or shard totals, a shard
 * missing or given twice) and warns when a test appears twice. Tests go back to the suite's
 * order by the positions each shard recorded; servers are joined by name and revision (a
 * failure kept over a success); coverage is the union of what the shards exercised, judged
 * against `--min-coverage` here. The exit code is the worst of the shards' (cancelled, auth,
 * failure, success), or 1 when the merged coverage is below `--min-coverage`.
 */
import { ExitCode, McptestError } from '../../shared/errors.js';
import {
  COVERAGE_KINDS,
  type CoverageKind,
  type CoverageReport,
  kindCoverage,
  type ServerCoverage,
  shortfallsOf,
} from './coverage.js';
import type { ServerResult, ShardReport, SuiteReport, TestResult } from './report.js';

/** One input file, read and parsed as JSON. */
export interface ReportInput {
  file: string;
  data: unknown;
}

export interface MergeOptions {
  /** `--min-coverage`, judged on the merged coverage. */
  minCoverage?: Partial<Record<CoverageKind, number>>;
}

export interface MergeResult {
  /** One merged report per suite, in the order the shards ran them. */
  reports: SuiteReport[];
  /** How many shards were joined. */
  shards: number;
  /** Things that did not stop the merge: a test seen twice, coverage from some shards only. */
  warnings: string[];
  exitCode: number;
}

/** One shard's file: its suites' reports and which shard it is. */
interface ShardFile {
  file: string;
  index: number;
  total: number;
  suites: Array<SuiteReport & { shard: ShardReport }>;
}

const HINT = 'mcptest run SUITE.yaml --shard 1/3 --reporter json --output results/shard-1.json';

function mismatch(message: string, hint = 'mcptest merge-reports results/shard-*.json'): McptestError {
  return new McptestError('reports_mismatch', message, { hint });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Checks the fields merging relies on; the rest of a report is carried over as it is. */
function suiteReportOf(file: string, v: unknown): SuiteReport & { shard: ShardReport } {
  if (!isObject(v) || v.version !== 1 || !isObject(v.suite) || !Array.isArray(v.tests)) {
    throw mismatch(`${file} is not a JSON report of mcptest run (no version 1 suite report in it)`, HINT);
  }
  const suite = v.suite as Record<string, unknown>;
  if (typeof suite.file !== 'string' || typeof suite.name !== 'string' || !Array.isArray(v.servers)) {
    throw mismatch(`${file} is not a JSON report of mcptest run (its suite has no name or file)`, HINT);
  }
  const shard = v.shard;
  if (!isObject(shard)) {
    throw mismatch(
      `${file} is the report of an unsharded run of ${suite.file}: merge-reports joins reports of mcptest run --shard i/n`,
      HINT,
    );
  }
  const { index, total, suiteTests, positions } = shard;
  if (
    !isCount(index) ||
    !isCount(total) ||
    index < 1 ||
    index > total ||
    !isCount(suiteTests) ||
    !Array.isArray(positions) ||
    positions.length !== v.tests.length ||
    !positions.every((p) => isCount(p) && p < suiteTests)
  ) {
    throw mismatch(
      `${file}: the shard object of ${suite.file} is damaged (index, total, suiteTests, positions)`,
      HINT,
    );
  }
  for (const t of v.tests) {
    if (!isObject(t) || typeof t.label !== 'string' || typeof t.status !== 'string') {
      throw mismatch(`${file}: a test of ${suite.file} has no label or status`, HINT);
    }
    if (t.load !== undefined && !(isObject(t.load) && Array.isArray(t.load.timeline))) {
      throw mismatch(`${file}: the load figures of ${t.label} in ${suite.file} are damaged`, HINT);
    }
  }
  return v as unknown as SuiteReport & { shard: ShardReport };
}

/** A file's suites: a single suite's report, or `{ suites: [...] }` of several. */
function shardFileOf(input: ReportInput): ShardFile {
  const { file, data } = input;
  const raw = isObject(data) && Array.isArray(data.suites) ? data.suites : [data];
  if (isObject(data) && Array.isArray(data.notRun) && data.notRun.length > 0) {
    throw mismatch(
      `${file}: --bail stopped this shard before ${data.notRun.join(', ')} ran, so the run is incomplete`,
      'run every shard without --bail (or with the same suites reached), then merge their reports',
    );
  }
  if (raw.length === 0) throw mismatch(`${file} holds no suite report`, HINT);
  const suites = raw.map((r) => suiteReportOf(file, r));
  const { index, total } = suites[0].shard;
  if (suites.some((s) => s.shard.index !== index || s.shard.total !== total)) {
    throw mismatch(`${file} mixes suite reports of different shards`, HINT);
  }
  return { file, index, total, suites };
}

const suiteKey = (s: SuiteReport) => `${s.suite.file}\u0000${s.suite.name}`;
const suiteNames = (f: ShardFile) => f.suites.map((s) => s.suite.file).join(', ');

/** Refuses inputs that are not the n shards of one run, each once; returns them in shard order. */
function checkShards(files: ShardFile[]): ShardFile[] {
  const total = files[0].total;
  const other = files.find((f) => f.total !== total);
  if (other) {
    throw mismatch(
      `the reports were cut into different numbers of shards: ${files[0].file} is shard ${files[0].index}/${total}, ${other.file} is shard ${other.index}/${other.total}`,
    );
  }
  const byIndex = new Map<number, ShardFile>();
  for (const f of files) {
    const seen = byIndex.get(f.index);
    if (seen) {
      throw mismatch(
        `shard ${f.index}/${total} is given twice: ${seen.file} and ${f.file}`,
        `give each shard's report once: mcptest merge-reports ${files
          .filter((x) => x !== f)
          .map((x) => x.file)
          .join(' ')}`,
      );
    }
    byIndex.set(f.index, f);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw mismatch(
      `shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${total}`).join(', ')} missing: got ${[
        ...byIndex.keys(),
      ]
        .sort((a, b) => a - b)
        .map((i) => `${i}/${total} (${byIndex.get(i)?.file})`)
        .join(', ')}`,
      `run the missing shard (mcptest run SUITE.yaml --shard ${missing[0]}/${total} --reporter json --output results/shard-${missing[0]}.json) and merge every shard's report`,
    );
  }
  const ordered = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const first = ordered[0];
  const keys = first.suites.map(suiteKey).join('\n');
  for (const f of ordered.slice(1)) {
    if (f.suites.map(suiteKey).join('\n') !== keys) {
      throw mismatch(
        `the shards ran different suites: ${first.file} (shard ${first.index}/${total}) has ${suiteNames(first)}; ${f.file} (shard ${f.index}/${total}) has ${suiteNames(f)}`,
        'run every shard with the same suite files in the same order, then merge their reports',
      );
    }
    for (const [i, s] of f.suites.entries()) {
      const a = first.suites[i];
      if (s.shard.suiteTests !== a.shard.suiteTests) {
        throw mismatch(
          `the shards planned different tests for ${s.suite.file}: ${a.shard.suiteTests} in ${first.file}, ${s.shard.suiteTests} in ${f.file} (a changed suite, or another --filter or --protocol)`,
          'run every shard from the same revision of the suites with the same --filter and --protocol',
        );
      }
    }
  }
  return ordered;
}

/** Severity of a server entry: an auth failure beats another failure beats a connection beats none. */
const serverRank = (s: ServerResult) => (s.authFailed ? 3 : s.error ? 2 : s.connected ? 1 : 0);

function mergeServers(parts: SuiteReport[]): ServerResult[] {
  const byKey = new Map<string, ServerResult>();
  for (const part of parts) {
    for (const s of part.servers) {
      const key = `${s.name}\u0000${s.protocol}`;
      const seen = byKey.get(key);
      if (!seen || serverRank(s) > serverRank(seen)) byKey.set(key, s);
    }
  }
  return [...byKey.values()];
}

/** The union of what each shard exercised, per server and kind, judged against `thresholds`. */
function mergeCoverage(
  parts: CoverageReport[],
  thresholds: Partial<Record<CoverageKind, number>> | null,
): CoverageReport {
  const order: string[] = [];
  const byServer = new Map<string, ServerCoverage[]>();
  for (const part of parts) {
    for (const s of part.servers) {
      if (!byServer.has(s.server)) {
        order.push(s.server);
        byServer.set(s.server, []);
      }
      byServer.get(s.server)?.push(s);
    }
  }
  const servers = order.map((server): ServerCoverage => {
    const all = byServer.get(server) ?? [];
    const measured = all.filter((s) => !s.error);
    if (measured.length === 0) return all[0];
    const kinds: ServerCoverage['kinds'] = {};
    for (const kind of COVERAGE_KINDS) {
      const of = measured.map((s) => s.kinds[kind]).filter((k) => k !== undefined);
      if (of.length === 0) continue;
      const exercised = new Set(of.flatMap((k) => k.exercised));
      const listed = [...exercised, ...of.flatMap((k) => k.untested)];
      kinds[kind] = kindCoverage(listed, (n) => exercised.has(n));
    }
    return { server, listedAt: measured[0].listedAt, kinds, error: null };
  });
  const shortfalls = thresholds ? shortfallsOf(servers, thresholds) : [];
  return { servers, thresholds, passed: shortfalls.length === 0, shortfalls };
}

/** A shard's exit code, and then the merged coverage's verdict: the worst wins. */
function worstExit(codes: number[]): number {
  for (const code of [ExitCode.cancel, ExitCode.auth, ExitCode.error]) if (codes.includes(code)) return code;
  return codes.find((c) => c !== ExitCode.ok) ?? ExitCode.ok;
}

function mergeSuite(
  parts: Array<SuiteReport & { shard: ShardReport }>,
  shardOf: (part: number) => number,
  options: MergeOptions,
  warnings: string[],
): SuiteReport {
  const first = parts[0];
  const file = first.suite.file;
  const at = new Map<number, { test: TestResult; shard: number }>();
  for (const [p, part] of parts.entries()) {
    for (const [i, test] of part.tests.entries()) {
      const position = part.shard.positions[i];
      const seen = at.get(position);
      if (seen) {
        warnings.push(
          `${file}: test "${test.label}" appears twice, in shard ${seen.shard} and shard ${shardOf(p)}; the report keeps shard ${seen.shard}'s`,
        );
        continue;
      }
      at.set(position, { test, shard: shardOf(p) });
    }
  }
  const missing = first.shard.suiteTests - at.size;
  if (missing > 0) {
    throw mismatch(
      `${file}: ${missing} of its ${first.shard.suiteTests} tests are in no shard's report (a report cut short, or edited)`,
      'rerun the shards and merge their reports as written',
    );
  }
  const tests = [...at.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v.test);
  const labels = new Map<string, number>();
  for (const t of tests) {
    const key = `${t.server}\u0000${t.label}`;
    labels.set(key, (labels.get(key) ?? 0) + 1);
  }
  for (const [key, n] of labels) {
    if (n > 1) {
      const [server, label] = key.split('\u0000');
      warnings.push(
        `${file}: ${n} tests of server "${server}" are named "${label}"; their results are told apart by order only`,
      );
    }
  }
  const summary = {
    total: tests.length,
    passed: tests.filter((t) => t.status === 'passed').length,
    failed: tests.filter((t) => t.status === 'failed').length,
    skipped: tests.filter((t) => t.status === 'skipped').length,
  };
  const covered = parts.filter((p) => p.coverage);
  let coverage: CoverageReport | undefined;
  if (covered.length > 0) {
    if (covered.length < parts.length) {
      const without = parts.flatMap((p, i) => (p.coverage ? [] : [shardOf(i)]));
      warnings.push(
        `${file}: shard${without.length === 1 ? '' : 's'} ${without.join(', ')} ran without --coverage; coverage counts the other shards only`,
      );
    }
    coverage = mergeCoverage(
      covered.map((p) => p.coverage as CoverageReport),
      options.minCoverage ?? null,
    );
  } else if (options.minCoverage) {
    warnings.push(`${file}: no shard ran with --coverage, so --min-coverage has nothing to judge`);
  }
  const startedAt = parts.map((p) => p.startedAt).sort()[0];
  const exitCode = worstExit([
    ...parts.map((p) => p.exitCode),
    coverage?.passed === false ? ExitCode.error : ExitCode.ok,
  ]);
  return {
    version: 1,
    suite: { name: first.suite.name, file },
    startedAt,
    // The shards ran side by side: the merged run took as long as its longest shard.
    durationMs: Math.max(...parts.map((p) => p.durationMs)),
    summary,
    servers: mergeServers(parts),
    tests,
    ...(coverage ? { coverage } : {}),
    exitCode,
  };
}

/** Joins the reports of every shard of one run; throws `reports_mismatch` when they do not make one. */
export function mergeReports(inputs: ReportInput[], options: MergeOptions = {}): MergeResult {
  if (inputs.length === 0) throw mismatch('no report to merge', 'mcptest merge-reports results/*.json');
  const shards = checkShards(inputs.map(shardFileOf));
  const warnings: string[] = [];
  const reports = shards[0].suites.map((_, i) =>
    mergeSuite(
      shards.map((f) => f.suites[i]),
      (part) => shards[part].index,
      options,
      warnings,
    ),
  );
  return { reports, shards: shards.length, warnings, exitCode: worstExit(reports.map((r) => r.exitCode)) };
}
