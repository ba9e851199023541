import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { DaemonClient } from '../../client/daemon-client.js';
import { CLI, isolatedEnv } from './cli.js';

export interface TestDaemon {
  env: NodeJS.ProcessEnv & { cleanup: () => Promise<void> };
  client: DaemonClient;
  process: ChildProcess;
  /** Everything the daemon wrote to its log file so far (its writes are asynchronous). */
  log(): string;
  /**
   * Stops the daemon (SIGTERM: it flushes its log as it exits) and returns the whole log, ending
   * with "daemon stopped". For checks that something is absent from the log, which would pass
   * vacuously on a log not yet written.
   */
  flushedLog(): Promise<string>;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>;
  /** kill -9. */
  kill(): Promise<void>;
  /** Stop (if running) and remove the home folder. */
  cleanup(): Promise<void>;
}

/**
 * Starts the real daemon (`mcptest daemon run`) as a child process on a private socket, and
 * waits until it answers its health route.
 */
export async function startTestDaemon(
  options: { env?: NodeJS.ProcessEnv & { cleanup: () => Promise<void> }; args?: string[] } = {},
): Promise<TestDaemon> {
  const env = options.env ?? isolatedEnv();
  const { cleanup: _c, ...plainEnv } = env;
  const child = spawn(process.execPath, [CLI, 'daemon', 'run', ...(options.args ?? [])], {
    env: plainEnv as NodeJS.ProcessEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const client = new DaemonClient(env.MCPTEST_SOCKET as string);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await client.health(500).catch(() => null)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`daemon did not start (exit ${child.exitCode}): ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  const logFile = `${env.MCPTEST_HOME}/log/authd.log`;
  return {
    env,
    client,
    process: child,
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    flushedLog: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      if (!/"msg":"daemon stopped"/.test(log)) throw new Error(`the daemon log is incomplete: ${logFile}`);
      return log;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    cleanup: async () => {
      await client.close();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await env.cleanup();
    },
  };
}
