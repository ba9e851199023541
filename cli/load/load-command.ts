/**
 * `mcptest load` from its flags to its exit code: the plan, the connections (the CLI's connect
 * with its IO, no browser step-up: a load run has nobody to approve), the live line on a
 * terminal, the report and the thresholds.
 */
import { McptestError } from '../../shared/errors.js';
import { parseToolArgs } from '../commands/call.js';
import { cliConnectIo } from '../connect-io.js';
import type { CliIo } from '../io.js';
import { targetFlags } from '../mcp/target-flags.js';
import { type TargetFlags, targetFromOptions } from '../mcp/target-options.js';
import { parseCount, parseDuration, parseFraction, parseRate } from './limits.js';
import { buildReport, progressLine, renderHuman, type Thresholds } from './report.js';
import { type LoadPlan, runLoad } from './run-load.js';

export type LoadFlags = TargetFlags & {
  call?: string;
  args?: string;
  argsFile?: string;
  concurrency: string;
  connections?: string;
  rate?: string;
  duration?: string;
  requests?: string;
  callTimeout?: string;
  maxP50?: string;
  maxP95?: string;
  maxP99?: string;
  maxErrorRate?: string;
  json?: boolean;
};

/** Connections per HTTP run at most: workers beyond share them (requests interleave on each). */
const MAX_CONNECTIONS = 16;

/** The default bound when neither --requests nor --duration is given. */
const DEFAULT_DURATION_MS = 10_000;

export function loadPlan(
  opts: LoadFlags,
  cwd: string,
  stdio: boolean,
  timeoutMs: number | undefined,
): LoadPlan {
  if (!opts.call) {
    throw new McptestError('invalid_request', 'mcptest load needs the tool to call', {
      hint: `mcptest load --url URL --call TOOL --args '{"name":"value"}'`,
    });
  }
  const concurrency = parseCount(opts.concurrency, '--concurrency');
  const connections =
    opts.connections !== undefined
      ? Math.min(parseCount(opts.connections, '--connections'), concurrency)
      : stdio
        ? 1
        : Math.min(concurrency, MAX_CONNECTIONS);
  const requests = opts.requests !== undefined ? parseCount(opts.requests, '--requests') : undefined;
  const durationMs =
    opts.duration !== undefined
      ? parseDuration(opts.duration, '--duration')
      : requests === undefined
        ? DEFAULT_DURATION_MS
        : undefined;
  return {
    tool: opts.call,
    args: parseToolArgs(opts, cwd, opts.call, 'load'),
    concurrency,
    connections,
    ...(opts.rate !== undefined ? { rate: parseRate(opts.rate) } : {}),
    ...(requests !== undefined ? { requests } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    callTimeoutMs:
      opts.callTimeout !== undefined
        ? parseDuration(opts.callTimeout, '--call-timeout', 'ms')
        : (timeoutMs ?? 30_000),
  };
}

function thresholds(opts: LoadFlags): Thresholds {
  return {
    ...(opts.maxP50 ? { maxP50Ms: parseDuration(opts.maxP50, '--max-p50', 'ms') } : {}),
    ...(opts.maxP95 ? { maxP95Ms: parseDuration(opts.maxP95, '--max-p95', 'ms') } : {}),
    ...(opts.maxP99 ? { maxP99Ms: parseDuration(opts.maxP99, '--max-p99', 'ms') } : {}),
    ...(opts.maxErrorRate ? { maxErrorRate: parseFraction(opts.maxErrorRate, '--max-error-rate') } : {}),
  };
}

/** Runs the load and prints; resolves with the exit code (0 passed, 1 a threshold failed or interrupted). */
export async function runLoadCommand(opts: LoadFlags, io: CliIo): Promise<number> {
  const target = targetFromOptions(opts);
  const plan = loadPlan(opts, io.cwd, Boolean(target.command), target.timeoutMs);
  const limits = thresholds(opts);
  const { connectToServer } = await import('../mcp/connect.js');
  // Nobody approves a wider scope in the middle of a load run.
  const connectIo = cliConnectIo(io, { interactive: false });
  const live = io.stderrIsTTY && !io.env.CI;
  const run = await runLoad(plan, {
    connect: () => connectToServer(target, connectIo),
    signal: io.signal,
    ...(live
      ? {
          onProgress: (stats, sent, elapsed) =>
            io.stderr(`\r\x1b[2K${progressLine(stats, sent, elapsed, plan.requests)}`),
        }
      : {}),
  });
  if (live) io.stderr('\r\x1b[2K');
  const where = target.url ?? `stdio server \`${targetFlags(target)}\``;
  const report = buildReport(where, plan, run, limits);
  if (opts.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(renderHuman(report));
  if (run.interrupted) return 130;
  return report.passed ? 0 : 1;
}
