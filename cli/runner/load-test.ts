/**
 * A suite's `load:` test: many concurrent calls of one tool on the test's pooled connection, as
 * `mcptest load` makes them (cli/load/run-load.ts), then its thresholds. The test fails on each
 * threshold missed (by default any failed call fails it); the figures are the test's note.
 */
import { toMcptestError } from '../../shared/errors.js';
import { parseDuration } from '../load/limits.js';
import { driveLoad } from '../load/run-load.js';
import { ERROR_KINDS, type LoadFigures } from '../load/stats.js';
import type { AssertionFailure } from './assertions.js';
import type { PooledConnection } from './connection-pool.js';
import type { LoadSpec } from './suite-schema.js';

const ms = (v: number) => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);

/** Both signals: the run's (Ctrl-C, --bail) and the load's own stop. */
function both(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}

export async function runSuiteLoad(
  pc: PooledConnection,
  spec: LoadSpec,
  callResultSchema: unknown,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ failures: AssertionFailure[]; raw: undefined; notes: string[]; load: LoadFigures }> {
  const client = pc.conn.client;
  const driven = await driveLoad(
    {
      concurrency: spec.concurrency ?? 10,
      requests: spec.requests,
      durationMs: spec.duration === undefined ? undefined : parseDuration(spec.duration, 'load.duration'),
      rate: spec.rate,
    },
    [
      {
        call: (stop) =>
          client.request(
            { method: 'tools/call', params: { name: spec.tool, arguments: spec.arguments ?? {} } },
            callResultSchema,
            { timeout: timeoutMs, signal: both(stop, signal) },
          ),
        explain: (err) => pc.conn.explain?.(err) ?? toMcptestError(err),
      },
    ],
    { signal },
  );
  const { stats } = driven;
  const summary = stats.summary();
  const errorRate = stats.count ? stats.errorCount / stats.count : 0;
  const failures: AssertionFailure[] = [];
  const limit = (name: string, max: number | undefined, value: number | undefined) => {
    if (max !== undefined && value !== undefined && value > max)
      failures.push({
        assertion: `load.${name}`,
        message: `${name.replace(/^max_|_ms$/g, '')} ${ms(value)} > ${ms(max)}`,
      });
  };
  limit('max_p50_ms', spec.max_p50_ms, summary?.p50);
  limit('max_p95_ms', spec.max_p95_ms, summary?.p95);
  limit('max_p99_ms', spec.max_p99_ms, summary?.p99);
  const maxErrors = spec.max_error_rate ?? 0;
  if (errorRate > maxErrors) {
    const kinds = ERROR_KINDS.filter((k) => stats.errors[k] > 0)
      .map((k) => `${k} ${stats.errors[k]}${stats.samples[k][0] ? ` ("${stats.samples[k][0]}")` : ''}`)
      .join(', ');
    failures.push({
      assertion: 'load.max_error_rate',
      message: `${stats.errorCount} of ${stats.count} calls failed (${(errorRate * 100).toFixed(2)} % > ${(maxErrors * 100).toFixed(2)} %): ${kinds}`,
    });
  }
  if (stats.count === 0) failures.push({ assertion: 'load', message: 'no call completed' });
  const rate = driven.elapsedMs > 0 ? (stats.count * 1_000) / driven.elapsedMs : 0;
  const note = summary
    ? `load: ${stats.count} calls in ${(driven.elapsedMs / 1_000).toFixed(2)} s (${rate.toFixed(1)}/s) at ${spec.concurrency ?? 10} concurrent: p50 ${ms(summary.p50)}, p95 ${ms(summary.p95)}, p99 ${ms(summary.p99)}, max ${ms(summary.max)}; errors ${stats.errorCount}`
    : 'load: no call completed';
  const load: LoadFigures = {
    concurrency: spec.concurrency ?? 10,
    completed: stats.count,
    ok: stats.count - stats.errorCount,
    errors: { ...stats.errors },
    elapsed_ms: driven.elapsedMs,
    throughput_per_s: rate,
    latency_ms: summary,
    timeline: stats.timeline(),
  };
  return { failures, raw: undefined, notes: [note], load };
}
