/**
 * `mcptest load` from its flags to its exit code: the plan, the connections (the CLI's connect
 * with its IO, no browser step-up: a load run has nobody to approve), the live line on a
 * terminal, the report and the thresholds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { McptestError } from '../../shared/errors.js';
import { parseToolArgs } from '../commands/call.js';
import { cliConnectIo } from '../connect-io.js';
import type { CliIo } from '../io.js';
import { targetFlags } from '../mcp/target-flags.js';
import { wantsProgress } from '../runner/reporters/progress.js';
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
  reporter?: string;
  output?: string;
  html?: string;
};

const REPORTERS = ['human', 'json', 'html'] as const;
type ReporterName = (typeof REPORTERS)[number];

/** The report format and file from --reporter, --json, --html and --output, checked before the run. */
export function loadOutput(opts: LoadFlags): { reporter: ReporterName; output?: string } {
  const asked = opts.reporter ?? 'human';
  if (!(REPORTERS as readonly string[]).includes(asked)) {
    throw new McptestError(
      'invalid_request',
      `unknown reporter "${asked}"; choose one of ${REPORTERS.join(', ')}`,
      { hint: 'mcptest load --url URL --call TOOL --reporter html -o load.html' },
    );
  }
  const wanted = new Set<ReporterName>();
  if (asked !== 'human') wanted.add(asked as ReporterName);
  if (opts.json) wanted.add('json');
  if (opts.html !== undefined) wanted.add('html');
  if (wanted.size > 1) {
    throw new McptestError(
      'invalid_request',
      `--json, --html and --reporter ask for different reports (${[...wanted].join(', ')}): give one`,
      { hint: 'mcptest load --url URL --call TOOL --reporter html -o load.html' },
    );
  }
  if (opts.html !== undefined && opts.output !== undefined && opts.output !== opts.html) {
    throw new McptestError('invalid_request', '--html FILE and --output FILE name two files: give one', {
      hint: `mcptest load --url URL --call TOOL --html ${opts.html}`,
    });
  }
  const reporter = [...wanted][0] ?? 'human';
  const output = opts.html ?? opts.output;
  return output === undefined ? { reporter } : { reporter, output };
}

function writeReport(io: CliIo, file: string, text: string): void {
  const target = path.resolve(io.cwd, file);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  } catch (err) {
    throw new McptestError(
      'invalid_request',
      `cannot write the report to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { hint: 'mcptest load --url URL --call TOOL --reporter html -o ./load.html' },
    );
  }
}

/** Connections per HTTP run at most: workers beyond share them (requests interleave on each). */
const MAX_CONNECTIONS = 16;

/** Workers at most: what a suite's `load.concurrency` allows, and more than one process drives well. */
export const MAX_CONCURRENCY = 1000;

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
  const concurrency = parseCount(opts.concurrency, '--concurrency', MAX_CONCURRENCY);
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
        ? parseDuration(opts.callTimeout, '--call-timeout')
        : (timeoutMs ?? 30_000),
    setupTimeoutMs: timeoutMs ?? 30_000,
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
  const out = loadOutput(opts);
  const { connectToServer } = await import('../mcp/connect.js');
  // Nobody approves a wider scope in the middle of a load run.
  const connectIo = cliConnectIo(io, { interactive: false });
  // The same rule as run's live line: a terminal, not CI, no NO_COLOR, not TERM=dumb.
  const live = wantsProgress(io.stderrIsTTY, io.env);
  const run = await runLoad(plan, {
    connect: () => connectToServer(target, connectIo),
    signal: io.signal,
    ...(live
      ? {
          onProgress: (stats, inFlight, elapsed) =>
            io.stderr(`\r\x1b[2K${progressLine(stats, inFlight, elapsed, plan.requests)}`),
        }
      : {}),
  });
  if (live) io.stderr('\r\x1b[2K');
  const where = target.url ?? `stdio server \`${targetFlags(target)}\``;
  const report = buildReport(where, plan, run, limits);
  const text =
    out.reporter === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : out.reporter === 'html'
        ? (await import('./html.js')).renderLoadHtml(report)
        : renderHuman(report);
  if (out.output !== undefined) {
    writeReport(io, out.output, text);
    // The file holds the report; the console still gets the human summary.
    io.stderr(`${out.output}: written\n${renderHuman(report)}`);
  } else io.stdout(text);
  if (run.interrupted) return 130;
  return report.passed ? 0 : 1;
}
