#!/usr/bin/env node
/**
 * The CLI entry point: reads .env (into a map of its own, see env-file.ts), builds the command
 * tree, runs it, maps the outcome to an exit code. The only place in mcptest that calls process.exit.
 */
import { setMaxListeners } from 'node:events';
import { CommanderError } from 'commander';
import { ExitCode } from '../shared/errors.js';
import { namedVariables, readEnvFile } from './env-file.js';
import { type CommandResult, processIo, reportError } from './io.js';
import { buildProgram } from './program.js';

async function main(): Promise<number> {
  const controller = new AbortController();
  // Every request of a run (token fetches, MCP calls, retries after a step-up) listens on this one
  // signal while in flight and lets go when done; up to 256 tests run at once.
  setMaxListeners(1024, controller.signal);
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    controller.abort(new Error('interrupted'));
    if (interrupts > 1) process.exit(ExitCode.cancel);
  };
  process.on('SIGINT', onSigint);
  // `mcptest ... | head` closes stdout early: stop quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(ExitCode.ok);
      throw err;
    });
  }

  // .env in the working directory fills in only the variables a suite or flag names; it never
  // enters process.env, so the daemon and every other process spawned never inherit from it.
  const warn = (text: string) => process.stderr.write(text);
  const vars = namedVariables(process.env, readEnvFile(process.cwd(), warn), warn);
  const io = processIo(controller.signal, vars);
  const result: CommandResult = { exitCode: ExitCode.ok };
  const argv = process.argv;
  try {
    await (await buildProgram(io, result, argv)).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; unknown options and missing arguments are usage errors.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(io, err, argv.includes('--json'));
  } finally {
    process.off('SIGINT', onSigint);
  }
  return controller.signal.aborted && result.exitCode === ExitCode.ok ? ExitCode.ok : result.exitCode;
}

const code = await main();
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
