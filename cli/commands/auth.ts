import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import { duration, isoTime, relativeTime, table } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';

async function withDaemon<T>(
  io: CliIo,
  fn: (client: import('../../client/daemon-client.js').DaemonClient) => Promise<T>,
) {
  const { ensureDaemon } = await import('../../client/ensure-daemon.js');
  const client = await ensureDaemon({ env: io.env });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** `mcptest auth status|token` and `mcptest logout`. */
export function registerAuth(program: Command, io: CliIo, _result: CommandResult): void {
  const auth = program.command('auth').description('inspect cached credentials and print tokens for scripts');

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
    .action(async (opts: { json?: boolean }) => {
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
            pendingLogins.map((l) => [
              l.id,
              l.serverUrl,
              l.kind,
              l.userCode ?? '-',
              relativeTime(l.expiresAt),
            ]),
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
            c.expiresAt === null
              ? 'no expiry'
              : `${isoTime(c.expiresAt)} (${relativeTime(c.expiresAt, now)})`,
            c.refreshable ? 'yes' : 'no',
            c.state,
            c.lastError ?? '-',
          ]),
          ['SERVER', 'SOURCE', 'SCOPES', 'EXPIRES', 'REFRESHABLE', 'STATE', 'LAST ERROR'],
        ),
      );
      const stale = creds.filter((c) => c.state === 'needs_login');
      for (const c of stale) io.stderr(`hint: mcptest login ${c.serverUrl}\n`);
    });

  auth
    .command('token')
    .description('print a valid access token for a server on stdout (refreshed first if needed)')
    .argument('[url]', 'the MCP server URL (as for login)')
    .option('--url <url>', 'the MCP server URL (the same as the argument)')
    .option(
      '--min-ttl <seconds>',
      "refresh first unless the token stays valid this long (at most half a fresh token's life is asked of it)",
      '60',
    )
    .addHelpText('after', '\nExample:\n  export MCP_TOKEN=$(mcptest auth token https://mcp.example.com/mcp)')
    .action(async (url: string | undefined, opts: { url?: string; minTtl: string }) => {
      const serverUrl = canonicalServerUrl(oneUrl('auth token', url, opts.url));
      const minTtl = Number(opts.minTtl);
      if (!Number.isInteger(minTtl) || minTtl < 0 || minTtl > 86400) {
        throw new McptestError(
          'invalid_request',
          `--min-ttl takes whole seconds from 0 to 86400, not ${opts.minTtl}`,
        );
      }
      // A daemon that dies while this request is in flight is started again and asked once more.
      const { openTokenClient } = await import('../../client/ensure-daemon.js');
      const client = await openTokenClient(io.env);
      const token = await client
        .getToken({ serverUrl, minTtlSeconds: minTtl }, { signal: io.signal })
        .finally(() => client.close());
      io.stdout(`${token.accessToken}\n`);
      const left = token.expiresAt === null ? null : token.expiresAt - Date.now();
      if (left !== null && left < minTtl * 1000) {
        // The daemon refreshes only while that can help: the IdP's tokens live shorter than asked.
        io.stderr(
          `note: this token is valid for ${duration(Math.max(0, left))}, less than --min-ttl ${minTtl}s; the authorization server issues shorter-lived tokens\n`,
        );
      }
    });

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
      async (
        url: string | undefined,
        opts: { url?: string; all?: boolean; revoke: boolean; json?: boolean },
      ) => {
        if (url !== undefined || opts.url !== undefined) opts.url = oneUrl('logout', url, opts.url);
        if (!opts.url === !opts.all) {
          throw new McptestError('invalid_request', 'logout needs exactly one of a server URL or --all', {
            hint: 'mcptest logout https://mcp.example.com/mcp',
          });
        }
        const req = opts.all
          ? { all: true as const, revoke: opts.revoke }
          : { serverUrl: canonicalServerUrl(opts.url as string), revoke: opts.revoke };
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
            opts.all ? 'No cached credentials to remove.\n' : `No cached credentials for ${req.serverUrl}.\n`,
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
      },
    );
}

/**
 * The server URL given as the argument (as `login URL` takes it) or with `--url`, which still
 * works; both at once must agree.
 */
function oneUrl(verb: string, positional: string | undefined, flag: string | undefined): string {
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new McptestError(
      'invalid_request',
      `${verb} got two server URLs: ${positional} and --url ${flag}`,
      {
        hint: `mcptest ${verb} ${positional}`,
      },
    );
  }
  const url = positional ?? flag;
  if (url === undefined) {
    throw new McptestError('invalid_request', `${verb} needs the server URL`, {
      hint: `mcptest ${verb} https://mcp.example.com/mcp`,
    });
  }
  return url;
}
