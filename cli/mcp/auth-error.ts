/**
 * The one actionable message for an auth rejection, shared by every surface (commands, runner,
 * agent server, doctor): the HTTP status and what the server advertises in WWW-Authenticate,
 * which input to fix, and the `mcptest doctor` line that diagnoses it.
 * @see RFC 6750 §3 (Bearer challenges and error codes), RFC 9728 §5.1 (resource_metadata)
 */
import { McptestError } from '../../shared/errors.js';
import {
  type AuthChallenge,
  describeChallenge,
  parseWwwAuthenticate,
  primaryChallenge,
} from '../../shared/www-authenticate.js';

/** Which credential input was in play. */
export type AuthInput = 'bearer_token_env' | 'client_credentials' | 'login' | 'none';

/** The five situations the AUTH layer tells apart. */
export type AuthState =
  | 'no_credentials'
  | 'env_unset'
  | 'token_rejected'
  | 'insufficient_scope'
  | 'login_expired';

export interface AuthFailure {
  serverUrl: string;
  /** 401 or 403 from the server; null when the server was not reached or not asked. */
  status: number | null;
  wwwAuthenticate: string | null;
  input: AuthInput;
  state: AuthState;
  /** The env var named by `bearer_token_env` or `client_secret_env`. */
  envVar?: string;
  clientId?: string;
  tokenUrl?: string;
  /** Fingerprint of the token that was sent (never the token). */
  fingerprint?: string;
  /** Extra reason, e.g. why a cached login needs renewing. */
  reason?: string;
}

/** The fields of an auth failure as data: what `details` of the McptestError carry. */
export interface AuthErrorDetails {
  status: number | null;
  serverUrl: string;
  scheme: string | null;
  params: Record<string, string>;
  challenges: AuthChallenge[];
  input: AuthInput;
  envVar: string | null;
  state: AuthState;
  fingerprint: string | null;
  doctorCommand: string;
  [key: string]: unknown;
}

/** `mcptest doctor --url URL` plus the flags that name the same credential input. */
export function doctorCommand(
  f: Pick<AuthFailure, 'serverUrl' | 'input' | 'envVar' | 'clientId' | 'tokenUrl'>,
): string {
  const parts = ['mcptest doctor --url', f.serverUrl];
  if (f.input === 'bearer_token_env' && f.envVar) parts.push('--bearer-token-env', f.envVar);
  if (f.input === 'client_credentials') {
    if (f.clientId) parts.push('--client-id', f.clientId);
    if (f.envVar) parts.push('--client-secret-env', f.envVar);
    if (f.tokenUrl) parts.push('--token-url', f.tokenUrl);
  }
  return parts.join(' ');
}

function envInputName(input: AuthInput): string {
  return input === 'client_credentials' ? 'client_secret_env' : 'bearer_token_env';
}

/** What the user should do, by input and state: the sentence after the status line. */
function remedy(f: AuthFailure, challenge: AuthChallenge | null): string {
  const fp = f.fingerprint ? ` (fingerprint ${f.fingerprint})` : '';
  const login = `mcptest login ${f.serverUrl}`;
  switch (f.state) {
    case 'no_credentials':
      return `no credentials were supplied; name an env var holding a token with --bearer-token-env VAR (bearer_token_env in a suite), or log in with \`${login}\`.`;
    case 'env_unset':
      return f.input === 'client_credentials'
        ? `env var \`${f.envVar}\` (named by \`client_secret_env\`) is not set or is empty in this process; export the client secret into it.`
        : `env var \`${f.envVar}\` (named by \`${envInputName(f.input)}\`) is not set or is empty in this process; export a valid token into it.`;
    case 'token_rejected':
      if (f.input === 'bearer_token_env')
        return `the token in env var \`${f.envVar}\` (named by \`bearer_token_env\`)${fp} was rejected: it is likely expired, revoked or issued for another audience; export a fresh token into it.`;
      if (f.input === 'client_credentials')
        return `the client-credentials token of client \`${f.clientId}\`${fp} was rejected even after minting a fresh one; check that the token URL and resource (audience) belong to this server.`;
      return `the cached login token${fp} was rejected even after a refresh; log in again with \`${login}\`.`;
    case 'insufficient_scope': {
      const scope = challenge?.params.scope;
      const need = scope ? `the server asks for scope \`${scope}\`` : 'the server names no scope';
      const fix =
        f.input === 'bearer_token_env'
          ? `export a token with that scope into \`${f.envVar}\``
          : f.input === 'client_credentials'
            ? `pass --scope with it (and make sure client \`${f.clientId}\` may request it)`
            : `log in again asking for it: \`${login}\``;
      return `the token${fp} was accepted but lacks permission: ${need}; check the token's scope and audience, then ${fix}.`;
    }
    case 'login_expired':
      return `the cached login for ${f.serverUrl} has expired or needs renewing${f.reason ? ` (${f.reason})` : ''}; run \`${login}\`.`;
  }
}

/**
 * Builds the `auth_failed` error: the message of the design brief (the doctor line is its hint), with every field also
 * in `details` for machines.
 */
export function buildAuthError(f: AuthFailure): McptestError {
  const challenges = parseWwwAuthenticate(f.wwwAuthenticate);
  const challenge = primaryChallenge(challenges);
  let head: string;
  if (f.status === null) head = `auth failed for ${f.serverUrl}:`;
  else if (challenges.length === 0)
    head = `auth failed: HTTP ${f.status} from ${f.serverUrl}, server sent no WWW-Authenticate challenge.`;
  else
    head = `auth failed: HTTP ${f.status} from ${f.serverUrl}, server advertises ${challenges.map(describeChallenge).join('; ')}.`;
  const doctor = doctorCommand(f);
  // One logical line: `--json`, reports and agents get it whole; a terminal wraps it (cli/io.ts).
  const message = `${head} ${remedy(f, challenge)}`;
  const details: AuthErrorDetails = {
    status: f.status,
    serverUrl: f.serverUrl,
    scheme: challenge?.scheme || null,
    params: challenge?.params ?? {},
    challenges,
    input: f.input,
    envVar: f.envVar ?? null,
    state: f.state,
    fingerprint: f.fingerprint ?? null,
    doctorCommand: doctor,
  };
  return new McptestError('auth_failed', message, { hint: doctor, details });
}

/** Reads the state a 401/403 means for the input that was used. */
export function stateForResponse(
  status: number,
  wwwAuthenticate: string | null,
  tokenSent: boolean,
  fallback: AuthState,
): AuthState {
  if (!tokenSent) return fallback;
  const error = primaryChallenge(parseWwwAuthenticate(wwwAuthenticate))?.params.error;
  if (status === 403 || error === 'insufficient_scope') return 'insufficient_scope';
  return 'token_rejected';
}
