import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI entry, as a user runs it. */
export const CLI = fileURLToPath(new URL('../../cli/bin.cjs', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * An isolated mcptest environment: its own MCPTEST_HOME and socket path (short, under /tmp),
 * so tests never touch the user's real daemon. Remove it with `cleanup()`.
 */
export function isolatedEnv(
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv & { cleanup: () => Promise<void> } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    MCPTEST_HOME: home,
    MCPTEST_SOCKET: path.join(home, 'run', 'authd.sock'),
    MCPTEST_LOG_LEVEL: 'trace',
    NO_COLOR: '1',
    ...extra,
  };
  const cleanup = async () => {
    await runCli(['daemon', 'stop'], { env }).catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  };
  return Object.assign(env, { cleanup });
}

/** Runs `mcptest ARGS` as a child process and collects its output. */
export function runCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  const { cleanup: _c, ...env } = options.env as NodeJS.ProcessEnv & { cleanup?: unknown };
  return runNode(CLI, args, { ...options, env, cwd: options.cwd ?? (env.MCPTEST_HOME as string) });
}

/**
 * Runs `mcptest ARGS` as a shell runs the installed command: the file itself is executed (its
 * start line decides how node starts), with node found on the env's PATH.
 */
export function runCommand(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  const { cleanup: _c, ...given } = options.env as NodeJS.ProcessEnv & { cleanup?: unknown };
  // The node running the tests comes first on PATH, as an installed command finds its own.
  const env: NodeJS.ProcessEnv = {
    ...given,
    PATH: [path.dirname(process.execPath), given.PATH].filter(Boolean).join(':'),
  };
  return runProcess(
    CLI,
    args,
    { ...options, env, cwd: options.cwd ?? (env.MCPTEST_HOME as string) },
    `mcptest ${args.join(' ')}`,
  );
}

/** Runs a Node.js script as a child process with the given environment and collects its output. */
export function runNode(
  script: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  return runProcess(
    process.execPath,
    [script, ...args],
    options,
    `${path.basename(script)} ${args.join(' ')}`,
  );
}

function runProcess(
  file: string,
  argv: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
  what: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // A listener leak warning is a defect a user would see; no test run may print one.
      if (/MaxListenersExceededWarning/.test(stderr)) {
        reject(new Error(`${what} warned of a listener leak: ${stderr}`));
        return;
      }
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
