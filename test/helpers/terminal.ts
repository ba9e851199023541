/**
 * Runs the real CLI in a pseudo-terminal (`script` from util-linux), for the live lines drawn only
 * on a terminal: what the terminal got, stdout and stderr together.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/bin.cjs', import.meta.url));

/** What a live line starts with: back to the line's start, the line cleared. */
export const LINE = '\r\x1b[2K';

/** Runs `mcptest ARGS` in a pseudo-terminal; resolves with its exit code and everything it showed. */
export function inTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs = 120_000,
): Promise<{ code: number; out: string }> {
  const { cleanup: _c, ...plain } = env as NodeJS.ProcessEnv & { cleanup?: unknown };
  const command = [process.execPath, CLI, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: plain,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}
