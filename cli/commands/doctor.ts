import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

/** `mcptest doctor`: a layered connection check with one hint per problem. */
export function registerDoctor(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('doctor')
    .description(
      'diagnose a connection layer by layer: config, DNS/TCP/TLS, HTTP, AUTH, MCP initialize, tools/list',
    );
  addTargetOptions(cmd)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Each layer passes (✓), warns (!), fails (✗) or is skipped after an earlier failure, with one hint.
The AUTH layer tells apart: no credentials supplied; env var named but unset or empty; token sent
and rejected (401); token sent but lacking permission (403); cached login expired.

Examples:
  mcptest doctor --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN
  mcptest doctor --url https://mcp.example.com/mcp --client-id ci --client-secret-env CI_SECRET --json
  mcptest doctor --command node --arg server.js

Exit codes: 0 every layer passed (warnings allowed), 3 an auth failure, 1 any other failure.`,
    )
    .action(async (opts: TargetFlags & { json?: boolean }) => {
      const { targetFromOptions } = await import('../mcp/target-options.js');
      const { runDoctor } = await import('../doctor/run-doctor.js');
      const { formatReport } = await import('../doctor/report.js');
      const { cliConnectIo } = await import('../connect-io.js');
      const report = await runDoctor(targetFromOptions(opts), cliConnectIo(io));
      if (opts.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout(formatReport(report, io.stdoutIsTTY && !io.env.NO_COLOR));
      result.exitCode = report.exitCode;
    });
}
