import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import type { CliIo, CommandResult } from '../io.js';
import { addCredentialOptions, addHeaderOption, type TargetFlags } from '../mcp/target-options.js';

const REPORTERS = ['human', 'json', 'junit'] as const;
const PROTOCOLS = ['both', '2026-07-28', '2025-11-25'] as const;

interface ConformanceFlags extends TargetFlags {
  protocol: string;
  scenario?: string[];
  json?: boolean;
  reporter: string;
  output?: string;
  timeout: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `mcptest conformance URL`: the official MCP conformance server suite, both requirement sets. */
export function registerConformance(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('conformance')
    .description(
      'run the official MCP conformance server suite against a server (OAuth-protected or not), at the 2026-07-28 and 2025-11-25 requirement sets, and report per scenario',
    )
    .argument('<url>', 'the MCP server endpoint (Streamable HTTP)')
    .option('--protocol <revision>', `the requirement set(s) to run: ${PROTOCOLS.join(' | ')}`, 'both')
    .option(
      '--scenario <name>',
      'run only this scenario (repeatable), at each chosen revision whose set holds it',
      collect,
    )
    .option('--reporter <name>', `report format: ${REPORTERS.join(', ')}`, 'human')
    .option(
      '--json',
      'the JSON report (--reporter json): per scenario its revision, status, check counts, failures',
    )
    .option(
      '-o, --output <file>',
      'write the report to FILE instead of stdout (a summary still goes to stderr)',
    )
    .option(
      '--timeout <seconds>',
      'the time each scenario may take (and each request of the first connection)',
      '30',
    );
  addHeaderOption(addCredentialOptions(cmd)).addHelpText(
    'after',
    `
The suite (package conformance-next, @modelcontextprotocol/conformance 0.2.0-alpha) has no auth
options, so mcptest starts its authenticating proxy on 127.0.0.1 with a random secret URL and
points the suite there: each request gets the token the daemon holds for URL (a cached login,
--client-id, or --bearer-token-env), sent to the server's origin only. A server that needs no
token is tested as it is. The suite's result files stay in a private temporary folder, removed
afterwards; the secret never appears in the report.

Examples:
  mcptest login https://mcp.example.com/mcp
  mcptest conformance https://mcp.example.com/mcp
  mcptest conformance https://mcp.example.com/mcp --protocol 2025-11-25 --scenario tools-list --scenario ping
  mcptest conformance http://127.0.0.1:3000/mcp --reporter junit -o conformance.xml
  mcptest conformance https://mcp.example.com/mcp --client-id ci --client-secret-env CI_SECRET --json

Scenarios a requirement set runs without scoring them (extensions such as tasks, pending ones)
are reported apart and do not change the exit code unless named with --scenario.
Exit codes: 0 every scored scenario passed (warnings allowed), 1 a scenario failed or the suite
could not run, 2 a usage error, 3 no login or the server refused the credentials.
Docs: docs/conformance.md`,
  );
  cmd.action(async (url: string, flags: ConformanceFlags) => {
    if (flags.json) {
      if (flags.reporter !== 'human' && flags.reporter !== 'json') {
        throw new McptestError(
          'invalid_request',
          `--json asks for the JSON report, --reporter ${flags.reporter} for another: give one`,
          { hint: `mcptest conformance ${url} --json` },
        );
      }
      flags.reporter = 'json';
    }
    if (!(REPORTERS as readonly string[]).includes(flags.reporter)) {
      throw new McptestError(
        'invalid_request',
        `unknown reporter "${flags.reporter}"; choose one of ${REPORTERS.join(', ')}`,
        { hint: `mcptest conformance ${url} --reporter junit -o conformance.xml` },
      );
    }
    if (!(PROTOCOLS as readonly string[]).includes(flags.protocol)) {
      throw new McptestError(
        'invalid_request',
        `--protocol takes ${PROTOCOLS.join(', ')}, not ${JSON.stringify(flags.protocol.slice(0, 40))}`,
        { hint: `mcptest conformance ${url} --protocol both` },
      );
    }
    const timeoutSeconds = Number(flags.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new McptestError(
        'invalid_request',
        `--timeout takes seconds from 1 to 3600, not ${flags.timeout}`,
        {
          hint: `mcptest conformance ${url} --timeout 60`,
        },
      );
    }
    const [{ runConformance }, { conformanceProgress }, { REVISIONS }, { renderJson }, human] =
      await Promise.all([
        import('../conformance/run-conformance.js'),
        import('../conformance/progress.js'),
        import('../conformance/requirement-sets.js'),
        import('../conformance/report.js'),
        import('../runner/reporters/human.js'),
      ]);
    const { renderHuman, revisionSummary } = await import('../conformance/render-human.js');
    const revisions =
      flags.protocol === 'both' ? [...REVISIONS] : REVISIONS.filter((r) => r === flags.protocol);
    const { protocol: _p, scenario, json: _j, reporter, output, timeout: _t, ...auth } = flags;
    const progress = conformanceProgress(io.stderr, io.stderrIsTTY);
    const report = await runConformance(
      { url, revisions, scenarios: scenario ?? [], timeoutSeconds, auth },
      io,
      progress,
    );

    const colour = !output && reporter === 'human' && human.wantsColour(io.stdoutIsTTY, io.env);
    const errPalette = human.wantsColour(io.stderrIsTTY, io.env) ? human.COLOURS : human.PLAIN;
    let text: string;
    if (reporter === 'json') text = renderJson(report);
    else if (reporter === 'junit')
      text = (await import('../conformance/render-junit.js')).renderJunit(report);
    else text = renderHuman(report, colour ? human.COLOURS : human.PLAIN);
    if (output) {
      const fs = await import('node:fs');
      const path = await import('node:path');
      const target = path.resolve(io.cwd, output);
      try {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
      } catch (err) {
        throw new McptestError(
          'invalid_request',
          `cannot write the report to ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          { hint: `mcptest conformance ${url} --reporter ${reporter} -o ./conformance-report` },
        );
      }
      io.stderr(
        `${output}: written\n${report.revisions.map((r) => revisionSummary(r, errPalette)).join('')}`,
      );
    } else {
      io.stdout(text);
    }
    result.exitCode = report.exitCode;
  });
}
