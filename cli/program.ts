import { Command } from 'commander';
import { VERSION } from '../shared/version.js';
import { COMMANDS } from './commands/index.js';
import type { CliIo, CommandResult } from './io.js';

/**
 * Builds the command tree with injected IO; parsing never exits the process. Only the command
 * named by `argv` is loaded (every command for `--help`, `help` or an unknown name, so help
 * lists them all and a typo gets a suggestion).
 */
export async function buildProgram(
  io: CliIo,
  result: CommandResult,
  argv: readonly string[],
): Promise<Command> {
  const program = new Command('mcptest')
    .version(VERSION, '-V, --version')
    .description('Test MCP servers, including those behind OAuth, from CI, agents and headless machines.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      'after',
      `
Auth sources, in order: --bearer-token-env VAR (a token in an env var), auth.oauth client
credentials in a suite, then a cached login (mcptest login URL, or --device for headless boxes).
Tokens are cached and refreshed by a per-user daemon; secrets never appear in output or logs.
Docs: docs/ in the package (cli.md, authentication.md, suite-format.md, errors.md).`,
    );
  const first = argv[2];
  const named = COMMANDS.filter((c) => c.names.includes(first));
  const wanted = first === '-V' || first === '--version' ? [] : named.length > 0 ? named : COMMANDS;
  for (const register of await Promise.all(wanted.map((c) => c.load()))) register(program, io, result);
  program.commands.forEach(function inherit(cmd: Command) {
    cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    cmd.commands.forEach(inherit);
  });
  return program;
}
