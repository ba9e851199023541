import type { Command } from 'commander';
import { McptestError } from '../../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../../shared/server-url.js';
import type { CliIo } from '../../io.js';
import { serverUrlArgument } from './server-url-argument.js';

import { type AuthTokenOptions, printToken, TOKEN_FORMATS, type TokenFormat } from './token-output.js';

export { type AuthTokenOptions, TOKEN_FORMATS, type TokenFormat } from './token-output.js';

/** `mcptest auth token`: parses and checks flags, then hands them to `run`. */
export function registerAuthToken(
  auth: Command,
  io: CliIo,
  run: (opts: AuthTokenOptions, io: CliIo) => Promise<void> = authTokenRun,
): void {
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
    .option(
      '--format <format>',
      `raw (the token alone), json, env (export VAR='...') or exec-credential`,
      'raw',
    )
    .option('--env-var <name>', 'the variable --format env exports', 'MCP_TOKEN')
    .addHelpText(
      'after',
      `
Formats:
  raw              the token and a newline
  json             {token, tokenType, expiresAt (RFC 3339), expiresAtEpoch (seconds), scope,
                   fingerprint, serverUrl}; expiry fields are null for a token without expiry
  env              export MCP_TOKEN='...' for eval (the name from --env-var)
  exec-credential  a client.authentication.k8s.io/v1 ExecCredential (status.token,
                   status.expirationTimestamp)
A caller may cache the token until the expiry it is told and ask again then.

Examples:
  export MCP_TOKEN=$(mcptest auth token https://mcp.example.com/mcp)
  eval "$(mcptest auth token https://mcp.example.com/mcp --format env)"
  mcptest auth token https://mcp.example.com/mcp --format json | jq -r .expiresAt`,
    )
    .action(
      (url: string | undefined, opts: { url?: string; minTtl: string; format: string; envVar: string }) => {
        const given = serverUrlArgument('auth token', url, opts.url);
        // A token is only handed out for a URL it may be sent to: https, or http on loopback.
        assertSecureUrl(given, 'server URL');
        const serverUrl = canonicalServerUrl(given);
        const minTtl = Number(opts.minTtl);
        if (!Number.isInteger(minTtl) || minTtl < 0 || minTtl > 86400) {
          throw new McptestError(
            'invalid_request',
            `--min-ttl takes whole seconds from 0 to 86400, not ${opts.minTtl}`,
          );
        }
        if (!(TOKEN_FORMATS as readonly string[]).includes(opts.format)) {
          throw new McptestError(
            'invalid_request',
            `--format takes ${TOKEN_FORMATS.join(', ')}, not ${JSON.stringify(opts.format)}`,
          );
        }
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.envVar)) {
          throw new McptestError(
            'invalid_request',
            `--env-var takes a shell variable name (letters, digits, _; not starting with a digit), not ${JSON.stringify(opts.envVar)}`,
          );
        }
        return run(
          { serverUrl, minTtlSeconds: minTtl, format: opts.format as TokenFormat, envVar: opts.envVar },
          io,
        );
      },
    );
}

/** Asks the daemon for a token at least `minTtlSeconds` fresh and prints it in the asked format. */
export async function authTokenRun(opts: AuthTokenOptions, io: CliIo): Promise<void> {
  // A daemon that dies while this request is in flight is started again and asked once more.
  const { openTokenClient } = await import('../../../client/ensure-daemon.js');
  const client = await openTokenClient(io.env);
  const token = await client
    .getToken({ serverUrl: opts.serverUrl, minTtlSeconds: opts.minTtlSeconds }, { signal: io.signal })
    .finally(() => client.close());
  printToken(token, opts, io);
}
