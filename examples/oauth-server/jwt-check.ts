/**
 * Checks a JWT access token (RFC 9068) against the IdP's JWKS with jose: signature, issuer,
 * audience (the MCP server URL) and expiry. Both MCP servers (SDK 1.x and 2.x) wrap this in their
 * SDK's token-verifier shape, mapping `TokenCheckError` to that SDK's 401 / 500 errors.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

/** What a verified token says, in the fields both SDKs' `AuthInfo` carry. */
export interface CheckedToken {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource: URL;
  extra: { sub: unknown };
}

export class TokenCheckError extends Error {
  /** `invalid`: the token is refused (401); `unavailable`: the JWKS could not be fetched (500). */
  constructor(
    readonly kind: 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

export type TokenCheck = (token: string) => Promise<CheckedToken>;

export function jwtCheck(issuer: string, jwksUri: string, audience: string): TokenCheck {
  // No cooldown: an IdP restarted with fresh keys (new kid) must be picked up at once.
  const jwks = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 0 });
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer, audience }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
        throw new TokenCheckError('invalid', `Invalid token: ${error.code}`);
      }
      throw new TokenCheckError('unavailable', 'Could not fetch the issuer JWKS');
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return {
      token,
      clientId: String(payload.client_id ?? payload.azp ?? ''),
      scopes: scope.split(' ').filter(Boolean),
      expiresAt: typeof payload.exp === 'number' ? payload.exp : undefined,
      resource: new URL(audience),
      extra: { sub: payload.sub },
    };
  };
}
