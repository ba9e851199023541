#!/usr/bin/env node
/**
 * The CLI's ESM entry point (the `mcptest` command enters through bin.cts, which runs the fast
 * path itself and comes here for the rest): the fast path first (`--version`, `auth token`,
 * `auth headers`, the plain `tools`; see fast-path.ts), then the full CLI: reads .env (into a
 * map of its own, see env-file.ts), builds the command tree, runs it, maps the outcome to an
 * exit code. With bin.cts, the only places in mcptest that call process.exit (besides a closed
 * stdout, which ends a process quietly).
 */
import { setMaxListeners } from 'node:events';
import { fastPath } from './fast-path.js';

async function main(): Promise<number> {
  const [{ CommanderError }, { ExitCode }, envFile, io_, { buildProgram }] = await Promise.all([
    import('commander'),
    import('../shared/errors.js'),
    import('./env-file.js'),
    import('./io.js'),
    import('./program.js'),
  ]);
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
  const vars = envFile.namedVariables(process.env, envFile.readEnvFile(process.cwd(), warn), warn);
  const io = io_.processIo(controller.signal, vars);
  const result: { exitCode: number } = { exitCode: ExitCode.ok };
  const argv = process.argv;
  try {
    await (await buildProgram(io, result, argv)).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; unknown options and missing arguments are usage errors.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return io_.reportError(io, err, argv.includes('--json'));
  } finally {
    process.off('SIGINT', onSigint);
  }
  return controller.signal.aborted && result.exitCode === ExitCode.ok ? ExitCode.ok : result.exitCode;
}

// The `mcptest` command (bin.cts) has run the fast path already when it hands over to this file.
const ranAlready = (globalThis as { mcptestFastPathRan?: boolean }).mcptestFastPathRan === true;
const code = (ranAlready ? null : await fastPath(process.argv)) ?? (await main());
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
