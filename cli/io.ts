import { ExitCode, McptestError, toMcptestError } from '../shared/errors.js';
import { printable, wrapText } from './format.js';

/** Everything a command may touch of the outside world, injected so tests run commands in memory. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** This process's environment: mcptest's settings, and what spawned processes may get. */
  env: NodeJS.ProcessEnv;
  /**
   * The variables a suite or flag names (a token, a secret, `${VAR}`): `env`, then `.env` for
   * what it may fill in (see env-file.ts). Read by name only.
   */
  vars: NodeJS.ProcessEnv;
  cwd: string;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

/** Set by a command's action; read by the entry point, the one place that exits. */
export interface CommandResult {
  exitCode: number;
}

export function processIo(signal: AbortSignal, vars: NodeJS.ProcessEnv = process.env): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    vars,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    signal,
  };
}

/** Prints an error the way every command does: message, then the hint, on stderr. */
export function reportError(io: CliIo, err: unknown, json = false): number {
  const e = toMcptestError(err);
  if (json) io.stdout(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
  // Messages may quote a server or an IdP: shown with their control characters escaped. A
  // message is one logical line; only a terminal gets it wrapped, so piped text stays searchable.
  const message = `error: ${printable(e.message)}`;
  const lines = [
    io.stderrIsTTY
      ? message
          .split('\n')
          .map((l) => wrapText(l, 76))
          .join('\n')
      : message,
  ];
  // An auth failure's hint is the doctor command of the design brief.
  const label = e.code === 'auth_failed' ? 'Diagnose with' : 'hint';
  if (e.hint && !e.message.includes(e.hint)) lines.push(`${label}: ${printable(e.hint)}`);
  if (e.code === 'internal' && e.cause instanceof Error && e.cause.stack && io.env.MCPTEST_DEBUG) {
    lines.push(e.cause.stack);
  }
  io.stderr(`${lines.join('\n')}\n`);
  return e.exitCode;
}

export function usageError(message: string, hint?: string): McptestError {
  return new McptestError('invalid_request', message, { hint });
}

export { ExitCode };
