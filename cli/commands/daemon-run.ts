/**
 * `mcptest daemon run`: the daemon in the foreground. Shared by the full command (daemon.ts) and
 * the fast path (fast-path.ts), which starts a self-spawned daemon without building the command
 * tree: nothing of the CLI but this file loads before the daemon's own modules.
 */
import { McptestError } from '../../shared/errors.js';

export interface DaemonRunOptions {
  idleExit?: string;
  logLevel?: string;
  jsonErrors?: boolean;
}

export async function runDaemonCommand(
  io: { env: NodeJS.ProcessEnv; stderr: (text: string) => void },
  opts: DaemonRunOptions,
): Promise<void> {
  const idle = opts.idleExit === undefined ? undefined : Number(opts.idleExit);
  if (idle !== undefined && (!Number.isFinite(idle) || idle < 0)) {
    throw new McptestError('invalid_request', `--idle-exit takes seconds (0 or more), not ${opts.idleExit}`);
  }
  const { runDaemon } = await import('../../daemon/main.js');
  try {
    const outcome = await runDaemon({
      env: io.env,
      idleExitSeconds: idle,
      logLevel: opts.logLevel as never,
      onListening: (info) =>
        io.stderr(
          `mcptest auth daemon listening on ${info.socketPath} (pid ${info.pid}, managed by ${info.managedBy})\n`,
        ),
    });
    if (outcome.result === 'already-running')
      io.stderr(`mcptest auth daemon: ${outcome.reason}; not starting a second one\n`);
    else io.stderr(`mcptest auth daemon stopped (${outcome.reason})\n`);
  } catch (err) {
    if (opts.jsonErrors && err instanceof McptestError)
      io.stderr(`${JSON.stringify({ error: err.toJSON() })}\n`);
    throw err;
  }
}
