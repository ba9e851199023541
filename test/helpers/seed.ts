import type { DaemonClient } from '../../client/daemon-client.js';
import type { Idp } from '../../examples/oauth-server/idp.js';

/**
 * Stores a real token set, won from the IdP by a full authorization-code + PKCE grant, in the
 * daemon as the credential of `serverUrl`. `expiresIn` overrides what the daemon believes of the
 * access token's life, so tests can make it "expire" without waiting.
 */
export async function seedLogin(
  idp: Idp,
  client: DaemonClient,
  serverUrl: string,
  options: { expiresIn?: number; scope?: string; beforeImport?: () => void } = {},
) {
  const set = await idp.obtainTokenSet({ resource: serverUrl, scope: options.scope ?? 'mcp:read' });
  options.beforeImport?.();
  await client.importCredential({
    serverUrl,
    accessToken: set.access_token,
    refreshToken: set.refresh_token,
    expiresIn: options.expiresIn ?? set.expires_in,
    scope: set.scope,
    issuer: set.issuer,
    tokenEndpoint: set.token_endpoint,
    revocationEndpoint: `${set.issuer}/token/revocation`,
    clientId: set.client_id,
    clientSecret: set.client_secret,
    authMethod: set.token_endpoint_auth_method as 'none',
    resource: serverUrl,
  });
  return set;
}

export function refreshRequests(idp: Idp): number {
  return idp.requests.filter((r) => r.path === '/token' && r.grantType === 'refresh_token').length;
}
