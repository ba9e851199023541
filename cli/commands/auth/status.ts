import type { Command } from 'commander';
import { isoTime, relativeTime, table } from '../../format.js';
import type { CliIo } from '../../io.js';
import { withDaemon } from './with-daemon.js';

export interface AuthStatusOptions {
  json: boolean;
}

/** `mcptest auth status`: parses flags and hands them to `run`. */
export function registerAuthStatus(
  auth: Command,
  io: CliIo,
  run: (opts: AuthStatusOptions, io: CliIo) => Promise<void> = authStatusRun,
): void {
  auth
    .command('status')
    .description(
      'list cached credentials: server, source, scopes, expiry, refreshable, state, last error (never a token)',
    )
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
States: valid, expired (refreshed on next use), refresh_failing (the IdP is failing; the old
token is served until it expires), needs_login (run the printed mcptest login command).
Pending logins (device codes waiting for a human) are listed too.

Examples:
  $ mcptest auth status
  $ mcptest auth status --json | jq '.credentials[] | {serverUrl, state, expiresAt}'`,
    )
    .action((opts: { json?: boolean }) => run({ json: Boolean(opts.json) }, io));
}

/** Lists cached credentials and pending logins; never a token. */
export async function authStatusRun(opts: AuthStatusOptions, io: CliIo): Promise<void> {
  const [creds, logins] = await withDaemon(io, (c) => Promise.all([c.listCredentials(), c.listLogins()]));
  const pendingLogins = logins.filter((l) => l.status === 'pending');
  if (opts.json) {
    io.stdout(`${JSON.stringify({ credentials: creds, pendingLogins }, null, 2)}\n`);
    return;
  }
  if (pendingLogins.length > 0) {
    io.stdout('Pending logins:\n');
    io.stdout(
      table(
        pendingLogins.map((l) => [l.id, l.serverUrl, l.kind, l.userCode ?? '-', relativeTime(l.expiresAt)]),
        ['LOGIN ID', 'SERVER', 'KIND', 'CODE', 'EXPIRES'],
      ),
    );
    io.stderr(`hint: mcptest login --wait ${pendingLogins[0].id}\n`);
    if (creds.length > 0) io.stdout('\nCredentials:\n');
  }
  if (creds.length === 0 && pendingLogins.length > 0) return;
  if (creds.length === 0) {
    io.stdout('No cached credentials. Log in with: mcptest login <server-url>\n');
    return;
  }
  const now = Date.now();
  io.stdout(
    table(
      creds.map((c) => [
        c.serverUrl,
        c.source === 'client_credentials' ? `client_credentials (${c.clientId})` : c.source,
        c.scope ?? '-',
        c.expiresAt === null ? 'no expiry' : `${isoTime(c.expiresAt)} (${relativeTime(c.expiresAt, now)})`,
        c.refreshable ? 'yes' : 'no',
        c.state,
        c.lastError ?? '-',
      ]),
      ['SERVER', 'SOURCE', 'SCOPES', 'EXPIRES', 'REFRESHABLE', 'STATE', 'LAST ERROR'],
    ),
  );
  const stale = creds.filter((c) => c.state === 'needs_login');
  for (const c of stale) io.stderr(`hint: mcptest login ${c.serverUrl}\n`);
}
