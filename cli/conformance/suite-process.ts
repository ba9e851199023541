/**
 * One run of the conformance suite's command line as a child process (`node --import <hook>
 * <bin> ARGS`): its output collected, each stdout line handed over as it comes (for progress),
 * stopped on Ctrl-C or after a time limit. The child gets this process's environment minus
 * mcptest's own settings: it talks only to the proxy URL it is given.
 */
import { spawn } from 'node:child_process';
import type { SuitePackage } from './suite-package.js';

export interface SuiteProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed because the time limit passed. */
  timedOut: boolean;
}

export interface SuiteProcessOptions {
  signal: AbortSignal;
  /** Kill the child after this long. */
  limitMs: number;
  onLine?: (line: string) => void;
}

/** The environment the suite runs with: no MCPTEST_* (it needs no daemon, socket or token). */
export function suiteEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('MCPTEST_') && !key.startsWith('MCP_CONFORMANCE_')) out[key] = value;
  }
  out.NO_COLOR = '1';
  return out;
}

export function runSuiteProcess(
  suite: SuitePackage,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: SuiteProcessOptions,
): Promise<SuiteProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', suite.preload, suite.bin, ...args], {
      env: suiteEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine?.(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const stop = () => child.kill('SIGTERM');
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.limitMs);
    options.signal.addEventListener('abort', stop, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', stop);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', stop);
      if (pending) options.onLine?.(pending);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
