import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import type { CliIo, CommandResult } from '../io.js';
import { serverUrlArgument } from './auth/server-url-argument.js';
import { withDaemon } from './auth/with-daemon.js';

export interface LogoutOptions {
  /** The canonical server URL, or undefined with `all`. */
  serverUrl?: string;
  all: boolean;
  revoke: boolean;
  json: boolean;
}

/** `mcptest logout`: parses flags and hands them to `run`. */
export function registerLogout(
  program: Command,
  io: CliIo,
  _result?: CommandResult,
  run: (opts: LogoutOptions, io: CliIo) => Promise<void> = logoutRun,
): void {
  program
    .command('logout')
    .description('revoke (RFC 7009, where the server offers it) and delete cached credentials')
    .argument('[url]', 'the server whose credentials to remove (as for login)')
    .option('--url <url>', 'the same as the argument')
    .option('--all', 'remove every cached credential')
    .option('--no-revoke', 'delete locally without asking the authorization server to revoke')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
The refresh token (else the access token) is revoked at the authorization server when it
advertises a revocation endpoint; the local copy is removed even if revocation fails.
The client registration is kept (mcptest login URL --force registers a fresh one).

Examples:
  $ mcptest logout https://mcp.example.com/mcp
  $ mcptest logout --all --no-revoke`,
    )
    .action(
      (url: string | undefined, opts: { url?: string; all?: boolean; revoke: boolean; json?: boolean }) => {
        const given =
          url !== undefined || opts.url !== undefined
            ? serverUrlArgument('logout', url, opts.url)
            : undefined;
        if (!given === !opts.all) {
          throw new McptestError('invalid_request', 'logout needs exactly one of a server URL or --all', {
            hint: 'mcptest logout https://mcp.example.com/mcp',
          });
        }
        return run(
          {
            serverUrl: given === undefined ? undefined : canonicalServerUrl(given),
            all: Boolean(opts.all),
            revoke: opts.revoke,
            json: Boolean(opts.json),
          },
          io,
        );
      },
    );
}

/** Revokes and removes one server's credential, or all of them, and says what happened to each. */
export async function logoutRun(opts: LogoutOptions, io: CliIo): Promise<void> {
  const req = opts.all
    ? { all: true as const, revoke: opts.revoke }
    : { serverUrl: opts.serverUrl as string, revoke: opts.revoke };
  const res = await withDaemon(io, (c) => c.logout(req));
  const revocation = (r: (typeof res.removed)[number]) =>
    r.revoked ? 'revoked' : r.revokeError ? 'refused' : opts.revoke ? 'unsupported' : 'skipped';
  if (opts.json) {
    const removed = res.removed.map((r) => ({ ...r, revocation: revocation(r) }));
    io.stdout(`${JSON.stringify({ ...res, removed }, null, 2)}\n`);
    return;
  }
  if (res.removed.length === 0) {
    io.stdout(
      opts.all ? 'No cached credentials to remove.\n' : `No cached credentials for ${opts.serverUrl}.\n`,
    );
    return;
  }
  for (const r of res.removed) {
    const how = {
      revoked: 'revoked and removed',
      refused: 'removed here, NOT revoked: the authorization server refused the revocation',
      unsupported: 'removed here, NOT revoked: the authorization server offers no revocation endpoint',
      skipped: 'removed here, not revoked (--no-revoke)',
    }[revocation(r)];
    io.stdout(`${r.serverUrl}: ${how}\n`);
    if (r.revokeError) io.stderr(`warning: ${r.revokeError}\n`);
    if (!r.revoked && opts.revoke)
      io.stderr(`warning: the token for ${r.serverUrl} may keep working until it expires\n`);
  }
}
