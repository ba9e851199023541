import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import type { LoadFlags } from '../load/load-command.js';
import { addTargetOptions } from '../mcp/target-options.js';

/** `mcptest load`: many concurrent calls of one tool, with percentiles and thresholds. */
export function registerLoad(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('load')
    .description(
      'call one tool many times at once and report throughput, latency percentiles and errors by kind',
    );
  addTargetOptions(cmd)
    .option('--call <tool>', 'the tool to call (required)')
    .option('--args <json>', 'the tool arguments as a JSON object')
    .option('--args-file <path>', 'read the tool arguments (a JSON object) from a file')
    .option('--concurrency <n>', 'workers calling at the same time, 1 to 1000', '10')
    .option(
      '--connections <n>',
      'MCP connections the workers share (HTTP; default: one per worker, at most 16; stdio: 1)',
    )
    .option('--rate <r>', 'a fixed offered load over all workers: 50/s, 300/m (default: as fast as answered)')
    .option(
      '--duration <time>',
      'stop sending after this long: 30s, 2m (default 10s when --requests is not given)',
    )
    .option('--requests <n>', 'stop after this many calls')
    .option(
      '--call-timeout <time>',
      'the limit of one call: 5s, 500ms; a bare number is seconds (default: --timeout, else 30s)',
    )
    .option('--max-p50 <time>', 'fail when the median latency is above this: 50ms')
    .option('--max-p95 <time>', 'fail when the 95th percentile latency is above this')
    .option('--max-p99 <time>', 'fail when the 99th percentile latency is above this: 200ms')
    .option(
      '--max-error-rate <pct>',
      'fail when more than this share of calls failed: 1% (without it, a run fails only when no call succeeded)',
    )
    .option('--json', 'print the report as JSON (with a per-second timeline): --reporter json')
    .option(
      '--reporter <name>',
      'report format: human, json, html (one self-contained page with charts)',
      'human',
    )
    .option(
      '-o, --output <file>',
      'write the report to FILE instead of stdout (a summary line goes to stderr)',
    )
    .option('--html <file>', 'the HTML report in FILE: --reporter html --output FILE')
    .addHelpText(
      'after',
      `
Bounded in count and time: the run stops at --requests calls or after --duration, whichever
comes first (10 s when neither is given), and waits for the calls in flight. On a terminal a
live line shows calls done, rate, errors and p50/p99 so far (not with CI set, NO_COLOR or
TERM=dumb, nor in a pipe). At the end: throughput,
p50/p95/p99/max latency, and errors by kind: transport (network, HTTP, timeout), jsonrpc (an
error answer), tool (a result with isError), auth (credentials refused).

Every connection asks the auth daemon for the token per request: a token that expires during
the run is refreshed once, by the daemon, for every worker.

Examples:
  mcptest load --url https://mcp.example.com/mcp --call echo --args '{"text":"hi"}' --concurrency 50 --requests 10000
  mcptest load --url URL --call search --args-file q.json --rate 100/s --duration 1m --max-p99 200ms --max-error-rate 1%
  mcptest load --url URL --call echo --duration 30s --reporter html -o load.html   # latency over time, percentile curve

The HTML report is one self-contained page (inline CSS and SVG, nothing loaded at view time):
the summary, thresholds, error samples, p50/p99 per second over the run and the percentile curve.

Exit codes: 0 every threshold held, 1 a threshold failed, 2 bad flags, 3 credentials refused.`,
    )
    .action(async (opts: LoadFlags) => {
      const { runLoadCommand } = await import('../load/load-command.js');
      result.exitCode = await runLoadCommand(opts, io);
    });
}
