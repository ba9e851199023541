/**
 * Where the token for a server comes from, in the documented order: `bearer_token_env`, then
 * client credentials (minted and cached by the daemon), then a cached login in the daemon.
 * Daemon-backed sources ask the daemon on every request (a local call), so a long-lived
 * connection never holds a stale or rotated-out token.
 */
import fs from 'node:fs';
import type { DaemonClient } from '../../client/daemon-client.js';
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import type { ClientCredentialsSpec } from '../../shared/ipc-schemas.js';
import { resolvePaths } from '../../shared/paths.js';
import { type AuthInput, type AuthState, doctorCommand } from './auth-error.js';
import { insufficientScope, stepUpScopes } from './scope-challenge.js';
import type { ServerTarget } from './target.js';

export interface TokenSource {
  input: AuthInput;
  envVar?: string;
  clientId?: string;
  tokenUrl?: string;
  /** Why no token is available, when none is. */
  missing: AuthState | null;
  reason?: string;
  /** The scope the daemon last reported for the token (TokenResponse `scope`); logins only. */
  grantedScope?: string | null;
  /** The token to send now, or null to send none. */
  current(): Promise<string | null>;
  /** After a 401 on `rejected`: a fresh token (refreshed or re-minted once), or null. */
  renew(rejected: string): Promise<string | null>;
  /**
   * Client credentials only: after a 403 `insufficient_scope`, asks the daemon for a token with
   * the union of the scope held and the scope the challenge requires (no human is needed for
   * this grant). Resolves with that union; throws the daemon's error (`invalid_scope` when the
   * client may not have it), or `null` when the challenge names no scope the token lacks.
   */
  widenScope?(wwwAuthenticate: string): Promise<string | null>;
  close(): Promise<void>;
}

function staticSource(input: AuthInput, token: string | null, extra: Partial<TokenSource> = {}): TokenSource {
  return {
    input,
    missing: null,
    current: async () => token,
    renew: async () => null,
    close: async () => undefined,
    ...extra,
  };
}

function readSecretEnv(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

/**
 * The bearer token held in env var `name`: null when unset or empty. A value pasted with its
 * scheme (`Bearer eyJ...`, as copied from a curl line) is taken without it; a value that is not
 * one word of visible ASCII cannot go in an Authorization header and is refused, naming the var
 * and never showing the value.
 */
export function bearerTokenFromEnv(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = readSecretEnv(env, name)?.replace(/^bearer\s+/i, '') ?? null;
  if (value === null || value === '') return null;
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new McptestError(
      'invalid_request',
      `env var ${name} does not hold one bearer token: it has spaces, line breaks or non-ASCII characters inside`,
      { hint: `set it to the token alone: export ${name}="<token>"` },
    );
  }
  return value;
}

/** The client-credentials spec sent to the daemon, with the secret read from its env var. */
export function clientCredentialsSpec(
  target: ServerTarget,
  serverUrl: string,
  io: { env: NodeJS.ProcessEnv; vars?: NodeJS.ProcessEnv; cwd: string },
): ClientCredentialsSpec {
  const oauth = target.oauth;
  if (!oauth) throw new McptestError('internal', 'no client credentials configured');
  // A private key named without a method can only mean private_key_jwt.
  const authMethod =
    oauth.authMethod ??
    (oauth.privateKeyEnv || oauth.privateKeyFile ? 'private_key_jwt' : 'client_secret_basic');
  let clientSecret: string | undefined;
  let privateKey: string | undefined;
  if (authMethod === 'private_key_jwt') {
    if (oauth.privateKeyEnv) {
      const key = readSecretEnv(io.vars ?? io.env, oauth.privateKeyEnv);
      if (!key) throw missingEnv(oauth.privateKeyEnv, 'private_key_env', target, serverUrl);
      privateKey = key;
    } else if (oauth.privateKeyFile) {
      try {
        privateKey = fs.readFileSync(new URL(oauth.privateKeyFile, `file://${io.cwd}/`), 'utf8');
      } catch (err) {
        throw new McptestError(
          'invalid_request',
          `cannot read the private key file ${oauth.privateKeyFile}: ${(err as Error).message}`,
          {
            hint: 'pass --private-key-file with the path of a PKCS#8 PEM key',
          },
        );
      }
    } else {
      throw new McptestError('invalid_request', 'private_key_jwt needs a private key file or env var', {
        hint: 'add --private-key-file key.pem (or private_key_env in the suite)',
      });
    }
  } else {
    const name = oauth.clientSecretEnv;
    if (!name) {
      throw new McptestError('invalid_request', `client ${oauth.clientId} needs a secret: name its env var`, {
        hint: `${doctorCommand({ serverUrl, input: 'client_credentials', clientId: oauth.clientId, envVar: 'CLIENT_SECRET', tokenUrl: oauth.tokenUrl })}`,
      });
    }
    const secret = readSecretEnv(io.vars ?? io.env, name);
    if (!secret) throw missingEnv(name, 'client_secret_env', target, serverUrl);
    clientSecret = secret;
  }
  return {
    clientId: oauth.clientId,
    clientSecret,
    privateKey,
    authMethod,
    tokenUrl: oauth.tokenUrl,
    scope: oauth.scope,
    resource: oauth.resource,
    secretEnv: oauth.clientSecretEnv ?? oauth.privateKeyEnv,
  };
}

function missingEnv(name: string, field: string, target: ServerTarget, serverUrl: string): McptestError {
  const isKey = field === 'private_key_env';
  const doctor = isKey
    ? `mcptest doctor --url ${serverUrl} --client-id ${target.oauth?.clientId} --auth-method private_key_jwt --private-key-env ${name}`
    : doctorCommand({
        serverUrl,
        input: 'client_credentials',
        clientId: target.oauth?.clientId,
        envVar: name,
        tokenUrl: target.oauth?.tokenUrl,
      });
  const what = isKey ? 'the PEM private key of the client' : 'the client secret';
  return new McptestError(
    'env_var_missing',
    `env var \`${name}\` (named by \`${field}\`) is not set or is empty in this process; export ${what} into it.`,
    {
      hint: doctor,
      details: {
        input: 'client_credentials',
        envVar: name,
        state: 'env_unset',
        serverUrl,
        doctorCommand: doctor,
      },
    },
  );
}

/**
 * Resolves the token source for an HTTP target. Throws for inputs that cannot work at all (a
 * client secret env var that is unset, a daemon error while minting); returns a source with
 * `missing` set when the request should go out without a token.
 */
export async function resolveTokenSource(
  target: ServerTarget,
  serverUrl: string,
  io: { env: NodeJS.ProcessEnv; vars?: NodeJS.ProcessEnv; cwd: string; signal?: AbortSignal },
): Promise<TokenSource> {
  if (target.bearerTokenEnv) {
    const name = target.bearerTokenEnv;
    const token = bearerTokenFromEnv(io.vars ?? io.env, name);
    return staticSource('bearer_token_env', token, { envVar: name, missing: token ? null : 'env_unset' });
  }
  if (target.oauth) {
    const spec = clientCredentialsSpec(target, serverUrl, io);
    // With no scope configured the daemon chooses one; a widened scope is then remembered.
    const configured = spec.scope !== undefined;
    const daemon = await openDaemon(io.env);
    let granted: string | null = null;
    const ask = async (rejected?: string) => {
      const token = await daemon.getToken(
        {
          serverUrl,
          clientCredentials: spec,
          ...(rejected ? { rejectedFingerprint: fingerprint(rejected) } : {}),
        },
        { signal: io.signal },
      );
      granted = token.scope;
      return token.accessToken;
    };
    try {
      await ask(); // mint now, so a refused client surfaces before any MCP traffic
    } catch (err) {
      await daemon.close();
      throw err;
    }
    return {
      input: 'client_credentials',
      envVar: spec.secretEnv,
      clientId: spec.clientId,
      tokenUrl: spec.tokenUrl,
      missing: null,
      current: () => ask(),
      renew: (rejected) => ask(rejected).catch(() => null),
      widenScope: async (wwwAuthenticate) => {
        const required = insufficientScope(wwwAuthenticate)?.required;
        const held = spec.scope ?? granted ?? '';
        const union = stepUpScopes(held, required);
        if (!required || union === stepUpScopes(held, null)) return null;
        const before = spec.scope;
        spec.scope = union; // a new cache key in the daemon: one mint, shared by every process asking the same
        if (!configured) spec.rememberScope = true;
        try {
          await ask();
        } catch (err) {
          spec.scope = before; // later requests keep the token that works for them
          delete spec.rememberScope;
          if (!(err instanceof McptestError)) throw err;
          // Say why a scope the user never asked for was requested.
          throw new McptestError(
            err.code,
            `${serverUrl} requires scope \`${required}\` (HTTP 403 insufficient_scope) and ${err.message}`,
            { hint: err.hint, details: { ...err.details, requiredScope: required }, cause: err },
          );
        }
        return union;
      },
      close: () => daemon.close(),
    };
  }
  return loginSource(serverUrl, io);
}

/** The daemon's `needs_login` message without its leading "the login for URL ...:" part. */
function reasonOf(err: McptestError): string {
  const at = err.message.indexOf(': ');
  return at >= 0 ? err.message.slice(at + 2) : err.message;
}

async function openDaemon(env: NodeJS.ProcessEnv): Promise<Pick<DaemonClient, 'getToken' | 'close'>> {
  return (await import('../../client/ensure-daemon.js')).openTokenClient(env);
}

/** A cached login in the daemon, or no credentials at all. */
async function loginSource(
  serverUrl: string,
  io: { env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<TokenSource> {
  // No token database means nothing was ever cached: do not start a daemon just to hear that.
  if (!fs.existsSync(resolvePaths(io.env).dbPath))
    return staticSource('none', null, { missing: 'no_credentials' });
  const daemon = await openDaemon(io.env);
  /** A login the daemon can no longer refresh becomes the `login_expired` state, not a throw. */
  const noteNeedsLogin = (err: unknown): boolean => {
    if (!(err instanceof McptestError && err.code === 'needs_login')) return false;
    source.missing = 'login_expired';
    source.reason = reasonOf(err);
    return true;
  };
  const source: TokenSource = {
    input: 'login',
    missing: null,
    current: async () => {
      try {
        const token = await daemon.getToken({ serverUrl }, { signal: io.signal });
        source.missing = null;
        source.grantedScope = token.scope;
        return token.accessToken;
      } catch (err) {
        if (!noteNeedsLogin(err)) throw err;
        return null;
      }
    },
    renew: async (rejected) => {
      try {
        const token = await daemon.getToken({ serverUrl, rejectedFingerprint: fingerprint(rejected) });
        source.grantedScope = token.scope;
        return token.accessToken;
      } catch (err) {
        noteNeedsLogin(err);
        return null;
      }
    },
    close: () => daemon.close(),
  };
  try {
    source.grantedScope = (await daemon.getToken({ serverUrl }, { signal: io.signal })).scope;
  } catch (err) {
    if (err instanceof McptestError && err.code === 'no_credentials') {
      await daemon.close();
      return staticSource('none', null, { missing: 'no_credentials' });
    }
    if (err instanceof McptestError && err.code === 'needs_login') {
      source.missing = 'login_expired';
      source.reason = reasonOf(err);
      return source;
    }
    await daemon.close();
    throw err;
  }
  return source;
}
