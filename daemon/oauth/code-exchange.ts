/**
 * The exchanges of the authorization code grant after the browser: the authorization response
 * the loopback redirect (or a paste-back) delivers, checked for `state`, `iss` and errors, and
 * the redemption of its code at the token endpoint (PKCE verifier, `resource`), as a
 * request/response pair on oauth4webapi with injected fetch. Every failure becomes an
 * McptestError. Building the authorization URL and the loopback listener live in
 * daemon/logins/browser-login.ts.
 */
import * as oauth from 'oauth4webapi';
import { McptestError } from '../../shared/errors.js';
import { staleClientError } from './registration.js';
import { requestOptions } from './request-options.js';
import {
  clientAuthentication,
  type IssuedTokens,
  type OAuthContext,
  oauthFailure,
  toIssuedTokens,
} from './token-endpoint.js';

/** What redeeming a code needs of the login that asked for it (secret: never logged). */
export interface CodeLogin {
  /** The canonical MCP server URL (named in errors and hints). */
  serverUrl: string;
  /** The `state` sent in the authorization request. */
  state: string;
  codeVerifier: string;
  redirectUri: string;
  resource: string;
  issuer: string;
  as: oauth.AuthorizationServer;
  clientId: string;
  clientSecret: string | null;
  authMethod: string;
}

/**
 * Checks the parameters of an authorization response. Throws `state_mismatch` for a foreign
 * state (the caller decides whether to ignore it), `issuer_mismatch` for a wrong or missing
 * `iss`, `login_denied` for `error=access_denied` and `idp_error` for any other error.
 * @see RFC 6749 §4.1.2, §4.1.2.1, RFC 9207 (iss)
 */
export function validateAuthorizationResponse(login: CodeLogin, params: URLSearchParams): URLSearchParams {
  if (params.get('state') !== login.state) {
    throw new McptestError(
      'state_mismatch',
      `the login callback for ${login.serverUrl} carried the wrong state`,
      {
        hint: `use the URL of the latest login, or start again: mcptest login ${login.serverUrl}`,
      },
    );
  }
  try {
    return oauth.validateAuthResponse(login.as, { client_id: login.clientId }, params, login.state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      const denied = err.error === 'access_denied';
      throw new McptestError(
        denied ? 'login_denied' : 'idp_error',
        `the authorization server answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
        { hint: `mcptest login ${login.serverUrl}`, cause: err },
      );
    }
    const iss = params.get('iss');
    throw new McptestError(
      'issuer_mismatch',
      `the login callback for ${login.serverUrl} ${iss ? `names issuer ${iss}` : 'lacks the iss parameter'}, expected ${login.issuer}`,
      { hint: `start again: mcptest login ${login.serverUrl}`, cause: err },
    );
  }
}

/** The token endpoint a login's code is redeemed at, or `discovery_failed`. */
export function codeTokenEndpoint(login: CodeLogin): string {
  const tokenEndpoint = login.as.token_endpoint;
  if (typeof tokenEndpoint !== 'string') {
    throw new McptestError(
      'discovery_failed',
      `authorization server ${login.issuer} names no token_endpoint`,
      {
        hint: `mcptest login ${login.serverUrl} --force`,
      },
    );
  }
  return tokenEndpoint;
}

/**
 * Redeems the code of a validated authorization response, with the PKCE verifier, the redirect
 * URI and the RFC 8707 `resource`.
 * @see RFC 6749 §4.1.3, RFC 7636 §4.5, RFC 8707 §2.2
 */
export async function authorizationCodeRequest(
  login: CodeLogin,
  validated: URLSearchParams,
  ctx: Pick<OAuthContext, 'fetch' | 'timeoutMs'>,
): Promise<Response> {
  const tokenEndpoint = codeTokenEndpoint(login);
  try {
    return await oauth.authorizationCodeGrantRequest(
      login.as,
      { client_id: login.clientId },
      await clientAuthentication({
        clientId: login.clientId,
        clientSecret: login.clientSecret,
        authMethod: login.authMethod,
      }),
      validated,
      login.redirectUri,
      login.codeVerifier,
      {
        ...requestOptions(ctx, tokenEndpoint, { endpoint: 'authorization server endpoint' }),
        additionalParameters: { resource: login.resource },
      },
    );
  } catch (err) {
    throw oauthFailure(err, 'authorization code exchange', tokenEndpoint);
  }
}

/**
 * Parses the token response to a code redemption. `invalid_client` means the cached client
 * registration is likely stale (the hint re-registers); a token type other than Bearer is refused.
 * @see RFC 6749 §5.1, §5.2
 */
export async function processAuthorizationCodeResponse(
  login: CodeLogin,
  response: Response,
  ctx: Pick<OAuthContext, 'now'>,
): Promise<IssuedTokens> {
  const tokenEndpoint = codeTokenEndpoint(login);
  let answer: oauth.TokenEndpointResponse;
  try {
    answer = await oauth.processAuthorizationCodeResponse(login.as, { client_id: login.clientId }, response);
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError && err.error === 'invalid_client') {
      throw staleClientError(login.serverUrl, login.clientId, err);
    }
    throw oauthFailure(err, 'authorization code exchange', tokenEndpoint);
  }
  return toIssuedTokens(answer, ctx.now(), tokenEndpoint);
}
