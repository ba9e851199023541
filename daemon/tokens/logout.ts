/**
 * Logout and the revocation of replaced logins: a credential's tokens are revoked at the
 * authorization server where it has a revocation endpoint (RFC 7009), then the credential is
 * forgotten. The token endpoint module (oauth4webapi, jose) is loaded only when a revocation is
 * sent. Owns no state: what forgetting a credential means is the caller's `forget`.
 */
import type { Logger } from '../logger.js';
import type { OAuthContext } from '../oauth/token-endpoint.js';
import type { CredentialRow, TokenStore } from '../store/token-store.js';

export interface LogoutDeps {
  store: TokenStore;
  oauth: OAuthContext;
  logger: Logger;
}

export interface RemovedCredential {
  serverUrl: string;
  key: string;
  revoked: boolean;
  revokeError: string | null;
}

/** Revokes one token of a credential at the revocation endpoint of its authorization server. */
async function revoke(
  deps: LogoutDeps,
  endpoint: string,
  row: CredentialRow,
  token: string,
  kind: 'refresh_token' | 'access_token',
): Promise<void> {
  const { revokeToken } = await import('../oauth/token-endpoint.js');
  await revokeToken(
    endpoint,
    { tokenEndpoint: row.tokenEndpoint ?? endpoint, issuer: row.issuer },
    { clientId: row.clientId ?? '', clientSecret: row.clientSecret, authMethod: row.authMethod },
    token,
    kind,
    deps.oauth,
  );
}

/**
 * Removes the credentials `rows`, revoking each first (its refresh token, else its access token)
 * when `revokeFirst` and its authorization server has a revocation endpoint. A failed revocation
 * is reported, and the local copy is removed all the same: the user asked to forget it. For each,
 * `settle` waits for its refresh in flight and stops its timer, then its row leaves the store, then
 * `forget` drops what memory holds of it.
 * @see RFC 7009 §2
 */
export async function removeCredentials(
  deps: LogoutDeps,
  rows: CredentialRow[],
  revokeFirst: boolean,
  hooks: { settle: (key: string) => Promise<unknown>; forget: (key: string) => void },
): Promise<{ removed: RemovedCredential[] }> {
  const removed: RemovedCredential[] = [];
  for (const row of rows) {
    let revoked = false;
    let revokeError: string | null = null;
    if (revokeFirst && row.revocationEndpoint) {
      try {
        const token = row.refreshToken ?? row.accessToken;
        await revoke(
          deps,
          row.revocationEndpoint,
          row,
          token,
          row.refreshToken ? 'refresh_token' : 'access_token',
        );
        revoked = true;
      } catch (err) {
        revokeError = (err as Error).message;
      }
    }
    await hooks.settle(row.key);
    deps.store.deleteCredential(row.key);
    hooks.forget(row.key);
    deps.logger.info({ key: row.key, revoked, revokeError }, 'credential removed');
    removed.push({ serverUrl: row.serverUrl, key: row.key, revoked, revokeError });
  }
  return { removed };
}

/**
 * A new login replaced this credential: its refresh token would otherwise stay valid at the
 * IdP, unused, for its whole life. A failure is only logged.
 * @see RFC 7009 §2
 */
export async function revokeReplaced(deps: LogoutDeps, row: CredentialRow): Promise<void> {
  if (!row.revocationEndpoint || !row.refreshToken) return;
  try {
    await revoke(deps, row.revocationEndpoint, row, row.refreshToken, 'refresh_token');
    deps.logger.info({ key: row.key }, 'replaced refresh token revoked');
  } catch (err) {
    deps.logger.warn({ key: row.key, err: (err as Error).message }, 'replaced refresh token not revoked');
  }
}
