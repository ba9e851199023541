/**
 * Browser login: OAuth 2.1 authorization code with PKCE S256 and a loopback redirect (RFC 8252).
 * The daemon discovers the authorization server, resolves the client, builds the authorization
 * URL (`state`, `resource`, `scope`), listens on 127.0.0.1 for exactly one valid callback, checks
 * `state` and `iss`, redeems the code (with `resource`, daemon/oauth/code-exchange.ts) and stores
 * the credential. A human on
 * another machine can paste the final redirected URL instead (`completeBrowserLogin`).
 *
 * Step-up: a start request carrying the WWW-Authenticate of a 403 `insufficient_scope` asks for
 * the union of the stored credential's scope and the scope the server requires, as a fresh
 * authorization (never a refresh with the old scope).
 */
import * as oauth from 'oauth4webapi';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import type { LoginInfo } from '../../shared/ipc-schemas.js';
import {
  DEFAULT_CALLBACK_PATH,
  type LoopbackRedirect,
  parseLoopbackRedirectUri,
  parseRedirectPort,
} from '../../shared/loopback-redirect.js';
import { bearerChallengeParams } from '../../shared/www-authenticate.js';
import type { DaemonContext } from '../context.js';
import {
  authorizationCodeRequest,
  type CodeLogin,
  codeTokenEndpoint,
  processAuthorizationCodeResponse,
  validateAuthorizationResponse,
} from '../oauth/code-exchange.js';
import { type DiscoveredAuth, discoverAuthorization } from '../oauth/discovery.js';
import { LOOPBACK_REDIRECT_URI, type ResolvedClient, resolveClient } from '../oauth/registration.js';
import type { LoginFlow, LoginRecord, LoginRegistry, ParsedLoginStartRequest } from './login-registry.js';
import { type CallbackOutcome, type LoopbackListener, startLoopbackListener } from './loopback-listener.js';

/** How long an authorization request stays usable. */
export const BROWSER_LOGIN_TTL_MS = 10 * 60 * 1000;

/** A browser login's secret state: kept in the pending login's data, never logged or returned. */
interface BrowserLoginData extends CodeLogin {
  scope: string | null;
}

/** Space-separated union of scope strings, order kept, duplicates dropped. */
export function unionScopes(...scopes: Array<string | null | undefined>): string | undefined {
  const out: string[] = [];
  for (const s of scopes)
    for (const part of (s ?? '').split(/\s+/)) if (part && !out.includes(part)) out.push(part);
  return out.length ? out.join(' ') : undefined;
}

/** Refuses an AS that does not advertise PKCE S256. @see MCP authorization spec §"Authorization Code Protection" */
export function assertPkceS256(discovered: DiscoveredAuth): void {
  const methods = discovered.as.code_challenge_methods_supported;
  if (!Array.isArray(methods) || !methods.includes('S256')) {
    throw new McptestError(
      'pkce_unsupported',
      `the authorization server ${discovered.issuer} does not advertise PKCE S256 (code_challenge_methods_supported: ${JSON.stringify(methods ?? null)}); mcptest refuses authorization-code logins without it`,
      {
        hint: `ask the operator to enable PKCE S256, or use the device flow if offered: mcptest login --device --url ${discovered.serverUrl}`,
        details: { issuer: discovered.issuer, codeChallengeMethods: methods ?? null },
      },
    );
  }
}

/**
 * The scope of a browser login: on step-up (a 403 `insufficient_scope` challenge), the union of
 * the stored credential's scope, the required scope and any scope asked for.
 */
function stepUpScope(
  ctx: DaemonContext,
  req: ParsedLoginStartRequest,
  serverUrl: string,
): string | undefined {
  const challenge = bearerChallengeParams(req.wwwAuthenticate);
  if (challenge.error !== 'insufficient_scope') return req.scope;
  const current = ctx.store.getCredential(serverUrl)?.scope;
  return unionScopes(current, challenge.scope, req.scope);
}

/**
 * Builds the authorization request URL.
 * @see RFC 6749 §4.1.1, RFC 7636 §4.3 (S256), RFC 8707 §2 (`resource`)
 */
export function authorizationUrl(
  as: oauth.AuthorizationServer,
  params: {
    clientId: string;
    redirectUri: string;
    codeChallenge: string;
    state: string;
    resource: string;
    scope: string | null;
  },
): string {
  if (typeof as.authorization_endpoint !== 'string') {
    throw new McptestError(
      'discovery_failed',
      `authorization server ${as.issuer} names no authorization_endpoint`,
      {
        hint: `look at its metadata: curl -s ${as.issuer}/.well-known/oauth-authorization-server`,
      },
    );
  }
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  url.searchParams.set('code_challenge', params.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', params.state);
  url.searchParams.set('resource', params.resource);
  if (params.scope) url.searchParams.set('scope', params.scope);
  // OpenID Connect §11: an IdP honours offline_access (and so issues a refresh token) only when
  // the request asks for consent; without it the login would lapse with its first access token.
  if (params.scope?.split(' ').includes('offline_access')) url.searchParams.set('prompt', 'consent');
  return url.href;
}

/**
 * Checks a callback's parameters, redeems the code (daemon/oauth/code-exchange.ts) and stores the
 * credential. Throws `state_mismatch` for a foreign state (the caller decides whether to ignore
 * it), `issuer_mismatch` for a wrong `iss`, `login_denied` for an `error=access_denied` answer.
 * @see RFC 6749 §4.1.2, RFC 9207 (iss), RFC 7636 §4.5, RFC 8707 §2.2
 */
export async function redeemCallback(
  ctx: DaemonContext,
  data: BrowserLoginData,
  params: URLSearchParams,
): Promise<void> {
  const validated = validateAuthorizationResponse(data, params);
  const tokenEndpoint = codeTokenEndpoint(data);
  const response = await authorizationCodeRequest(data, validated, ctx.oauth);
  const tokens = await processAuthorizationCodeResponse(data, response, ctx.oauth);
  ctx.tokens.storeLogin({
    key: data.serverUrl,
    serverUrl: data.serverUrl,
    source: 'browser',
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: tokens.tokenType,
    scope: tokens.scope ?? data.scope,
    expiresAt: tokens.expiresAt,
    issuer: data.issuer,
    tokenEndpoint,
    revocationEndpoint: typeof data.as.revocation_endpoint === 'string' ? data.as.revocation_endpoint : null,
    clientId: data.clientId,
    clientSecret: data.clientSecret,
    authMethod: data.authMethod,
    resource: data.resource,
  });
}

/**
 * The browser login flow for the login registry: `start` (POST /v1/logins with kind browser),
 * `callback` (paste-back), `resume` (re-binds the redirect port after a daemon restart), `stop`.
 */
export function browserLoginFlow(ctx: DaemonContext): LoginFlow {
  const listeners = new Map<string, LoopbackListener>();
  /** Logins whose code is being redeemed: a second callback must not redeem again. */
  const redeeming = new Set<string>();
  const deps = { ...ctx.oauth, store: ctx.store };

  /** One callback (from the listener or a paste-back) for login `id`. */
  async function handle(
    id: string,
    params: URLSearchParams,
    registry: LoginRegistry,
  ): Promise<CallbackOutcome> {
    const record = registry.record(id);
    if (record?.info.status !== 'pending' || redeeming.has(id)) {
      return { result: 'failed', message: 'This login is no longer waiting for a callback.' };
    }
    const data = record.data as unknown as BrowserLoginData;
    if (params.get('state') !== data.state) {
      ctx.logger.warn({ loginId: id }, 'login callback with the wrong state ignored');
      return { result: 'ignored', message: 'The callback carried the wrong state (not the latest login).' };
    }
    redeeming.add(id);
    try {
      await redeemCallback(ctx, data, params);
      registry.complete(id);
      return { result: 'complete' };
    } catch (err) {
      const e = toMcptestError(err);
      registry.fail(id, e);
      return { result: 'failed', message: e.message, hint: e.hint };
    } finally {
      redeeming.delete(id);
    }
  }

  async function listen(
    redirect: LoopbackRedirect,
    getId: () => string | undefined,
    registry: LoginRegistry,
  ): Promise<LoopbackListener> {
    return startLoopbackListener({
      port: redirect.port,
      path: redirect.path,
      onCallback: async (params) => {
        const id = getId();
        if (!id) return { result: 'ignored', message: 'The login is not ready yet.' };
        return handle(id, params, registry);
      },
    });
  }

  /**
   * Cancels the pending browser logins for `serverUrl` and frees their listeners: a login left
   * pending (a `--timeout`, a killed CLI) would otherwise keep the registered redirect port, and
   * the next login would listen on a port an exact-matching IdP refuses.
   */
  async function replacePending(serverUrl: string, registry: LoginRegistry): Promise<void> {
    for (const login of registry.list()) {
      if (login.kind !== 'browser' || login.status !== 'pending' || login.serverUrl !== serverUrl) continue;
      const listener = listeners.get(login.id);
      registry.cancel(login.id, `the browser login ${login.id} for ${serverUrl} was replaced by a newer one`);
      await listener?.close();
      ctx.logger.info({ loginId: login.id, serverUrl }, 'pending browser login replaced by a newer one');
    }
  }

  /** Listens on a port the login must use, or says which program holds it. */
  async function listenOn(
    redirect: LoopbackRedirect,
    why: 'asked' | 'registered',
    req: ParsedLoginStartRequest,
    registry: LoginRegistry,
    getId: () => string | undefined,
  ): Promise<LoopbackListener> {
    try {
      return await listen(redirect, getId, registry);
    } catch (err) {
      const code = (toMcptestError(err).cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
      const port = redirect.port;
      const which =
        why === 'asked'
          ? `the redirect port ${port} asked for`
          : `the redirect port ${port} registered for ${req.serverUrl}'s client`;
      throw new McptestError(
        'redirect_port_taken',
        `cannot listen on 127.0.0.1:${port} for the login redirect (${code}): ${which} is taken by another program (find it with: fuser -n tcp ${port}, or ss -ltnp 'sport = :${port}'); an IdP that matches redirect URIs exactly would refuse any other port`,
        {
          hint:
            why === 'asked'
              ? `stop that program, or pick another port: mcptest login ${req.serverUrl} --redirect-port <port>`
              : `stop that program, or register a client on a free port: mcptest login ${req.serverUrl} --force`,
          details: { port, errno: code },
          cause: err,
        },
      );
    }
  }

  /**
   * The loopback listener for a new login: on `--redirect-uri`/`--redirect-port` when given; else
   * on the redirect URI the issuer's cached client registered, so an IdP that compares redirect
   * URIs exactly still accepts it; else on any free port.
   */
  async function listenForRedirect(
    req: ParsedLoginStartRequest,
    issuer: string,
    registry: LoginRegistry,
    getId: () => string | undefined,
  ): Promise<LoopbackListener> {
    const asked = askedRedirect(req);
    await replacePending(req.serverUrl, registry);
    if (asked) return listenOn(asked, 'asked', req, registry, getId);
    const cached = req.force || req.clientId ? undefined : ctx.store.getClient(req.serverUrl, issuer);
    const registered = cached ? registeredRedirect(cached) : undefined;
    if (registered) return listenOn(registered, 'registered', req, registry, getId);
    return listen({ port: 0, path: DEFAULT_CALLBACK_PATH }, getId, registry);
  }

  return {
    kind: 'browser',

    async start(req: ParsedLoginStartRequest, registry: LoginRegistry): Promise<LoginInfo> {
      const serverUrl = req.serverUrl;
      // Always discovered afresh: a login is where a changed authorization server must be seen
      // (MCP 2026-07-28, "Authorization Server Binding"); a cached result could name the old one.
      const discovered = await discoverAuthorization(deps, serverUrl, {
        wwwAuthenticate: req.wwwAuthenticate,
        scope: stepUpScope(ctx, req, serverUrl),
        refresh: true,
      });
      assertPkceS256(discovered);
      let id: string | undefined;
      const listener = await listenForRedirect(req, discovered.issuer, registry, () => id);
      try {
        // Registered with both redirect URIs: the port-less one for IdPs that let a loopback
        // redirect use any port (RFC 8252 §7.3), the exact one for IdPs that compare whole URIs,
        // which later logins meet by listening on the same port again.
        const client: ResolvedClient = await resolveClient(deps, discovered, {
          force: req.force,
          clientId: req.clientId,
          clientSecret: req.clientSecret,
          clientMetadataUrl: req.clientMetadataUrl,
          grantTypes: ['authorization_code', 'refresh_token'],
          redirectUris: [LOOPBACK_REDIRECT_URI, listener.redirectUri],
        });
        const codeVerifier = oauth.generateRandomCodeVerifier();
        const state = oauth.generateRandomState();
        const scope = discovered.scope ?? null;
        const url = authorizationUrl(discovered.as, {
          clientId: client.clientId,
          redirectUri: listener.redirectUri,
          codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
          state,
          resource: discovered.resource,
          scope,
        });
        const data: BrowserLoginData = {
          serverUrl,
          state,
          codeVerifier,
          redirectUri: listener.redirectUri,
          resource: discovered.resource,
          scope,
          issuer: discovered.issuer,
          as: discovered.as,
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          authMethod: client.authMethod,
        };
        const info = registry.create({
          kind: 'browser',
          serverUrl,
          scope,
          expiresAt: ctx.clock.now() + BROWSER_LOGIN_TTL_MS,
          info: { authorizationUrl: url, redirectUri: listener.redirectUri },
          data: data as unknown as Record<string, unknown>,
        });
        id = info.id;
        listeners.set(info.id, listener);
        ctx.logger.info(
          {
            loginId: info.id,
            serverUrl,
            issuer: discovered.issuer,
            clientMethod: client.method,
            port: listener.port,
          },
          'browser login waiting for the redirect',
        );
        return info;
      } catch (err) {
        await listener.close();
        throw err;
      }
    },

    resume(record: LoginRecord, registry: LoginRegistry): void {
      // The authorization URL names the redirect port: listen on it again if it is free.
      const data = record.data as unknown as BrowserLoginData;
      const uri = new URL(data.redirectUri);
      const id = record.info.id;
      listen({ port: Number(uri.port), path: uri.pathname }, () => id, registry).then(
        (listener) => {
          if (registry.record(id)?.info.status === 'pending') listeners.set(id, listener);
          else void listener.close();
        },
        (err) =>
          ctx.logger.warn(
            { loginId: id, err: (err as Error).message },
            'redirect port taken after restart; the login can still be completed by paste-back',
          ),
      );
    },

    async stop(id: string): Promise<void> {
      const listener = listeners.get(id);
      listeners.delete(id);
      await listener?.close();
    },

    async callback(record: LoginRecord, url: string, registry: LoginRegistry): Promise<void> {
      await completeBrowserLogin(url, record, (params) => handle(record.info.id, params, registry));
    },
  };
}

/**
 * Completes a browser login from the full URL the browser was redirected to (paste-back, for a
 * browser on another machine). A wrong `state` is refused with `state_mismatch` and the login
 * stays pending; other failures end the login, which then carries the error.
 */
export async function completeBrowserLogin(
  callbackUrl: string,
  record: LoginRecord,
  handle: (params: URLSearchParams) => Promise<CallbackOutcome>,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(callbackUrl.trim());
  } catch {
    throw new McptestError('invalid_request', 'the pasted text is not a URL', {
      hint: 'copy the whole address from the browser bar, starting with http://127.0.0.1',
    });
  }
  const outcome = await handle(url.searchParams);
  if (outcome.result === 'ignored') {
    throw new McptestError(
      'state_mismatch',
      `the pasted URL belongs to another login (its state does not match login ${record.info.id})`,
      { hint: `paste the URL of the latest login, or start again: mcptest login ${record.info.serverUrl}` },
    );
  }
  // 'failed' ended the login: the registry holds the error, and the caller returns the login.
}

/** The first loopback redirect URI with an explicit port a client registered. */
function registeredRedirect(client: { metadata: Record<string, unknown> }): LoopbackRedirect | undefined {
  const uris = client.metadata.redirect_uris;
  if (!Array.isArray(uris)) return undefined;
  for (const uri of uris) {
    const url = typeof uri === 'string' ? URL.parse(uri) : null;
    if (url?.protocol === 'http:' && url.hostname === '127.0.0.1' && url.port) {
      return { port: Number(url.port), path: url.pathname };
    }
  }
  return undefined;
}

/** The redirect `--redirect-uri` or `--redirect-port` asked for, checked (they must agree). */
function askedRedirect(req: ParsedLoginStartRequest): LoopbackRedirect | undefined {
  const port = req.redirectPort ? parseRedirectPort(req.redirectPort) : undefined;
  if (req.redirectUri === undefined) {
    return port === undefined ? undefined : { port, path: DEFAULT_CALLBACK_PATH };
  }
  const asked = parseLoopbackRedirectUri(req.redirectUri);
  if (port !== undefined && port !== asked.port) {
    throw new McptestError(
      'invalid_request',
      `--redirect-port ${port} and --redirect-uri ${req.redirectUri} name different ports`,
      { hint: `mcptest login ${req.serverUrl} --redirect-uri ${req.redirectUri}` },
    );
  }
  return asked;
}
