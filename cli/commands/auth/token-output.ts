/**
 * What `mcptest auth token` prints, in each `--format`, and what `mcptest auth headers` prints:
 * apart from the commands' flags, so the fast path (cli/fast-path.ts) prints with them without
 * loading the commands.
 */
import type { TokenResponse } from '../../../shared/ipc-schemas.js';
import { duration } from '../../format.js';
import type { CliIo } from '../../io.js';

export const TOKEN_FORMATS = ['raw', 'json', 'env', 'exec-credential'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

export interface AuthTokenOptions {
  serverUrl: string;
  minTtlSeconds: number;
  format: TokenFormat;
  envVar: string;
}

/** Prints `token` as `auth token` does: the asked format, and a note when it lives too short. */
export function printToken(
  token: TokenResponse,
  opts: Pick<AuthTokenOptions, 'format' | 'envVar' | 'serverUrl' | 'minTtlSeconds'>,
  io: Pick<CliIo, 'stdout' | 'stderr'>,
): void {
  io.stdout(formatToken(token, opts));
  const left = token.expiresAt === null ? null : token.expiresAt - Date.now();
  if (left !== null && left < opts.minTtlSeconds * 1000) {
    // The daemon refreshes only while that can help: the IdP's tokens live shorter than asked.
    io.stderr(
      `note: this token is valid for ${duration(Math.max(0, left))}, less than --min-ttl ${opts.minTtlSeconds}s; the authorization server issues shorter-lived tokens\n`,
    );
  }
}

/** The text `auth token` prints for `token` in `format`, newline included. */
export function formatToken(
  token: TokenResponse,
  opts: Pick<AuthTokenOptions, 'format' | 'envVar' | 'serverUrl'>,
): string {
  const expiresAt = token.expiresAt === null ? null : new Date(token.expiresAt).toISOString();
  switch (opts.format) {
    case 'raw':
      return `${token.accessToken}\n`;
    case 'json':
      return `${JSON.stringify({
        token: token.accessToken,
        tokenType: token.tokenType,
        expiresAt,
        expiresAtEpoch: token.expiresAt === null ? null : Math.floor(token.expiresAt / 1000),
        scope: token.scope,
        fingerprint: token.fingerprint,
        serverUrl: opts.serverUrl,
      })}\n`;
    case 'env':
      return `export ${opts.envVar}=${shellQuote(token.accessToken)}\n`;
    case 'exec-credential':
      // kubectl's ExecCredential: expirationTimestamp is optional (absent: no expiry known).
      return `${JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: {
          token: token.accessToken,
          ...(expiresAt === null ? {} : { expirationTimestamp: expiresAt }),
        },
      })}\n`;
  }
}

/** One POSIX shell word: single quotes, each quote inside closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The headers-helper answer: one JSON object of string headers. */
export function printHeaders(token: Pick<TokenResponse, 'accessToken'>, io: Pick<CliIo, 'stdout'>): void {
  io.stdout(`${JSON.stringify({ Authorization: `Bearer ${token.accessToken}` })}\n`);
}
