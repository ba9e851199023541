import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { resolvePaths } from '../../shared/paths.js';
import { duration, isoTime, relativeTime, table } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';

/** `mcptest daemon run|start|stop|status|logs`. */
export function registerDaemon(program: Command, io: CliIo, result: CommandResult): void {
  const daemon = program
    .command('daemon')
    .description('run and inspect the per-user auth daemon that owns every token')
    .addHelpText(
      'after',
      `
The daemon starts by itself when a command needs a token; you rarely start it by hand.
It listens on a Unix socket (MCPTEST_SOCKET, else $XDG_RUNTIME_DIR/mcptest/authd.sock,
else ~/.mcptest/run/authd.sock) and keeps tokens in ~/.mcptest/auth/tokens.db.`,
    );

  daemon
    .command('run')
    .description('run the daemon in the foreground (what systemd starts)')
    .option('--idle-exit <seconds>', 'exit after this many idle seconds; 0 never exits (default 900)')
    .addOption(
      new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']),
    )
    .addOption(new Option('--json-errors', 'print start-up errors as JSON lines').hideHelp())
    .action(async (opts: { idleExit?: string; logLevel?: string; jsonErrors?: boolean }) => {
      const { runDaemon } = await import('../../daemon/main.js');
      const idle = opts.idleExit === undefined ? undefined : Number(opts.idleExit);
      if (idle !== undefined && (!Number.isFinite(idle) || idle < 0)) {
        throw new McptestError(
          'invalid_request',
          `--idle-exit takes seconds (0 or more), not ${opts.idleExit}`,
        );
      }
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
    });

  daemon
    .command('start')
    .description('start the daemon in the background (no-op when it runs)')
    .option('--json', 'print the daemon health as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { ensureDaemon } = await import('../../client/ensure-daemon.js');
      const client = await ensureDaemon({ env: io.env });
      const health = await client.health();
      await client.close();
      if (opts.json) io.stdout(`${JSON.stringify({ ...health, socketPath: client.socketPath }, null, 2)}\n`);
      else
        io.stdout(
          `mcptest auth daemon running: pid ${health.pid}, version ${health.version}, socket ${client.socketPath}\n`,
        );
    });

  daemon
    .command('stop')
    .description('stop the daemon gracefully (in-flight refreshes finish, the store is closed)')
    .action(async () => {
      const { DaemonClient } = await import('../../client/daemon-client.js');
      const { z } = await import('zod');
      const paths = resolvePaths(io.env);
      const client = new DaemonClient(paths.socketPath);
      const health = await client.health().catch(() => null);
      if (!health) {
        io.stdout('mcptest auth daemon is not running\n');
        await client.close();
        return;
      }
      await client.call('POST', '/v1/shutdown', z.unknown());
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (await client.health(500).catch(() => null))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await client.close();
      io.stdout(`mcptest auth daemon stopped (pid ${health.pid})\n`);
      if (health.managedBy === 'systemd') {
        io.stderr(
          'note: systemd manages this daemon; it starts again on the next connection. To stop it for good: systemctl --user stop mcptest-authd.socket mcptest-authd.service\n',
        );
      }
    });

  daemon
    .command('status')
    .description('show pid, version, uptime, socket, credentials, pending logins and refresh times')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { DaemonClient } = await import('../../client/daemon-client.js');
      const paths = resolvePaths(io.env);
      const client = new DaemonClient(paths.socketPath);
      try {
        const status = await client.status().catch((err) => {
          if (err instanceof McptestError && err.code === 'daemon_unreachable') return null;
          throw err;
        });
        if (!status) {
          if (opts.json)
            io.stdout(`${JSON.stringify({ running: false, socketPath: paths.socketPath }, null, 2)}\n`);
          else
            io.stdout(
              `mcptest auth daemon is not running (socket ${paths.socketPath}); it starts on demand\n`,
            );
          result.exitCode = 1;
          return;
        }
        if (opts.json) {
          io.stdout(`${JSON.stringify({ running: true, ...status }, null, 2)}\n`);
          return;
        }
        const now = Date.now();
        const lines = [
          `mcptest auth daemon: running`,
          `  pid:            ${status.pid}`,
          `  version:        ${status.version} (IPC v${status.api})`,
          `  uptime:         ${duration(status.uptimeSeconds * 1000)}`,
          `  managed by:     ${status.managedBy}`,
          `  socket:         ${status.socketPath}`,
          `  store:          ${status.dbPath}`,
          `  credentials:    ${status.credentials}`,
          `  pending logins: ${status.pendingLogins}`,
          `  next refresh:   ${status.nextRefreshAt === null ? 'none scheduled' : `${isoTime(status.nextRefreshAt)} (${relativeTime(status.nextRefreshAt, now)})`}`,
          `  idle exit:      ${status.idleExitSeconds === null ? 'never' : `after ${status.idleExitSeconds}s without requests`}`,
        ];
        io.stdout(`${lines.join('\n')}\n`);
        if (status.refreshes.length) {
          io.stdout(
            `\nScheduled refreshes:\n${table(
              status.refreshes.map((r) => [r.serverUrl, `${isoTime(r.at)} (${relativeTime(r.at, now)})`]),
              ['SERVER', 'AT'],
            )}`,
          );
        }
        if (status.lastErrors.length) {
          io.stdout(
            `\nLast refresh errors:\n${table(
              status.lastErrors.map((e) => [e.serverUrl, e.error]),
              ['SERVER', 'ERROR'],
            )}`,
          );
        }
      } finally {
        await client.close();
      }
    });

  daemon
    .command('logs')
    .description("show the daemon's log readably")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --lines <n>', 'how many recent lines to show', '50')
    .option('--json', 'print the raw JSON lines')
    .action(async (opts: { follow?: boolean; lines: string; json?: boolean }) => {
      const { formatLogLine } = await import('../log-format.js');
      const paths = resolvePaths(io.env);
      if (!fs.existsSync(paths.logFile)) {
        io.stderr(`no daemon log yet at ${paths.logFile} (the daemon has not run with this MCPTEST_HOME)\n`);
        return;
      }
      const show = (line: string) => {
        if (line.trim()) io.stdout(`${opts.json ? line : formatLogLine(line)}\n`);
      };
      const text = fs.readFileSync(paths.logFile, 'utf8');
      const lines = text.split('\n').filter(Boolean);
      for (const line of lines.slice(-Math.max(1, Number(opts.lines) || 50))) show(line);
      if (!opts.follow) return;
      let offset = Buffer.byteLength(text);
      let partial = '';
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const size = fs.statSync(paths.logFile).size;
          if (size < offset) offset = 0; // rotated or truncated
          if (size === offset) return;
          const fd = fs.openSync(paths.logFile, 'r');
          const buf = Buffer.alloc(size - offset);
          fs.readSync(fd, buf, 0, buf.length, offset);
          fs.closeSync(fd);
          offset = size;
          const chunk = partial + buf.toString('utf8');
          const parts = chunk.split('\n');
          partial = parts.pop() ?? '';
          for (const p of parts) show(p);
        }, 250);
        io.signal.addEventListener('abort', () => {
          clearInterval(timer);
          resolve();
        });
      });
    });
}
