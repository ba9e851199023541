/**
 * The two exchanges of the device authorization grant (RFC 8628), each a request/response pair
 * on oauth4webapi with injected fetch: the device authorization request (§3.1, §3.2) and the
 * device access token request the daemon polls with (§3.4, §3.5). Every failure becomes an
 * McptestError; the polling loop, its timing and its state live in daemon/logins/device-login.ts.
 */
import * as oauth from 'oauth4webapi';
import { McptestError } from '../../shared/errors.js';
import { checkVerificationUri } from './peer-url-policy.js';
import { requestOptions } from './request-options.js';
import {
  authorizationServer,
  clientAuthentication,
  type IssuedTokens,
  type OAuthContext,
  oauthFailure,
  type TokenClient,
  type TokenEndpointTarget,
  toIssuedTokens,
} from './token-endpoint.js';

/** The authorization server a device login runs against, as discovery found it. */
export interface DeviceAuthorizationTarget {
  /** The canonical MCP server URL (named in errors and hints). */
  serverUrl: string;
  issuer: string;
  as: oauth.AuthorizationServer;
  /** The RFC 8707 `resource` to ask for. */
  resource: string;
}

/** A device authorization response, checked. @see RFC 8628 §3.2 */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  /** Checked: https, or http on loopback, before a human is shown it. */
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds between polls as the server said, if it did (RFC 8628 §3.2 says 5 when absent). */
  interval?: number;
  /** Lifetime of the device code, in seconds. */
  expiresIn: number;
}

/** The RFC 8628 §3.5 answers a poll is told to keep going (or to stop) with. */
export type DevicePollError = 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token';

/**
 * The device authorization endpoint of an authorization server, or `device_unsupported` when its
 * metadata names none.
 * @see RFC 8628 §4 (`device_authorization_endpoint`)
 */
export function deviceAuthorizationEndpoint(target: DeviceAuthorizationTarget): string {
  const endpoint = target.as.device_authorization_endpoint;
  if (!endpoint) {
    throw new McptestError(
      'device_unsupported',
      `the authorization server ${target.issuer} of ${target.serverUrl} does not offer the device authorization grant (no device_authorization_endpoint in its metadata)`,
      { hint: `mcptest login --no-browser ${target.serverUrl}` },
    );
  }
  return endpoint;
}

/**
 * Sends the device authorization request, with `scope` when given and the RFC 8707 `resource`.
 * @see RFC 8628 §3.1
 */
export async function deviceAuthorizationRequest(
  target: DeviceAuthorizationTarget,
  client: TokenClient,
  params: { scope?: string },
  ctx: Pick<OAuthContext, 'fetch' | 'timeoutMs'>,
): Promise<Response> {
  const endpoint = deviceAuthorizationEndpoint(target);
  try {
    const body: Record<string, string> = { resource: target.resource };
    if (params.scope) body.scope = params.scope;
    return await oauth.deviceAuthorizationRequest(
      target.as,
      { client_id: client.clientId },
      await clientAuthentication(client),
      body,
      requestOptions(ctx, endpoint),
    );
  } catch (err) {
    throw deviceAuthorizationFailure(err, target, client);
  }
}

/**
 * Checks a device authorization response: an OAuth error becomes an McptestError (one naming
 * the client when the server refuses it the grant), and the verification URIs a human will open
 * must pass the peer URL policy before anything is stored.
 * @see RFC 8628 §3.2, §3.3 (the URIs shown to the user)
 */
export async function processDeviceAuthorizationResponse(
  target: DeviceAuthorizationTarget,
  client: TokenClient,
  response: Response,
): Promise<DeviceAuthorization> {
  let device: oauth.DeviceAuthorizationResponse;
  try {
    device = await oauth.processDeviceAuthorizationResponse(
      target.as,
      { client_id: client.clientId },
      response,
    );
  } catch (err) {
    throw deviceAuthorizationFailure(err, target, client);
  }
  checkVerificationUri(device.verification_uri, 'verification_uri', target.issuer, target.serverUrl);
  if (device.verification_uri_complete !== undefined) {
    checkVerificationUri(
      device.verification_uri_complete,
      'verification_uri_complete',
      target.issuer,
      target.serverUrl,
    );
  }
  return {
    deviceCode: device.device_code,
    userCode: device.user_code,
    verificationUri: device.verification_uri,
    verificationUriComplete: device.verification_uri_complete,
    interval: device.interval,
    expiresIn: device.expires_in,
  };
}

function deviceAuthorizationFailure(
  err: unknown,
  target: DeviceAuthorizationTarget,
  client: TokenClient,
): McptestError {
  const endpoint = target.as.device_authorization_endpoint as string;
  const e = oauthFailure(err, 'device authorization request', endpoint);
  const oauthError = e.details?.oauthError;
  if (
    oauthError === 'unauthorized_client' ||
    oauthError === 'invalid_client' ||
    oauthError === 'invalid_grant'
  ) {
    return new McptestError(
      e.code,
      `${e.message} (the client ${client.clientId} cached for ${target.serverUrl} is likely not registered for the device grant)`,
      { hint: `mcptest login --device --url ${target.serverUrl} --force`, details: e.details, cause: e },
    );
  }
  return e;
}

/**
 * Sends one device access token request (a poll), with the RFC 8707 `resource`. `signal` stops
 * it early (a cancelled login); the request's own timeout still applies.
 * @see RFC 8628 §3.4, RFC 8707 §2.2
 */
export async function deviceTokenRequest(
  target: TokenEndpointTarget,
  client: TokenClient,
  deviceCode: string,
  params: { resource: string },
  ctx: OAuthContext,
  signal?: AbortSignal,
): Promise<Response> {
  try {
    const options = requestOptions(ctx, target.tokenEndpoint);
    return await oauth.deviceCodeGrantRequest(
      authorizationServer(target),
      { client_id: client.clientId },
      await clientAuthentication(client),
      deviceCode,
      {
        ...options,
        signal: signal
          ? AbortSignal.any([options.signal as AbortSignal, signal])
          : (options.signal as AbortSignal),
        additionalParameters: { resource: params.resource },
      },
    );
  } catch (err) {
    throw oauthFailure(err, 'device code token request', target.tokenEndpoint);
  }
}

/**
 * Parses a device access token response into the issued tokens, or throws an McptestError
 * carrying the server's error code in `details.oauthError` (read it with {@link devicePollError}).
 * @see RFC 8628 §3.5
 */
export async function processDeviceTokenResponse(
  target: TokenEndpointTarget,
  client: TokenClient,
  response: Response,
  ctx: Pick<OAuthContext, 'now'>,
): Promise<IssuedTokens> {
  const as = authorizationServer(target);
  try {
    return toIssuedTokens(
      await oauth.processDeviceCodeResponse(as, { client_id: client.clientId }, response),
      ctx.now(),
      target.tokenEndpoint,
    );
  } catch (err) {
    throw oauthFailure(err, 'device code token request', target.tokenEndpoint);
  }
}

/**
 * The RFC 8628 §3.5 error a failed poll was answered with, when the server answered one in the
 * response body (as the RFC has it); undefined for every other failure.
 */
export function devicePollError(failure: McptestError): DevicePollError | undefined {
  if (!(failure.cause instanceof oauth.ResponseBodyError)) return undefined;
  const error = failure.cause.error;
  return error === 'authorization_pending' ||
    error === 'slow_down' ||
    error === 'access_denied' ||
    error === 'expired_token'
    ? error
    : undefined;
}
