import type { DaemonRunOptions } from './daemon-run.js';
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { resolvePaths } from '../../shared/paths.js';
import { duration, isoTime, relativeTime, table } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';

/** `mcptest daemon run|start|stop|status|logs|install|uninstall`. */
export function registerDaemon(program: Command, io: CliIo, result: CommandResult): void {
  const daemon = program
    .command('daemon')
    .description('run and inspect the per-user auth daemon that owns every token')
    .addHelpText(
      'after',
      `
The daemon starts by itself when a command needs a token; you rarely start it by hand.
It listens on a Unix socket (MCPTEST_SOCKET, else $XDG_RUNTIME_DIR/mcptest/authd.sock,
else ~/.mcptest/run/authd.sock) and keeps tokens in ~/.mcptest/auth/tokens.db.
To let systemd start it on demand instead: mcptest daemon install

Examples:
  $ mcptest daemon status
  $ mcptest daemon logs -f
  $ mcptest daemon install && systemctl --user daemon-reload && systemctl --user enable --now mcptest-authd.socket`,
    );

  daemon
    .command('run')
    .description('run the daemon in the foreground (what systemd starts)')
    .option(
      '--idle-exit <seconds>',
      'exit after this many seconds without requests once nothing is left to refresh or poll; 0 never exits (default 900)',
    )
    .addOption(
      new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']),
    )
    .addOption(new Option('--json-errors', 'print start-up errors as JSON lines').hideHelp())
    .addHelpText(
      'after',
      `
Runs until stopped (SIGTERM, Ctrl-C, mcptest daemon stop) or idle for --idle-exit seconds
with nothing to refresh or poll (also MCPTEST_DAEMON_IDLE_SECONDS). Under systemd it takes the
socket systemd passes (LISTEN_FDS) instead of binding one.

Example:
  $ mcptest daemon run --idle-exit 0 --log-level debug`,
    )
    .action(async (opts: DaemonRunOptions) => {
      const { runDaemonCommand } = await import('./daemon-run.js');
      await runDaemonCommand(io, opts);
    });

  daemon
    .command('start')
    .description('start the daemon in the background (no-op when it runs)')
    .option('--json', 'print the daemon health as JSON')
    .addHelpText(
      'after',
      `
When systemd manages the daemon (mcptest daemon install), this only checks that it answers;
start its socket with: systemctl --user start mcptest-authd.socket

Example:
  $ mcptest daemon start --json`,
    )
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
    .addHelpText(
      'after',
      `
Example:
  $ mcptest daemon stop`,
    )
    .action(async () => {
      const { runningDaemon } = await import('../../client/ensure-daemon.js');
      const running = await runningDaemon(resolvePaths(io.env));
      if (!running) {
        io.stdout('mcptest auth daemon is not running\n');
        return;
      }
      const { client, health } = running;
      await client.shutdown();
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
    .addHelpText(
      'after',
      `
Exits 1 when no daemon runs (it starts on demand; with systemd, on the next connection).

Examples:
  $ mcptest daemon status
  $ mcptest daemon status --json | jq .lastErrors`,
    )
    .action(async (opts: { json?: boolean }) => {
      const { isSystemdManaged, runningDaemon, systemdUserUnitDir, SYSTEMD_SOCKET_UNIT, trustedClient } =
        await import('../../client/ensure-daemon.js');
      const paths = resolvePaths(io.env);
      const unitsInstalled = fs.existsSync(`${systemdUserUnitDir(io.env)}/${SYSTEMD_SOCKET_UNIT}`);
      const systemd = isSystemdManaged(io.env, paths);
      const client = (await runningDaemon(paths))?.client ?? trustedClient(paths.socketPath, paths);
      try {
        const status = await client.status().catch((err) => {
          if (err instanceof McptestError && err.code === 'daemon_unreachable') return null;
          throw err;
        });
        if (!status) {
          if (opts.json)
            io.stdout(
              `${JSON.stringify({ running: false, socketPath: paths.socketPath, logFile: paths.logFile, systemdUnitsInstalled: unitsInstalled }, null, 2)}\n`,
            );
          else if (systemd)
            io.stdout(
              `mcptest auth daemon is not running (socket ${paths.socketPath}); systemd manages it and starts it on the next connection when its socket listens: systemctl --user status ${SYSTEMD_SOCKET_UNIT}\n`,
            );
          else
            io.stdout(
              `mcptest auth daemon is not running (socket ${paths.socketPath}); it starts on demand\n`,
            );
          result.exitCode = 1;
          return;
        }
        if (opts.json) {
          io.stdout(
            `${JSON.stringify({ running: true, ...status, logFile: paths.logFile, systemdUnitsInstalled: unitsInstalled }, null, 2)}\n`,
          );
          return;
        }
        const now = Date.now();
        const lines = [
          `mcptest auth daemon: running`,
          `  pid:            ${status.pid}`,
          `  version:        ${status.version} (IPC v${status.api})`,
          `  uptime:         ${duration(status.uptimeSeconds * 1000)}`,
          `  managed by:     ${status.managedBy}${status.managedBy === 'self' && unitsInstalled ? ' (systemd units are installed but not in use by this daemon)' : ''}`,
          `  socket:         ${status.socketPath}`,
          `  store:          ${status.dbPath}`,
          `  log:            ${paths.logFile}`,
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
        } else {
          io.stdout('\nLast refresh errors: none\n');
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
    .addHelpText(
      'after',
      `
The log is JSON lines in the log folder (MCPTEST_LOG_DIR, else $MCPTEST_HOME/log when MCPTEST_HOME
is set, else ~/.local/state/mcptest/authd.log); tokens and secrets are always redacted.

Examples:
  $ mcptest daemon logs -n 100
  $ mcptest daemon logs -f`,
    )
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

  daemon
    .command('install')
    .description('write systemd user units so systemd starts the daemon on demand (socket activation)')
    .option('--print', 'print the rendered units to stdout instead of writing them')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Writes mcptest-authd.socket and mcptest-authd.service to $XDG_CONFIG_HOME/systemd/user
(default ~/.config/systemd/user), with ExecStart set to this node and this mcptest. systemd
then listens on $XDG_RUNTIME_DIR/mcptest/authd.sock and starts the daemon on the first
connection; after the idle exit the next connection starts it again. Run install again after
moving or upgrading mcptest.

Examples:
  $ mcptest daemon install --print
  $ mcptest daemon install
  $ systemctl --user daemon-reload && systemctl --user enable --now mcptest-authd.socket`,
    )
    .action(async (opts: { print?: boolean; json?: boolean }) => {
      const { renderUnits, installUnits, ENABLE_COMMAND } = await import('../daemon-units.js');
      const rendered = renderUnits({ env: io.env });
      if (opts.print) {
        for (const unit of rendered.units) io.stdout(`# ${unit.path}\n${unit.content}\n`);
        for (const w of rendered.warnings) io.stderr(`warning: ${w}\n`);
        return;
      }
      const outcome = installUnits(rendered);
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ unitDir: rendered.unitDir, ...outcome, enableCommand: ENABLE_COMMAND, warnings: rendered.warnings }, null, 2)}\n`,
        );
        return;
      }
      for (const p of outcome.written) io.stderr(`wrote ${p}\n`);
      for (const p of outcome.unchanged) io.stderr(`unchanged ${p}\n`);
      for (const w of rendered.warnings) io.stderr(`warning: ${w}\n`);
      const running = await runningSelfManaged(io.env);
      if (running !== null)
        io.stderr(
          `note: a daemon started by mcptest runs now (pid ${running}); stop it before enabling the socket: mcptest daemon stop\n`,
        );
      io.stderr('enable socket activation with:\n');
      io.stdout(`${ENABLE_COMMAND}\n`);
      if (outcome.replaced)
        io.stderr(
          'units changed; if the service runs, restart it: systemctl --user restart mcptest-authd.service\n',
        );
    });

  daemon
    .command('uninstall')
    .description('remove the systemd user units written by install')
    .option('--json', 'print what was removed as JSON')
    .addHelpText(
      'after',
      `
Removes both unit files and their enable links. Stop the units first (systemctl needs the
files to disable them cleanly); the command prints the line to run.

Example:
  $ systemctl --user disable --now mcptest-authd.socket mcptest-authd.service && mcptest daemon uninstall`,
    )
    .action(async (opts: { json?: boolean }) => {
      const { uninstallUnits, STOP_COMMAND, systemdUserUnitDir } = await import('../daemon-units.js');
      if (!opts.json) io.stderr(`stop and disable the units first, if they run:\n  ${STOP_COMMAND}\n`);
      const removed = uninstallUnits(io.env);
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ unitDir: systemdUserUnitDir(io.env), removed, stopCommand: STOP_COMMAND }, null, 2)}\n`,
        );
        return;
      }
      if (!removed.length) {
        io.stderr(`no mcptest units installed in ${systemdUserUnitDir(io.env)}\n`);
        return;
      }
      for (const p of removed) io.stderr(`removed ${p}\n`);
      io.stderr('then let systemd forget them:\n');
      io.stdout('systemctl --user daemon-reload\n');
    });
}

/** The pid of a daemon that mcptest started itself on this environment's socket, if one answers. */
async function runningSelfManaged(env: NodeJS.ProcessEnv): Promise<number | null> {
  const paths = resolvePaths(env);
  if (!fs.existsSync(paths.socketPath)) return null;
  const { trustedClient } = await import('../../client/ensure-daemon.js');
  const client = trustedClient(paths.socketPath, paths);
  try {
    const health = await client.health(1_000).catch(() => null);
    return health && health.managedBy === 'self' ? health.pid : null;
  } finally {
    await client.close();
  }
}
