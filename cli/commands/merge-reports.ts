/**
 * `mcptest merge-reports FILES...`: joins the JSON reports of `mcptest run --shard i/n` into one
 * report (cli/runner/merge-reports.ts), rendered by any reporter of cli/runner/reporters/index.ts.
 */
import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import type { CliIo, CommandResult } from '../io.js';
import { REPORT_NAMES, REPORT_RENDERERS } from '../runner/reporters/index.js';

interface MergeFlags {
  reporter: string;
  json?: boolean;
  output?: string;
  minCoverage?: string;
}

export function registerMergeReports(program: Command, io: CliIo, result: CommandResult): void {
  program
    .command('merge-reports')
    .description(
      'join the JSON reports of `mcptest run --shard i/n` into the report of the whole run (human, JSON, JUnit, HTML), exit code of the worst shard',
    )
    .argument(
      '<files...>',
      'the JSON report of every shard (`results/*.json`), each shard once, in any order',
    )
    .option('--reporter <name>', `report format: ${REPORT_NAMES.join(', ')}`, 'human')
    .option('--json', 'the JSON report (--reporter json), in the shape of one unsharded run')
    .option(
      '-o, --output <file>',
      'write the report to FILE instead of stdout (a summary line still goes to stderr)',
    )
    .option(
      '--min-coverage <spec>',
      "fail (exit 1) when the shards' coverage together is below PCT: `80`, or `tools=80,prompts=50` (the shards ran with --coverage)",
    )
    .addHelpText(
      'after',
      `
Examples:
  mcptest merge-reports results/*.json
  mcptest merge-reports results/*.json --reporter junit -o reports/mcp.xml
  mcptest merge-reports results/*.json --reporter html -o report.html   # one self-contained page
  mcptest merge-reports results/*.json --json > report.json
  mcptest merge-reports results/*.json --min-coverage tools=90

Each shard writes its report with
  mcptest run suites/*.yaml --shard 2/3 --reporter json --output results/shard-2.json
and the merged report is the one an unsharded run would have given: every test once, in the
suites' order, the counts added up, servers joined (a failure kept over a success), coverage as
the union of what the shards exercised, the duration of the longest shard.

Refused (exit 2, reports_mismatch): a file that is not a shard's JSON report, shards of different
suites or test counts (another --filter or --protocol), different shard totals, a shard missing
or given twice. A test that appears twice is a warning on stderr. GitHub Actions: docs/ci.md.

Exit codes: the worst of the shards (130 interrupted, 3 a server refused our credentials, 1 a
test failed), 1 also when the merged coverage is below --min-coverage, 2 bad flags or reports.`,
    )
    .action(async (files: string[], flags: MergeFlags) => {
      if (flags.json) {
        if (flags.reporter !== 'human' && flags.reporter !== 'json') {
          throw new McptestError(
            'invalid_request',
            `--json asks for the JSON report, --reporter ${flags.reporter} for another: give one`,
            { hint: `mcptest merge-reports ${files.join(' ')} --json` },
          );
        }
        flags.reporter = 'json';
      }
      const load = Object.hasOwn(REPORT_RENDERERS, flags.reporter)
        ? REPORT_RENDERERS[flags.reporter]
        : undefined;
      if (!load) {
        throw new McptestError(
          'invalid_request',
          `unknown reporter "${flags.reporter}"; choose one of ${REPORT_NAMES.join(', ')}`,
          { hint: `mcptest merge-reports ${files.join(' ')} --reporter junit` },
        );
      }
      const { parseThresholds } = await import('../runner/coverage.js');
      const minCoverage =
        flags.minCoverage === undefined ? undefined : parseThresholds(flags.minCoverage, files[0]);

      const fs = await import('node:fs');
      const path = await import('node:path');
      const inputs = files.map((file) => {
        let text: string;
        try {
          text = fs.readFileSync(path.resolve(io.cwd, file), 'utf8');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // A shell glob that matched nothing arrives as itself: `results/*.json`.
          const why =
            code === 'ENOENT'
              ? /[*?[]/.test(file)
                ? 'no file matches it (did the shards write their reports there?)'
                : 'no such file'
              : (code ?? (err as Error).message);
          throw new McptestError('invalid_request', `cannot read ${file}: ${why}`, {
            hint: 'mcptest run SUITE.yaml --shard 1/3 --reporter json --output results/shard-1.json && mcptest merge-reports results/*.json',
          });
        }
        try {
          return { file, data: JSON.parse(text) as unknown };
        } catch (err) {
          throw new McptestError('reports_mismatch', `${file} is not JSON: ${(err as Error).message}`, {
            hint: 'mcptest run SUITE.yaml --shard 1/3 --reporter json --output results/shard-1.json',
          });
        }
      });

      const [{ mergeReports }, human] = await Promise.all([
        import('../runner/merge-reports.js'),
        import('../runner/reporters/human.js'),
      ]);
      const merged = mergeReports(inputs, { minCoverage });
      for (const w of merged.warnings) io.stderr(`warning: ${w}\n`);

      const errPalette = human.wantsColour(io.stderrIsTTY, io.env) ? human.COLOURS : human.PLAIN;
      const palette =
        !flags.output && flags.reporter === 'human' && human.wantsColour(io.stdoutIsTTY, io.env)
          ? human.COLOURS
          : human.PLAIN;
      const render = await load();
      const text = render(merged.reports, palette);
      const suites = merged.reports.length;
      const summary =
        `${merged.shards} shard${merged.shards === 1 ? '' : 's'} merged: ` +
        (suites > 1
          ? human.humanTotal(merged.reports, errPalette)
          : human.humanSummary(merged.reports[0], errPalette));

      if (flags.output) {
        const target = path.resolve(io.cwd, flags.output);
        try {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, text);
        } catch (err) {
          throw new McptestError(
            'invalid_request',
            `cannot write the report to ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            { hint: `mcptest merge-reports ${files.join(' ')} --output ./report.xml` },
          );
        }
        io.stderr(`${flags.output}: ${summary}`);
      } else {
        io.stdout(text);
        if (flags.reporter !== 'human') io.stderr(summary);
      }
      for (const r of merged.reports) {
        if (r.coverage?.passed === false) {
          io.stderr(
            `${r.suite.file}: coverage below --min-coverage:\n${r.coverage.shortfalls.map((l) => `  ${l}\n`).join('')}`,
          );
        }
      }
      result.exitCode = merged.exitCode;
    });
}
