/**
 * Device-code login (RFC 8628): discovery, client resolution, the device authorization request,
 * then the daemon polls the token endpoint until a human approves on another device (both
 * exchanges are in daemon/oauth/device-authorization.ts; this module owns when and how often).
 * Polling follows the injected clock, so a test moves time instead of sleeping, and it survives a
 * daemon restart: the device code and the poll state live in the pending login's secret data.
 */
import type * as oauth from 'oauth4webapi';
import type { Logger } from '../logger.js';
import type { Clock } from '../../shared/clock.js';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import type { LoginInfo } from '../../shared/ipc-schemas.js';
import type { DaemonContext } from '../context.js';
import {
  type DeviceAuthorization,
  deviceAuthorizationEndpoint,
  deviceAuthorizationRequest,
  devicePollError,
  deviceTokenRequest,
  processDeviceAuthorizationResponse,
  processDeviceTokenResponse,
} from '../oauth/device-authorization.js';
import {
  type IssuedTokens,
  type OAuthContext,
  oauthFailure,
  type TokenClient,
  type TokenEndpointTarget,
} from '../oauth/token-endpoint.js';
import type { LoginFlow, LoginRecord, LoginRegistry, ParsedLoginStartRequest } from './login-registry.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** @see RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** A pending code with less than this left is not handed out again: a fresh one is started. */
const REUSE_MIN_LEFT_MS = 120_000;

/** @see RFC 8628 §3.5: each `slow_down` adds 5 seconds to the interval for all later requests. */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** Longest wait between polls while the AS is unreachable (exponential backoff, RFC 8628 §3.5). */
const MAX_BACKOFF_MS = 60_000;

/** Everything needed to poll for one device code; persisted as the login's secret data. */
export interface DevicePollState {
  serverUrl: string;
  deviceCode: string;
  /** Seconds between polls; grows by 5 with every `slow_down`. */
  intervalSeconds: number;
  /** When the device code expires (ms since epoch). */
  expiresAt: number;
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  clientId: string;
  clientSecret: string | null;
  authMethod: string | null;
  resource: string;
}

export interface PollDeps {
  clock: Clock;
  oauth: OAuthContext;
  logger?: Logger;
}

export interface PollOptions {
  signal?: AbortSignal;
  /** Called when `slow_down` changed the interval, so it can be persisted. */
  onInterval?: (seconds: number) => void;
  /** Called after every poll answer (for tests and debug logs). */
  onPoll?: (outcome: PollOutcome) => void;
}

export type PollOutcome =
  | 'authorization_pending'
  | 'slow_down'
  | 'transient_error'
  | 'success'
  | 'access_denied'
  | 'expired_token'
  | 'error';

/** The command that starts a fresh device login for a server. */
function retryHint(serverUrl: string, force = false): string {
  return `mcptest login --device --url ${serverUrl}${force ? ' --force' : ''}`;
}

function expired(serverUrl: string): McptestError {
  return new McptestError(
    'login_expired',
    `the device code for ${serverUrl} expired before the login was approved; re-run the command for a fresh code`,
    { hint: retryHint(serverUrl) },
  );
}

/** Sleeps on the injected clock; rejects with `cancelled` when the signal aborts. */
function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError());
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(cancelledError());
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelledError(): McptestError {
  return new McptestError('cancelled', 'device polling stopped');
}

/**
 * Polls the token endpoint with a device code until the human approves, denies, or the code
 * expires. Waits `interval` seconds before every request (5 when the AS gave none), adds 5 seconds
 * per `slow_down`, keeps polling on `authorization_pending`, backs off exponentially on network
 * failures and 5xx, and never polls past `expiresAt`.
 * @see RFC 8628 §3.4 (token request, `resource` per RFC 8707 §2.2), §3.5 (response and errors)
 */
export async function pollDeviceToken(
  deps: PollDeps,
  state: DevicePollState,
  options: PollOptions = {},
): Promise<IssuedTokens> {
  const target: TokenEndpointTarget = { tokenEndpoint: state.tokenEndpoint, issuer: state.issuer };
  const tokenClient: TokenClient = {
    clientId: state.clientId,
    clientSecret: state.clientSecret,
    authMethod: state.authMethod,
  };
  let interval = state.intervalSeconds;
  let failures = 0;
  for (;;) {
    const now = deps.clock.now();
    if (now >= state.expiresAt) throw expired(state.serverUrl);
    const base = interval * 1000;
    const delay = failures > 0 ? Math.min(base * 2 ** failures, Math.max(base, MAX_BACKOFF_MS)) : base;
    await sleep(deps.clock, Math.min(delay, state.expiresAt - now), options.signal);
    if (deps.clock.now() >= state.expiresAt) throw expired(state.serverUrl);

    let outcome: PollOutcome;
    let failure: McptestError | undefined;
    let tokens: IssuedTokens | undefined;
    try {
      const res = await deviceTokenRequest(
        target,
        tokenClient,
        state.deviceCode,
        { resource: state.resource },
        deps.oauth,
        options.signal,
      );
      tokens = await processDeviceTokenResponse(target, tokenClient, res, { now: () => deps.clock.now() });
      outcome = 'success';
    } catch (err) {
      if (options.signal?.aborted) throw cancelledError();
      failure = oauthFailure(err, 'device code token request', state.tokenEndpoint);
      // oauth4webapi keeps the RFC 8628 error codes the MCP SDK loses.
      const pollError = devicePollError(failure);
      if (pollError) outcome = pollError;
      else if (failure.details?.transient === true) outcome = 'transient_error';
      else outcome = 'error';
    }
    options.onPoll?.(outcome);
    deps.logger?.debug({ serverUrl: state.serverUrl, outcome, interval }, 'device code poll');
    switch (outcome) {
      case 'success':
        return tokens as IssuedTokens;
      case 'authorization_pending':
        failures = 0;
        break;
      case 'slow_down':
        failures = 0;
        interval += SLOW_DOWN_STEP_SECONDS;
        options.onInterval?.(interval);
        break;
      case 'transient_error':
        failures += 1;
        deps.logger?.warn(
          { serverUrl: state.serverUrl, failures, error: failure?.message },
          'device code poll failed; backing off',
        );
        break;
      case 'access_denied':
        throw new McptestError(
          'login_denied',
          `the device login for ${state.serverUrl} was denied at ${state.issuer}`,
          {
            hint: retryHint(state.serverUrl),
          },
        );
      case 'expired_token':
        throw expired(state.serverUrl);
      default: {
        const e = failure as McptestError;
        const oauthError = e.details?.oauthError;
        if (oauthError === 'invalid_grant') {
          // Some servers (oidc-provider among them) answer invalid_grant, not expired_token, once
          // an expired device code is purged.
          throw new McptestError(
            'login_expired',
            `${state.issuer} no longer accepts the device code for ${state.serverUrl} (${e.message.replace(/^.*: HTTP /, 'HTTP ')}); re-run the command for a fresh code`,
            { hint: retryHint(state.serverUrl), details: e.details },
          );
        }
        const wrongClient = oauthError === 'unauthorized_client' || oauthError === 'invalid_client';
        throw new McptestError(e.code, e.message, {
          hint: wrongClient ? retryHint(state.serverUrl, true) : (e.hint ?? retryHint(state.serverUrl)),
          details: e.details,
          cause: e,
        });
      }
    }
  }
}

/** What a device login needs from discovery (daemon/oauth/discovery.ts). */
export interface DeviceDiscovery {
  serverUrl: string;
  resource: string;
  issuer: string;
  as: oauth.AuthorizationServer;
  scope?: string | null;
}

/** What a device login needs from client resolution (daemon/oauth/registration.ts). */
export interface DeviceClient {
  clientId: string;
  clientSecret?: string | null;
  authMethod?: string | null;
}

export interface DeviceLoginDeps {
  discover(
    serverUrl: string,
    options: { wwwAuthenticate?: string; scope?: string; refresh?: boolean },
  ): Promise<DeviceDiscovery>;
  resolveClient(
    discovered: DeviceDiscovery,
    options: {
      force: boolean;
      clientId?: string;
      clientSecret?: string;
      clientMetadataUrl?: string;
      grantTypes: string[];
      redirectUris: string[];
    },
  ): Promise<DeviceClient>;
}

/**
 * The device kind of {@link LoginFlow}: `start` runs discovery, client resolution and the device
 * authorization request, then polls in the background; `resume` re-arms polling after a restart.
 * @see RFC 8628 §3.1 (device authorization request, with `scope` and RFC 8707 `resource`)
 */
export function deviceLoginFlow(ctx: DaemonContext, deps: DeviceLoginDeps): LoginFlow {
  const pollers = new Map<string, AbortController>();

  function arm(id: string, state: DevicePollState, registry: LoginRegistry): void {
    const controller = new AbortController();
    pollers.set(id, controller);
    void pollDeviceToken({ clock: ctx.clock, oauth: ctx.oauth, logger: ctx.logger }, state, {
      signal: controller.signal,
      onInterval: (seconds) => {
        state.intervalSeconds = seconds;
        registry.update(id, { info: { intervalSeconds: seconds }, data: { intervalSeconds: seconds } });
      },
    }).then(
      (tokens) => {
        pollers.delete(id);
        if (registry.record(id)?.info.status !== 'pending') return;
        ctx.tokens.storeLogin({
          key: state.serverUrl,
          serverUrl: state.serverUrl,
          source: 'device',
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          tokenType: tokens.tokenType,
          scope: tokens.scope,
          expiresAt: tokens.expiresAt,
          issuer: state.issuer,
          tokenEndpoint: state.tokenEndpoint,
          revocationEndpoint: state.revocationEndpoint,
          clientId: state.clientId,
          clientSecret: state.clientSecret,
          authMethod: state.authMethod,
          resource: state.resource,
        });
        registry.complete(id);
      },
      (err) => {
        pollers.delete(id);
        const e = toMcptestError(err);
        // `cancelled` means we stopped it (cancel, daemon shutdown): the registry already knows.
        if (e.code === 'cancelled') return;
        registry.fail(id, e);
      },
    );
  }

  return {
    kind: 'device',

    async start(req: ParsedLoginStartRequest, registry: LoginRegistry): Promise<LoginInfo> {
      // Asked again while a code for this server is still pending (a lost terminal, an agent
      // retrying): the same code, not a second one polled beside it. --force, another scope or
      // a code about to expire start afresh.
      const reusable = registry
        .list()
        .find(
          (l) =>
            l.kind === 'device' &&
            l.status === 'pending' &&
            l.serverUrl === req.serverUrl &&
            !req.force &&
            !req.clientId &&
            (req.scope === undefined || req.scope === l.scope) &&
            l.expiresAt - ctx.clock.now() > REUSE_MIN_LEFT_MS,
        );
      if (reusable) return reusable;
      // Always discovered afresh: a login is where a changed authorization server must be seen.
      const discovered = await deps.discover(req.serverUrl, {
        wwwAuthenticate: req.wwwAuthenticate,
        scope: req.scope,
        refresh: true,
      });
      // Refused before any client is registered: a server without the grant needs none.
      deviceAuthorizationEndpoint(discovered);
      const client = await deps.resolveClient(discovered, {
        force: req.force,
        clientId: req.clientId,
        clientSecret: req.clientSecret,
        clientMetadataUrl: req.clientMetadataUrl,
        grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
        redirectUris: [],
      });
      const tokenEndpoint = discovered.as.token_endpoint;
      if (!tokenEndpoint) {
        throw new McptestError(
          'discovery_failed',
          `the metadata of ${discovered.issuer} names no token_endpoint`,
          {
            hint: `curl -s ${discovered.issuer}/.well-known/oauth-authorization-server`,
          },
        );
      }
      const scope = req.scope ?? discovered.scope ?? undefined;
      const tokenClient: TokenClient = {
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        authMethod: client.authMethod,
      };
      const device: DeviceAuthorization = await processDeviceAuthorizationResponse(
        discovered,
        tokenClient,
        await deviceAuthorizationRequest(discovered, tokenClient, { scope }, ctx.oauth),
      );
      const now = ctx.clock.now();
      const state: DevicePollState = {
        serverUrl: discovered.serverUrl,
        deviceCode: device.deviceCode,
        // At least a second between polls, whatever a broken IdP says (0.001 would be a storm).
        intervalSeconds: Math.max(1, device.interval ?? DEFAULT_INTERVAL_SECONDS),
        expiresAt: now + device.expiresIn * 1000,
        issuer: discovered.issuer,
        tokenEndpoint,
        revocationEndpoint: discovered.as.revocation_endpoint ?? null,
        clientId: client.clientId,
        clientSecret: client.clientSecret ?? null,
        authMethod: client.authMethod ?? null,
        resource: discovered.resource,
      };
      const info = registry.create({
        kind: 'device',
        serverUrl: discovered.serverUrl,
        scope: scope ?? null,
        expiresAt: state.expiresAt,
        info: {
          verificationUri: device.verificationUri,
          verificationUriComplete: device.verificationUriComplete,
          userCode: device.userCode,
          intervalSeconds: state.intervalSeconds,
        },
        data: { ...state },
      });
      arm(info.id, state, registry);
      return info;
    },

    resume(record: LoginRecord, registry: LoginRegistry): void {
      const state = record.data as unknown as DevicePollState;
      if (typeof state.deviceCode !== 'string' || typeof state.tokenEndpoint !== 'string') {
        registry.fail(
          record.info.id,
          new McptestError('login_expired', `the device login for ${record.info.serverUrl} lost its state`, {
            hint: retryHint(record.info.serverUrl),
          }),
        );
        return;
      }
      arm(record.info.id, { ...state }, registry);
    },

    stop(id: string): void {
      pollers.get(id)?.abort();
      pollers.delete(id);
    },
  };
}
