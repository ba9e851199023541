/**
 * What `mcptest load` prints: the live progress line, the summary (human and JSON), and the
 * thresholds that make a run a CI check (`--max-p99 200ms`, `--max-error-rate 1%`).
 */
import type { LoadPlan, LoadRun } from './run-load.js';
import { ERROR_KINDS, type LatencySummary, type LoadStats, type SecondOfRun } from './stats.js';

export interface Thresholds {
  maxP50Ms?: number;
  maxP95Ms?: number;
  maxP99Ms?: number;
  /** A fraction, 0..1. */
  maxErrorRate?: number;
}

export interface ThresholdResult {
  name: string;
  limit: number;
  value: number | null;
  passed: boolean;
}

export interface LoadReport {
  target: string;
  tool: string;
  protocol: { era: string; version: string | null };
  transport: string;
  concurrency: number;
  connections: number;
  rate_per_s: number | null;
  limits: { requests: number | null; duration_ms: number | null };
  sent: number;
  completed: number;
  ok: number;
  errors: Record<string, number>;
  error_rate: number;
  error_samples: Record<string, string[]>;
  elapsed_ms: number;
  throughput_per_s: number;
  latency_ms: LatencySummary | null;
  thresholds: ThresholdResult[];
  passed: boolean;
  interrupted: boolean;
  timeline: SecondOfRun[];
}

const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`;

/** `2140/10000  512/s  errors 3  p50 2.10 ms  p99 9.80 ms  4.2 s  (16 in flight)` */
export function progressLine(stats: LoadStats, inFlight: number, elapsedMs: number, total?: number): string {
  const rate = elapsedMs > 0 ? (stats.count * 1_000) / elapsedMs : 0;
  const done = total === undefined ? `${stats.count}` : `${stats.count}/${total}`;
  return `${done}  ${rate.toFixed(0)}/s  errors ${stats.errorCount}  p50 ${ms(stats.approximate(50))}  p99 ${ms(stats.approximate(99))}  ${(elapsedMs / 1_000).toFixed(1)} s${inFlight > 0 ? `  (${inFlight} in flight)` : ''}`;
}

function checkThresholds(
  t: Thresholds,
  latency: LatencySummary | null,
  errorRate: number,
  counts: { completed: number; ok: number },
): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  // With no error-rate limit of its own, a run in which every call failed (a wrong tool
  // argument, a server that refuses them all) is not a pass: it measured no server work.
  if (t.maxErrorRate === undefined && counts.completed > 0 && counts.ok === 0)
    out.push({ name: 'some_call_ok', limit: 1, value: 0, passed: false });
  const latencyCheck = (name: string, limit: number | undefined, value: number | undefined) => {
    if (limit === undefined) return;
    const v = value ?? null;
    out.push({ name, limit, value: v, passed: v !== null && v <= limit });
  };
  latencyCheck('max_p50_ms', t.maxP50Ms, latency?.p50);
  latencyCheck('max_p95_ms', t.maxP95Ms, latency?.p95);
  latencyCheck('max_p99_ms', t.maxP99Ms, latency?.p99);
  if (t.maxErrorRate !== undefined)
    out.push({
      name: 'max_error_rate',
      limit: t.maxErrorRate,
      value: errorRate,
      passed: errorRate <= t.maxErrorRate,
    });
  return out;
}

export function buildReport(
  target: string,
  plan: LoadPlan,
  run: LoadRun,
  thresholds: Thresholds,
): LoadReport {
  const { stats } = run;
  const latency = stats.summary();
  const errorRate = stats.count ? stats.errorCount / stats.count : 0;
  const checks = checkThresholds(thresholds, latency, errorRate, {
    completed: stats.count,
    ok: stats.count - stats.errorCount,
  });
  return {
    target,
    tool: plan.tool,
    protocol: { era: run.era, version: run.protocolVersion ?? null },
    transport: run.transport,
    concurrency: plan.concurrency,
    connections: plan.connections,
    rate_per_s: plan.rate ?? null,
    limits: { requests: plan.requests ?? null, duration_ms: plan.durationMs ?? null },
    sent: run.sent,
    completed: stats.count,
    ok: stats.count - stats.errorCount,
    errors: { ...stats.errors },
    error_rate: errorRate,
    error_samples: Object.fromEntries(
      ERROR_KINDS.filter((k) => stats.samples[k].length).map((k) => [k, stats.samples[k]]),
    ),
    elapsed_ms: run.elapsedMs,
    throughput_per_s: run.elapsedMs > 0 ? (stats.count * 1_000) / run.elapsedMs : 0,
    latency_ms: latency,
    thresholds: checks,
    passed: checks.every((c) => c.passed) && !run.interrupted,
    interrupted: run.interrupted,
    timeline: stats.timeline(),
  };
}

function limitText(c: ThresholdResult): string {
  if (c.name === 'some_call_ok')
    return 'no call succeeded (see the errors above; --max-error-rate 100% accepts such a run)';
  if (c.name === 'max_error_rate')
    return `error rate ${((c.value ?? 0) * 100).toFixed(2)} % ${c.passed ? '<=' : '>'} ${(c.limit * 100).toFixed(2)} %`;
  const which = c.name.replace(/^max_|_ms$/g, '');
  return `${which} ${ms(c.value)} ${c.passed ? '<=' : '>'} ${ms(c.limit)}`;
}

export function renderHuman(r: LoadReport): string {
  const lines: string[] = [];
  const mode = r.rate_per_s === null ? 'as fast as answered' : `at ${r.rate_per_s}/s offered`;
  lines.push(
    `load: ${r.tool} on ${r.target} (MCP ${r.protocol.version ?? '?'}, ${r.protocol.era}), ${r.concurrency} workers on ${r.connections} connection${r.connections === 1 ? '' : 's'}, ${mode}`,
  );
  lines.push(
    `  calls       ${r.completed} in ${(r.elapsed_ms / 1_000).toFixed(2)} s: ${r.throughput_per_s.toFixed(1)}/s${r.interrupted ? ' (interrupted)' : ''}`,
  );
  const l = r.latency_ms;
  if (l)
    lines.push(
      `  latency     p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (min ${ms(l.min)}, mean ${ms(l.mean)})`,
    );
  const errs = ERROR_KINDS.filter((k) => r.errors[k] > 0);
  lines.push(
    `  errors      ${r.completed - r.ok} (${(r.error_rate * 100).toFixed(2)} %)${errs.length ? `: ${errs.map((k) => `${k} ${r.errors[k]}`).join(', ')}` : ''}`,
  );
  for (const [kind, samples] of Object.entries(r.error_samples))
    for (const s of samples) lines.push(`    ${kind}: ${s}`);
  for (const c of r.thresholds) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'}        ${limitText(c)}`);
  return `${lines.join('\n')}\n`;
}
