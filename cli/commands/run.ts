import type { Command } from 'commander';
import { ExitCode, McptestError } from '../../shared/errors.js';
import type { CliIo, CommandResult } from '../io.js';
import type { ProtocolChoice } from '../mcp/target.js';
import { PROTOCOL_CHOICES } from '../mcp/target-options.js';
import { SCHEMA_CHECK_MODES, type SchemaCheckMode } from '../runner/schema-checks.js';

const REPORTERS = ['human', 'json', 'junit', 'html'] as const;
type ReporterName = (typeof REPORTERS)[number];

interface RunFlags {
  reporter: string;
  output?: string;
  filter?: string;
  bail?: boolean;
  jobs?: string;
  concurrency?: string;
  timeout: string;
  protocol?: string;
  json?: boolean;
  coverage?: boolean;
  minCoverage?: string;
  schemaChecks?: string;
  updateSnapshots?: boolean;
  shard?: string;
}

/** `--protocol`'s value, checked against the revisions mcptest speaks. */
function protocolChoice(value: string, first: string): ProtocolChoice {
  if ((PROTOCOL_CHOICES as readonly string[]).includes(value)) return value as ProtocolChoice;
  throw new McptestError(
    'invalid_request',
    `--protocol takes one of ${PROTOCOL_CHOICES.join(', ')}, not ${value}`,
    { hint: `mcptest run ${first} --protocol 2026-07-28` },
  );
}

/** `--schema-checks`'s value. */
function schemaCheckChoice(value: string, first: string): SchemaCheckMode {
  if ((SCHEMA_CHECK_MODES as readonly string[]).includes(value)) return value as SchemaCheckMode;
  throw new McptestError(
    'invalid_request',
    `--schema-checks takes one of ${SCHEMA_CHECK_MODES.join(', ')}, not ${value}`,
    { hint: `mcptest run ${first} --schema-checks warn` },
  );
}

/** `mcptest run SUITE.yaml...`: runs suites of MCP tests, one after the other, and reports them. */
export function registerRun(program: Command, io: CliIo, result: CommandResult): void {
  program
    .command('run')
    .description(
      'run YAML suites of MCP tests (tool calls, prompts, resources, lists, tool presence, surface snapshots) against one or more servers, in either MCP era or both',
    )
    .argument('<suites...>', 'suite files (YAML; see docs/suite-format.md or `mcptest schema`), run in turn')
    .option('--reporter <name>', `report format: ${REPORTERS.join(', ')}`, 'human')
    .option('--json', 'the JSON report (--reporter json): every test with the era and protocol version used')
    .option(
      '-o, --output <file>',
      'write the report to FILE instead of stdout (a summary line still goes to stderr)',
    )
    .option(
      '--filter <pattern>',
      'run only tests whose name (or label, `echo [2026-07-28]`) contains PATTERN (case-insensitive), or matches /REGEX/',
    )
    .option('--bail', 'stop starting tests after the first failure (the rest are reported as skipped)')
    .option(
      '--jobs <n>',
      'tests to run at the same time, over connections shared per server (default: 2 per CPU core, 4 to 16; a serial: true test or suite runs alone)',
    )
    .option('--concurrency <n>', 'the older name of --jobs')
    .option(
      '--protocol <revision>',
      "speak this MCP revision to every server, over the suite's protocol:/protocols: (auto, 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26)",
    )
    .option(
      '--coverage',
      "report which of each server's tools, prompts, resources and resource templates the suite exercised (human, JSON `coverage`, JUnit properties)",
    )
    .option(
      '--min-coverage <spec>',
      'fail the run (exit 1) when coverage is below PCT: `80` for every kind, or per kind `tools=80,prompts=50` (implies --coverage)',
    )
    .option(
      '--schema-checks <mode>',
      "how a tool result breaking its tool's outputSchema counts, over the suite's schema_checks: error (the test fails; default), warn (a warning in the report), off",
    )
    .option(
      '--update-snapshots',
      'write the snapshot files that are missing or differ (expect.snapshot results, snapshot: surfaces) from what the servers answer now, instead of failing',
    )
    .option(
      '--shard <i/n>',
      "run only shard I of N: every Nth test, round-robin over the suites in turn (a matrix test stays whole); merge the shards' JSON reports with `mcptest merge-reports`",
    )
    .option(
      '--timeout <seconds>',
      'time limit for connecting and for each call, in seconds like every command (timeout_ms in the suite overrides it)',
      '30',
    )
    .addHelpText(
      'after',
      `
Examples:
  mcptest run suite.yaml
  mcptest run suites/*.yaml --reporter junit --output reports/mcp.xml
  mcptest run suite.yaml --filter '/^weather/' --bail --jobs 8
  mcptest run suite.yaml --jobs 1                  # one test at a time, in suite order
  mcptest run suite.yaml --json                    # the JSON report, eras and versions included
  mcptest run suite.yaml --reporter html -o report.html   # one self-contained page: open it anywhere
  mcptest run suite.yaml --protocol 2025-11-25     # every server at the 2025 handshake
  mcptest run suite.yaml --filter '[2026-07-28]'   # one revision of a protocol matrix
  mcptest run suite.yaml --coverage                # tools 12/15 (80%): untested create_issue, …
  mcptest run suite.yaml --min-coverage tools=90,prompts=50 --reporter junit --output mcp.xml
  mcptest run suite.yaml --schema-checks warn      # outputSchema breaks reported, not failed
  mcptest run suite.yaml --update-snapshots        # (re)write snapshot files: results and surfaces
  mcptest run suites/*.yaml --shard 2/3 --reporter json --output results/shard-2.json

Several suites run one after the other, each with its own connections; every suite is checked
before the first one starts. JUnit gets one <testsuite> per suite; JSON gets the report of a
single suite, or { version, suites: [...], summary, exitCode } for several. HTML is one
self-contained page (inline CSS, SVG and script, nothing loaded at view time): the summary, the
servers with the era each spoke, every test with its failures and diffs and a duration chart,
a load: test with its latency over time and percentile curve.

Jobs: --jobs N tests run at once (default 2 per core, at least 4, at most 16), sharing each
server's connection and the daemon's tokens (one mint or refresh per credential, whatever N is).
A test with serial: true runs alone (a load: test too, unless serial: false); a suite with
serial: true runs its tests one after another.
Reports list tests in suite order whatever order they end in; each test's time is its own
(its calls and checks, not the wait for its turn or a connection).
On a terminal (stderr a TTY, CI unset, no NO_COLOR) a live line shows done/total, failures so far
and the tests running; in CI or a pipe the output stays plain.

Eras: each server speaks \`protocol:\` (auto by default: 2026-07-28 when the server offers it,
else the 2025 initialize handshake); \`protocols: [2026-07-28, 2025-11-25]\` runs every test once
per revision, reported apart (\`echo [2026-07-28]\`). Reports name the era and version used.
Canned \`answers:\` (elicitation, sampling, roots) serve both eras' requests for input.

Coverage (--coverage, --min-coverage): after the tests, each server's tools, prompts, resources
and resource templates are listed once (every page) and compared with what the suite exercised:
a tool by a \`tool:\` test that was sent (not rejects_input tests, not tool_present), a prompt by
a \`prompt:\` test, a resource by a \`resource:\` test of its URI, a template by one whose URI it
matches. A kind a server does not offer is never counted as 0/0. A protocol matrix is measured
once per server, tests of every revision counting.

Schema checks: every tool call's structuredContent is validated against the tool's
outputSchema from tools/list (JSON Schema 2020-12 unless the schema says otherwise), and a tool
with an outputSchema must answer structuredContent (tool errors are exempt). A break fails the
test unless schema_checks: warn|off (suite or server) or --schema-checks says otherwise.
Snapshots: expect.snapshot: FILE compares the sanitized result (UUIDs, timestamps, JWTs, epoch
milliseconds and the suite's sanitize: rules replaced) with FILE; a change fails with a diff.

Snapshot tests (\`snapshot: surface.json\`, a file from \`mcptest snapshot\`, relative to the
suite) fail on every breaking change of the server's surface (\`fail_on: risky\` for more);
--update-snapshots rewrites their files (and creates missing ones) from the live servers.

Auth per server in the suite: auth.bearer_token_env (a token in an env var), auth.oauth
(client credentials, minted once by the daemon and shared by parallel runs), or nothing
(a cached login from \`mcptest login URL\`). Secrets are only ever named by env var.

Shards (--shard i/n): the tests --filter keeps, across every suite in the order given, are dealt
round-robin (test k to shard k mod n + 1); the runs of a protocol matrix test stay in one shard.
Every shard must get the same suites, in the same order, with the same --filter and --protocol.
Each JSON report carries shard { index, total, suiteTests, positions }; \`mcptest merge-reports
results/*.json\` joins them (docs/ci.md: a GitHub Actions matrix). Coverage in a shard counts that
shard only: give --coverage to the shards and --min-coverage to merge-reports.

Exit codes: 0 all passed, 1 a test failed or coverage is below --min-coverage, 2 a suite or
the flags are invalid, 3 a server refused our credentials (the report says which input to fix).
Format: docs/suite-format.md; editor schema: mcptest schema --output suite.schema.json`,
    )
    .action(async (files: string[], flags: RunFlags) => {
      const first = files[0];
      if (flags.json) {
        if (flags.reporter !== 'human' && flags.reporter !== 'json') {
          throw new McptestError(
            'invalid_request',
            `--json asks for the JSON report, --reporter ${flags.reporter} for another: give one`,
            { hint: `mcptest run ${first} --json` },
          );
        }
        flags.reporter = 'json';
      }
      if (!(REPORTERS as readonly string[]).includes(flags.reporter)) {
        throw new McptestError(
          'invalid_request',
          `unknown reporter "${flags.reporter}"; choose one of ${REPORTERS.join(', ')}`,
          { hint: `mcptest run ${first} --reporter junit` },
        );
      }
      const reporter = flags.reporter as ReporterName;
      const { jobsFrom } = await import('../runner/jobs.js');
      const concurrency = jobsFrom(flags, first);
      const timeoutSeconds = Number(flags.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) {
        throw new McptestError(
          'invalid_request',
          `--timeout takes seconds from 0.001 to 3600, not ${flags.timeout}`,
          {
            hint: `mcptest run ${first} --timeout 30`,
          },
        );
      }
      const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
      const protocol = flags.protocol === undefined ? undefined : protocolChoice(flags.protocol, first);
      const { parseThresholds } = await import('../runner/coverage.js');
      const minCoverage =
        flags.minCoverage === undefined ? undefined : parseThresholds(flags.minCoverage, first);
      const coverage = Boolean(flags.coverage) || minCoverage !== undefined;
      const schemaChecks =
        flags.schemaChecks === undefined ? undefined : schemaCheckChoice(flags.schemaChecks, first);

      const [
        { loadSuite },
        { combinedExitCode, runSuite, testFilter },
        human,
        { connectToServer },
        { planRuns },
      ] = await Promise.all([
        import('../runner/load-suite.js'),
        import('../runner/run-suite.js'),
        import('../runner/reporters/human.js'),
        import('../mcp/connect.js'),
        import('../runner/protocol-matrix.js'),
      ]);
      const { cliConnectIo } = await import('../connect-io.js');
      const stepUpIo = cliConnectIo(io);
      const match = testFilter(flags.filter); // a bad /regex/ is a usage error before anything starts
      const { parseShard, shareOf } = await import('../runner/shard.js');
      const shardSpec = flags.shard === undefined ? undefined : parseShard(flags.shard, first);
      if (shardSpec && minCoverage !== undefined) {
        throw new McptestError(
          'invalid_request',
          '--min-coverage judges the whole run, and a shard exercises only its share: give --coverage to the shards and --min-coverage to merge-reports',
          {
            hint: `mcptest run ${first} --shard ${flags.shard} --coverage --reporter json --output results/shard-${shardSpec.index}.json && mcptest merge-reports results/*.json --min-coverage ${flags.minCoverage}`,
          },
        );
      }
      // Every suite is loaded (and so validated) before the first one runs.
      const suites = files.map((file) => loadSuite(file, io));
      // With --filter, a suite without a matching test is left out; none at all is a usage error.
      const selected = flags.filter
        ? suites.filter((l) => planRuns(l.suite, l.suite.tests, protocol, match).length > 0)
        : suites;
      if (selected.length === 0) {
        const total = suites.reduce((n, l) => n + l.suite.tests.length, 0);
        throw new McptestError(
          'invalid_request',
          `no test in ${files.join(', ')} matches --filter ${flags.filter} (${total} test${total === 1 ? '' : 's'} in all)`,
          { hint: `mcptest run ${files.join(' ')}` },
        );
      }

      const shares = shardSpec ? shareOf(selected, shardSpec, protocol, match) : undefined;
      if (shardSpec && shares) {
        const mine = shares.reduce((n, s) => n + s.tests.size, 0);
        const all = selected.reduce(
          (n, l) => n + new Set(planRuns(l.suite, l.suite.tests, protocol, match).map((r) => r.test)).size,
          0,
        );
        io.stderr(
          `--shard ${shardSpec.index}/${shardSpec.total}: ${mine} of ${all} test${all === 1 ? '' : 's'}\n`,
        );
      }

      const colour = !flags.output && reporter === 'human' && human.wantsColour(io.stdoutIsTTY, io.env);
      const palette = colour ? human.COLOURS : human.PLAIN;
      const errPalette = human.wantsColour(io.stderrIsTTY, io.env) ? human.COLOURS : human.PLAIN;
      const { liveProgress, wantsProgress } = await import('../runner/reporters/progress.js');
      // The live line on stderr: stdout and stderr writes go around it, so that it stays last.
      const progress = wantsProgress(io.stderrIsTTY, io.env) ? liveProgress(io.stderr) : undefined;
      const out = progress ? progress.around(io.stdout) : io.stdout;
      const err = progress ? progress.around(io.stderr) : io.stderr;
      const live = reporter === 'human' && !flags.output ? human.humanLive(out, palette) : undefined;

      const reports = [];
      /** Suites --bail kept from running, after a failure in an earlier one. */
      let notRun: string[] = [];
      for (const [index, loaded] of selected.entries()) {
        if (io.signal.aborted) break;
        const report = await runSuite(
          loaded,
          {
            filter: flags.filter,
            bail: flags.bail,
            concurrency,
            timeoutMs,
            protocol,
            coverage,
            minCoverage,
            schemaChecks,
            updateSnapshots: flags.updateSnapshots === true,
            shard: shares?.[index],
          },
          {
            // Step-up (a browser approval of a wider scope) reports on stderr, beside the live report.
            connect: (target, connectIo) =>
              connectToServer(target, {
                ...connectIo,
                stderr: progress && stepUpIo.stderr ? progress.around(stepUpIo.stderr) : stepUpIo.stderr,
                stderrIsTTY: stepUpIo.stderrIsTTY,
                interactive: stepUpIo.interactive,
                approveInBrowser: stepUpIo.approveInBrowser,
              }),
            env: io.env,
            vars: io.vars,
            signal: io.signal,
            onEvent: (e) => {
              progress?.onEvent(e);
              if (live) live(e);
              // Machine reports still tell the human at the console which server refused us.
              else if (e.type === 'server' && e.server.error)
                err(human.humanServerFailure(e.server, errPalette));
            },
          },
        ).finally(() => progress?.stop());
        reports.push(report);
        if (live) {
          io.stdout(
            `${human.humanSummary(report, palette)}${human.humanCoverage(report, palette)}${selected.length > 1 ? '\n' : ''}`,
          );
        } else if (report.coverage?.passed === false) {
          // A machine report on stdout or in a file: the console still says why the run failed.
          io.stderr(
            `${loaded.file}: coverage below --min-coverage:\n${report.coverage.shortfalls.map((l) => `  ${l}\n`).join('')}`,
          );
        }
        if (flags.bail && report.exitCode !== 0) {
          notRun = selected.slice(index + 1).map((l) => l.file);
          if (notRun.length > 0)
            io.stderr(`--bail: stopped after a failure in ${loaded.file}; not run: ${notRun.join(', ')}\n`);
          break;
        }
      }
      if (reports.length === 0) {
        result.exitCode = ExitCode.cancel; // interrupted before the first suite started
        return;
      }
      const several = reports.length > 1;

      let text: string;
      if (reporter === 'json')
        text = (await import('../runner/reporters/json.js')).renderJson(reports, notRun);
      else if (reporter === 'junit')
        text = (await import('../runner/reporters/junit.js')).renderJunit(reports);
      else if (reporter === 'html')
        text = (await import('../runner/reporters/html.js')).renderHtml(reports, notRun);
      else if (flags.output)
        text =
          reports.map((r) => human.renderHuman(r)).join('\n') +
          (several ? human.humanTotal(reports, human.PLAIN) : '');
      else text = several ? human.humanTotal(reports, palette) : '';
      const summary = several
        ? human.humanTotal(reports, errPalette)
        : human.humanSummary(reports[0], errPalette);

      if (flags.output) {
        const fs = await import('node:fs');
        const path = await import('node:path');
        const target = path.resolve(io.cwd, flags.output);
        try {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, text);
        } catch (err) {
          throw new McptestError(
            'invalid_request',
            `cannot write the report to ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            { hint: `mcptest run ${files.join(' ')} --output ./report.xml` },
          );
        }
        io.stderr(`${flags.output}: ${summary}`);
      } else {
        io.stdout(text);
      }
      result.exitCode = combinedExitCode(reports);
    });
}
