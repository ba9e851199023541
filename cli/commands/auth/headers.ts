import type { Command } from 'commander';
import { ExitCode, toMcptestError } from '../../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../../shared/server-url.js';
import { printable } from '../../format.js';
import type { CliIo, CommandResult } from '../../io.js';
import { serverUrlArgument } from './server-url-argument.js';
import { printHeaders } from './token-output.js';

/** Claude Code names the server a `headersHelper` runs for in this variable. */
export const HOST_SERVER_URL_VAR = 'CLAUDE_CODE_MCP_SERVER_URL';
/** Hosts kill a headers helper after 10 s; answer (or fail in one line) well before. */
export const DEADLINE_MS = 8000;
/** A token handed to a host is used for a while; ask for one that lasts at least this long. */
export const MIN_TTL_SECONDS = 60;

export interface AuthHeadersOptions {
  serverUrl: string;
}

/**
 * `mcptest auth headers`: the headers-helper contract (one JSON object of string headers on
 * stdout). Never opens a browser or waits on a human: every failure is one stderr line, and
 * the exit code of its kind (3 when a login is needed).
 */
export function registerAuthHeaders(
  auth: Command,
  io: CliIo,
  result: CommandResult,
  run: (opts: AuthHeadersOptions, io: CliIo) => Promise<void> = authHeadersRun,
): void {
  auth
    .command('headers')
    .description('print the HTTP headers for a server as one JSON object (a headersHelper for MCP hosts)')
    .argument('[url]', `the MCP server URL (default: $${HOST_SERVER_URL_VAR})`)
    .option('--url <url>', 'the MCP server URL (the same as the argument)')
    .addHelpText(
      'after',
      `
Prints {"Authorization":"Bearer ..."} with a token valid for at least ${MIN_TTL_SECONDS} s, refreshed by
the daemon first if needed (one refresh however many processes ask at once). With no usable
login it exits 3 with one line on stderr naming the mcptest login command; it never opens a
browser and gives up after ${DEADLINE_MS / 1000} s.

Claude Code (.mcp.json):
  "headersHelper": "mcptest auth headers"`,
    )
    .action(async (url: string | undefined, opts: { url?: string }) => {
      let serverUrl: string | undefined;
      try {
        const given = serverUrlArgument('auth headers', url, opts.url, io.env[HOST_SERVER_URL_VAR]);
        // A token is only handed out for a URL it may be sent to: https, or http on loopback.
        assertSecureUrl(given, 'server URL');
        serverUrl = canonicalServerUrl(given);
        await run({ serverUrl }, io);
      } catch (err) {
        result.exitCode = reportInOneLine(io, err, serverUrl);
      }
    });
}

/** Asks the daemon for a token and prints the headers object. */
export async function authHeadersRun(opts: AuthHeadersOptions, io: CliIo): Promise<void> {
  const { openTokenClient } = await import('../../../client/ensure-daemon.js');
  const client = await openTokenClient(io.env);
  const signal = AbortSignal.any([io.signal, AbortSignal.timeout(DEADLINE_MS)]);
  const token = await client
    .getToken({ serverUrl: opts.serverUrl, minTtlSeconds: MIN_TTL_SECONDS }, { signal })
    .finally(() => client.close());
  printHeaders(token, io);
}

/**
 * One stderr line for a host's log: the message, then the command that fixes it. A missing
 * login names `mcptest login`, or its device form where no browser can open here.
 */
export function reportInOneLine(
  io: Pick<CliIo, 'stderr' | 'env' | 'stderrIsTTY'>,
  err: unknown,
  serverUrl: string | undefined,
): number {
  const e = toMcptestError(err);
  const needsHuman = e.exitCode === ExitCode.auth && e.code !== 'env_var_missing' && serverUrl !== undefined;
  const fix = needsHuman
    ? `log in with: mcptest login ${browserAvailable(io) ? '' : '--device '}${serverUrl}`
    : e.hint
      ? `hint: ${e.hint}`
      : '';
  const line = `mcptest auth headers: ${e.message}${fix ? `; ${fix}` : ''}`;
  io.stderr(`${printable(line).replaceAll('\n', ' ')}\n`);
  return e.exitCode;
}

/** False on a box where a browser login cannot be finished here: SSH, no display, no terminal. */
export function browserAvailable(
  io: Pick<CliIo, 'env' | 'stderrIsTTY'>,
  platform = process.platform,
): boolean {
  if (io.env.SSH_CONNECTION) return false;
  if (!io.stderrIsTTY) return false;
  if (platform === 'linux' && !io.env.DISPLAY && !io.env.WAYLAND_DISPLAY) return false;
  return true;
}
