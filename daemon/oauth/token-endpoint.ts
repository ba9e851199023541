/**
 * Requests to an authorization server's token and revocation endpoints that need no login
 * (refresh, client credentials, revocation), built on oauth4webapi (request/process pairs) with
 * injected fetch, and what every token endpoint exchange shares: client authentication, the
 * issued token set, the classification of failures. Every failure becomes an McptestError whose
 * `details.transient` says whether retrying later can help. The exchanges of a login live beside
 * it: `device-authorization.ts` (RFC 8628) and `code-exchange.ts` (authorization code).
 */
import { createPrivateKey } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { McptestError } from '../../shared/errors.js';
import type { TokenEndpointAuthMethod } from '../../shared/ipc-schemas.js';
import type { FetchLike } from './bounded-body.js';
import { requestOptions } from './request-options.js';

/** Re-exported: the daemon's routes and services name them from here. */
export type { FetchLike };
export { requestOptions };

export interface OAuthContext {
  fetch: FetchLike;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  now: () => number;
}

/** The client as the token endpoint sees it. */
export interface TokenClient {
  clientId: string;
  clientSecret?: string | null;
  privateKey?: string | null;
  privateKeyAlg?: string | null;
  authMethod?: TokenEndpointAuthMethod | string | null;
}

export interface TokenEndpointTarget {
  tokenEndpoint: string;
  /** The AS issuer, when known; the token endpoint's origin otherwise. */
  issuer?: string | null;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  scope: string | null;
  expiresAt: number | null;
}

export function authorizationServer(target: TokenEndpointTarget): oauth.AuthorizationServer {
  return {
    issuer: target.issuer ?? new URL(target.tokenEndpoint).origin,
    token_endpoint: target.tokenEndpoint,
  };
}

export async function clientAuthentication(client: TokenClient): Promise<oauth.ClientAuth> {
  const method = client.authMethod ?? (client.clientSecret ? 'client_secret_basic' : 'none');
  switch (method) {
    case 'client_secret_basic': {
      const secret = requireSecret(client);
      // RFC 6749 §2.3.1 form-encodes id and secret before Basic encoding. oauth4webapi also
      // escapes `-` and `.`, which servers that do not form-decode read as another client id;
      // where form-encoding changes nothing, send them as they are (both decode the same).
      if (FORM_SAFE.test(client.clientId) && FORM_SAFE.test(secret)) {
        const credentials = Buffer.from(`${client.clientId}:${secret}`).toString('base64');
        return (_as, _client, _body, headers) => {
          headers.set('authorization', `Basic ${credentials}`);
        };
      }
      return oauth.ClientSecretBasic(secret);
    }
    case 'client_secret_post':
      return oauth.ClientSecretPost(requireSecret(client));
    case 'private_key_jwt': {
      if (!client.privateKey) {
        throw new McptestError(
          'invalid_request',
          `client ${client.clientId} uses private_key_jwt but no private key was given`,
          {
            hint: 'name the key in the suite: auth.oauth.private_key_file or private_key_env',
          },
        );
      }
      const alg = client.privateKeyAlg ?? signingAlgFor(client.privateKey);
      // jose is many modules and only private_key_jwt clients need it: loaded on first use.
      const { importPKCS8 } = await import('jose');
      const key = await importPKCS8(client.privateKey, alg).catch((err) => {
        throw new McptestError(
          'invalid_request',
          `the private key for client ${client.clientId} is not a PKCS#8 PEM key for ${alg}`,
          {
            hint: 'convert it: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.p8.pem',
            cause: err,
          },
        );
      });
      return oauth.PrivateKeyJwt(key as CryptoKey);
    }
    case 'none':
      return oauth.None();
    default:
      throw new McptestError('invalid_request', `unsupported token endpoint auth method ${method}`, {
        hint: 'use client_secret_basic, client_secret_post, private_key_jwt or none',
      });
  }
}

/** Characters form-urlencoding leaves alone (WHATWG application/x-www-form-urlencoded). */
const FORM_SAFE = /^[A-Za-z0-9*._-]*$/;

/** The JWS algorithm that fits a private key: RS256 for RSA, ES256/384/512 by curve, EdDSA. */
function signingAlgFor(pem: string): string {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === 'ec') {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
    }
    if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return 'EdDSA';
    if (key.asymmetricKeyType === 'rsa-pss') return 'PS256';
  } catch {
    // importPKCS8 below reports an unreadable key with a hint
  }
  return 'RS256';
}

function requireSecret(client: TokenClient): string {
  if (!client.clientSecret) {
    throw new McptestError(
      'invalid_request',
      `client ${client.clientId} needs a client secret for its auth method`,
    );
  }
  return client.clientSecret;
}

/**
 * The error for a token of a type the daemon cannot present (`mac`, or `dpop` without a DPoP
 * key): permanent, since asking again gets the same type. Names the type, never the token.
 * @see RFC 6750 §1 (Bearer), RFC 6749 §7.1 (token types)
 */
export function unsupportedTokenType(tokenType: unknown, endpoint: string): McptestError {
  const shown = typeof tokenType === 'string' ? JSON.stringify(tokenType.slice(0, 40)) : String(tokenType);
  return new McptestError(
    'unsupported_token_type',
    `the token endpoint ${endpoint} issued a token of type ${shown}; mcptest can only present Bearer tokens (RFC 6750)`,
    {
      hint: 'configure the client at the authorization server to issue Bearer access tokens',
      details: { transient: false, tokenType: typeof tokenType === 'string' ? tokenType.slice(0, 40) : null },
    },
  );
}

export function toIssuedTokens(
  res: oauth.TokenEndpointResponse,
  now: number,
  endpoint: string,
): IssuedTokens {
  // oauth4webapi accepts `dpop` too, which needs a proof mcptest never sends.
  if ((res.token_type ?? 'bearer').toLowerCase() !== 'bearer')
    throw unsupportedTokenType(res.token_type, endpoint);
  return {
    accessToken: res.access_token,
    refreshToken: res.refresh_token ?? null,
    tokenType: res.token_type ?? 'bearer',
    scope: res.scope ?? null,
    // Under a second (expires_in 0, say) is no lifetime a token could be used for; read it as
    // "not said", like a missing one, rather than as a token to replace at once, forever.
    expiresAt: typeof res.expires_in === 'number' && res.expires_in >= 1 ? now + res.expires_in * 1000 : null,
  };
}

/**
 * Classifies what a token endpoint call threw. Network failures, timeouts and 5xx are transient;
 * OAuth errors (RFC 6749 §5.2) are not, and carry the AS's error code in `details.oauthError`.
 */
export function oauthFailure(err: unknown, what: string, endpoint: string): McptestError {
  if (err instanceof McptestError) return err;
  if (err instanceof oauth.UnsupportedOperationError && /token_type/.test(err.message)) {
    // Its cause holds the whole answer, tokens included: not kept.
    const body = (err.cause as { body?: { token_type?: unknown } } | undefined)?.body;
    return unsupportedTokenType(body?.token_type, endpoint);
  }
  if (err instanceof oauth.ResponseBodyError) {
    const transient = err.status >= 500 || err.status === 429;
    const desc = err.error_description ? `: ${err.error_description}` : '';
    const code = transient
      ? 'idp_unavailable'
      : err.error === 'invalid_client'
        ? 'invalid_client'
        : err.error === 'invalid_scope'
          ? 'invalid_scope'
          : 'idp_error';
    return new McptestError(code, `${what} failed at ${endpoint}: HTTP ${err.status} ${err.error}${desc}`, {
      details: { transient, oauthError: err.error, status: err.status },
      cause: err,
    });
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // A 401 with a challenge (RFC 6749 §5.2: client authentication failed) carries its OAuth
    // error in the challenge rather than the body.
    const params = err.cause[0]?.parameters ?? {};
    const oauthError = params.error ?? (err.status === 401 ? 'invalid_client' : 'invalid_request');
    const transient = err.status >= 500 || err.status === 429;
    const desc = params.error_description ? `: ${params.error_description}` : '';
    const code = transient
      ? 'idp_unavailable'
      : oauthError === 'invalid_client'
        ? 'invalid_client'
        : 'idp_error';
    return new McptestError(code, `${what} failed at ${endpoint}: HTTP ${err.status} ${oauthError}${desc}`, {
      details: { transient, oauthError, status: err.status },
      cause: err,
    });
  }
  if (err instanceof oauth.OperationProcessingError) {
    const res = err.cause instanceof Response ? err.cause : undefined;
    const status = res?.status;
    const transient = status === undefined || status >= 500 || status === 429;
    return new McptestError(
      transient ? 'idp_unavailable' : 'idp_error',
      `${what} failed at ${endpoint}: ${status ? `HTTP ${status}, ` : ''}${err.message}`,
      { details: { transient, status: status ?? null }, cause: err },
    );
  }
  const e = err as Error & { cause?: { code?: string } };
  const timeout = e?.name === 'TimeoutError' || e?.name === 'AbortError';
  const reason = timeout ? 'timed out' : e?.cause?.code ? `${e.cause.code}` : (e?.message ?? String(err));
  return new McptestError('idp_unavailable', `${what} failed: ${endpoint} is unreachable (${reason})`, {
    details: { transient: true },
    hint: `check that the authorization server is up: curl -sI ${endpoint}`,
    cause: err,
  });
}

/** The `resource` (RFC 8707) and `scope` parameters of a token request, when set. */
function resourceAndScope(params: {
  resource?: string | null;
  scope?: string | null;
}): Record<string, string> {
  const out: Record<string, string> = {};
  if (params.resource) out.resource = params.resource;
  if (params.scope) out.scope = params.scope;
  return out;
}

/**
 * A refresh the AS accepted but answered with something unusable (a token type mcptest cannot
 * present, a body over the limit) may have rotated the refresh token (RFC 9700 §4.14.2): the one
 * in the store is likely spent, and presenting it again could make the AS revoke the grant. So
 * such a failure ends the login (`needs_login`) instead of being retried.
 */
function unusableRefreshAnswer(e: McptestError): McptestError {
  const accepted =
    e.code === 'unsupported_token_type' || (e.code === 'response_too_large' && !e.details?.transient);
  if (!accepted) return e;
  return new McptestError(
    'needs_login',
    `${e.message}; the refresh token may have been rotated, so it is not presented again`,
    {
      hint: e.hint,
      details: { ...e.details, transient: false, cause: e.code },
    },
  );
}

/** @see RFC 6749 §6 (refresh), RFC 8707 §2.2 (`resource` on the refresh request) */
export async function refreshGrant(
  target: TokenEndpointTarget,
  client: TokenClient,
  refreshToken: string,
  params: { resource?: string | null; scope?: string | null },
  ctx: OAuthContext,
): Promise<IssuedTokens> {
  try {
    const as = authorizationServer(target);
    const oc: oauth.Client = { client_id: client.clientId };
    const res = await oauth.refreshTokenGrantRequest(
      as,
      oc,
      await clientAuthentication(client),
      refreshToken,
      {
        ...requestOptions(ctx, target.tokenEndpoint),
        additionalParameters: resourceAndScope(params),
      },
    );
    return toIssuedTokens(
      await oauth.processRefreshTokenResponse(as, oc, res),
      ctx.now(),
      target.tokenEndpoint,
    );
  } catch (err) {
    throw unusableRefreshAnswer(oauthFailure(err, 'token refresh', target.tokenEndpoint));
  }
}

/**
 * A refusal with no body at all, so no OAuth `error` to read (RFC 6749 §5.2 wants one). IdPs
 * that answer a request without `scope` this way exist; the hint says how to send one.
 */
function emptyRefusal(
  status: number,
  target: TokenEndpointTarget,
  params: { scope?: string | null },
): McptestError {
  const transient = status >= 500 || status === 429;
  const sent = params.scope ? `scope "${params.scope}"` : 'no scope';
  return new McptestError(
    transient ? 'idp_unavailable' : 'idp_error',
    `client-credentials token request failed at ${target.tokenEndpoint}: HTTP ${status} with an empty body (the request sent ${sent})`,
    {
      hint: params.scope
        ? 'check the scope the client may have, and pass it with --scope (auth.oauth.scope in a suite)'
        : 'the authorization server may want a scope: pass one with --scope (auth.oauth.scope in a suite)',
      details: { transient, status, oauthError: null },
    },
  );
}

/** @see RFC 6749 §4.4 (client credentials), RFC 8707 §2.2 */
export async function clientCredentialsGrant(
  target: TokenEndpointTarget,
  client: TokenClient,
  params: { resource?: string | null; scope?: string | null },
  ctx: OAuthContext,
): Promise<IssuedTokens> {
  try {
    const as = authorizationServer(target);
    const oc: oauth.Client = { client_id: client.clientId };
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      oc,
      await clientAuthentication(client),
      resourceAndScope(params),
      requestOptions(ctx, target.tokenEndpoint),
    );
    if (!res.ok && (await res.clone().text()).trim() === '') throw emptyRefusal(res.status, target, params);
    return toIssuedTokens(
      await oauth.processClientCredentialsResponse(as, oc, res),
      ctx.now(),
      target.tokenEndpoint,
    );
  } catch (err) {
    throw oauthFailure(err, 'client-credentials token request', target.tokenEndpoint);
  }
}

/** @see RFC 7009 §2 */
export async function revokeToken(
  endpoint: string,
  target: TokenEndpointTarget,
  client: TokenClient,
  token: string,
  tokenTypeHint: 'refresh_token' | 'access_token',
  ctx: OAuthContext,
): Promise<void> {
  try {
    const as = { ...authorizationServer(target), revocation_endpoint: endpoint };
    const res = await oauth.revocationRequest(
      as,
      { client_id: client.clientId },
      await clientAuthentication(client),
      token,
      {
        ...requestOptions(ctx, endpoint),
        additionalParameters: { token_type_hint: tokenTypeHint },
      },
    );
    await oauth.processRevocationResponse(res);
  } catch (err) {
    throw oauthFailure(err, 'token revocation', endpoint);
  }
}
