/**
 * What a load run measured: every call's latency and outcome, kept as numbers (a million calls
 * is 16 MB), summed up as percentiles, errors by kind, and a per-second timeline. The live
 * progress line reads percentiles from a log-scale histogram (1 % wide buckets) so that a
 * refresh costs the same after ten calls as after a million.
 */

/** How a call ended. */
export type Outcome = 'ok' | ErrorKind;

/**
 * The kinds of failure: the transport (network, HTTP, timeout), a JSON-RPC error answer, a tool
 * result with `isError`, the server or IdP refusing the credentials.
 */
export type ErrorKind = 'transport' | 'jsonrpc' | 'tool' | 'auth';

export const ERROR_KINDS: readonly ErrorKind[] = ['transport', 'jsonrpc', 'tool', 'auth'];

/** Distinct error messages kept per kind, to show what went wrong. */
const SAMPLES_PER_KIND = 3;

const BUCKET_BASE = Math.log(1.01);

export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** What a suite's `load:` test measured, as its report carries it (the JSON field names of `mcptest load --json`). */
export interface LoadFigures {
  concurrency: number;
  completed: number;
  ok: number;
  errors: Record<ErrorKind, number>;
  elapsed_ms: number;
  throughput_per_s: number;
  latency_ms: LatencySummary | null;
  timeline: SecondOfRun[];
}

export interface SecondOfRun {
  /** Seconds since the start (0 for the first second). */
  second: number;
  requests: number;
  errors: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export class LoadStats {
  private readonly latencies: number[] = [];
  private readonly starts: number[] = [];
  private readonly outcomes: Outcome[] = [];
  private readonly histogram = new Map<number, number>();
  readonly errors: Record<ErrorKind, number> = { transport: 0, jsonrpc: 0, tool: 0, auth: 0 };
  readonly samples: Record<ErrorKind, string[]> = { transport: [], jsonrpc: [], tool: [], auth: [] };

  /** One finished call: when it started (ms since the run's start), how long it took, how it ended. */
  record(startedAt: number, latencyMs: number, outcome: Outcome, message?: string): void {
    this.latencies.push(latencyMs);
    this.starts.push(startedAt);
    this.outcomes.push(outcome);
    const bucket = Math.floor(Math.log(Math.max(latencyMs, 0.001) * 1_000) / BUCKET_BASE);
    this.histogram.set(bucket, (this.histogram.get(bucket) ?? 0) + 1);
    if (outcome === 'ok') return;
    this.errors[outcome]++;
    const seen = this.samples[outcome];
    if (message && seen.length < SAMPLES_PER_KIND && !seen.includes(message)) seen.push(message);
  }

  get count(): number {
    return this.latencies.length;
  }

  get errorCount(): number {
    return ERROR_KINDS.reduce((n, k) => n + this.errors[k], 0);
  }

  /** A percentile (0..100) from the histogram: within 1 % of the exact figure. */
  approximate(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (const bucket of [...this.histogram.keys()].sort((a, b) => a - b)) {
      seen += this.histogram.get(bucket) ?? 0;
      if (seen >= rank) return Math.exp((bucket + 0.5) * BUCKET_BASE) / 1_000;
    }
    return null;
  }

  /** Exact figures over every call, failed ones included (a timeout is latency too). */
  summary(): LatencySummary | null {
    if (this.count === 0) return null;
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      min: sorted[0],
      mean: sum / sorted.length,
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max: sorted[sorted.length - 1],
    };
  }

  /** Calls by the second they started in, with their error count and percentiles. */
  timeline(): SecondOfRun[] {
    const seconds = new Map<number, { latencies: number[]; errors: number }>();
    for (let i = 0; i < this.count; i++) {
      const second = Math.floor(this.starts[i] / 1_000);
      let s = seconds.get(second);
      if (!s) {
        s = { latencies: [], errors: 0 };
        seconds.set(second, s);
      }
      s.latencies.push(this.latencies[i]);
      if (this.outcomes[i] !== 'ok') s.errors++;
    }
    return [...seconds.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([second, s]) => {
        const sorted = s.latencies.sort((a, b) => a - b);
        const at = (p: number) =>
          sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
        return { second, requests: sorted.length, errors: s.errors, p50_ms: at(50), p99_ms: at(99) };
      });
  }
}
