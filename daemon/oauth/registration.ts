/**
 * Client identity for logins, in the order of the MCP authorization spec (2025-11-25, 2026-07-28):
 * a pre-registered client, else a Client ID Metadata Document (whenever the AS supports it, even
 * with a DCR client cached: DCR is deprecated since 2026-07-28), else Dynamic Client Registration
 * (RFC 7591, `application_type: native`). Registrations are kept in the store's `clients` table
 * keyed by the canonical server URL and the issuer of the authorization server that made them, and
 * only ever reused with that issuer: a server whose authorization server changes registers anew
 * at the new one. A client registers only the grant types and redirect URIs of the flow being run,
 * and is registered again (with the union) when a later flow of the same issuer needs more.
 * `force` registers afresh.
 */
import * as oauth from 'oauth4webapi';
import { McptestError } from '../../shared/errors.js';
import type { TokenStore } from '../store/token-store.js';
import { BODY_LIMITS } from './bounded-body.js';
import type { DiscoveredAuth, DiscoveryDeps } from './discovery.js';
import { requestOptions } from './request-options.js';

/** The device authorization grant type. @see RFC 8628 §3.4 */
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** The loopback redirect URI registered for browser logins; any port is allowed at login. @see RFC 8252 §7.3 */
export const LOOPBACK_REDIRECT_URI = 'http://127.0.0.1/callback';

/** The client a login uses. */
export interface ResolvedClient {
  clientId: string;
  clientSecret: string | null;
  /** `token_endpoint_auth_method`: none, client_secret_basic or client_secret_post. */
  authMethod: string;
  method: 'preregistered' | 'cimd' | 'dcr';
  grantTypes: string[];
  redirectUris: string[];
}

export interface RegistrationDeps extends DiscoveryDeps {
  store: TokenStore;
}

export interface ResolveClientOptions {
  /** Register afresh even when a client is cached for this server. */
  force?: boolean;
  /** A pre-registered client (wins over everything else). */
  clientId?: string;
  clientSecret?: string;
  /** Client ID Metadata Document URL, used when the AS advertises support. */
  clientMetadataUrl?: string;
  /** Grant types the login needs, e.g. ['authorization_code', 'refresh_token']. */
  grantTypes: string[];
  /** Redirect URIs to register; [] for device-only clients. */
  redirectUris: string[];
}

function supportedAuthMethods(as: oauth.AuthorizationServer): string[] | undefined {
  const list = as.token_endpoint_auth_methods_supported;
  return Array.isArray(list) ? list : undefined;
}

/** The token endpoint auth method for a client with or without a secret, as the AS allows. */
export function chooseAuthMethod(as: oauth.AuthorizationServer, hasSecret: boolean): string {
  const supported = supportedAuthMethods(as);
  if (!hasSecret) return 'none';
  if (!supported || supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

/** What to ask for at registration: a public client when the AS allows one. */
function registrationAuthMethod(as: oauth.AuthorizationServer): string {
  const supported = supportedAuthMethods(as);
  if (!supported || supported.includes('none')) return 'none';
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'none';
}

/**
 * Grant types to register: those of the flow being run, with `refresh_token` for an interactive
 * grant, and nothing more. An IdP may refuse a grant the flow never uses (some refuse the device
 * grant in registrations), so a browser login must not ask for it.
 * @see RFC 7591 §2 (`grant_types`)
 */
export function registrationGrantTypes(wanted: string[]): string[] {
  const grants = new Set(wanted);
  if (grants.has('authorization_code') || grants.has(DEVICE_GRANT_TYPE)) grants.add('refresh_token');
  return [...grants];
}

function covers(registered: unknown, wanted: string[]): boolean {
  if (!Array.isArray(registered)) return false;
  return wanted.every((g) => registered.includes(g));
}

/** `first` then the members of `rest` not in it, order kept. */
function union(first: string[], rest: unknown): string[] {
  const out = [...first];
  if (Array.isArray(rest)) for (const v of rest) if (typeof v === 'string' && !out.includes(v)) out.push(v);
  return out;
}

/**
 * Resolves the client for a login to a discovered server.
 *
 * @see MCP authorization spec 2025-11-25 §"Client Registration Approaches"
 * @see MCP authorization spec 2026-07-28 §"Authorization Server Binding"
 * @see RFC 7591 §3 (DCR), RFC 8252 §8.4 (native public clients), draft-ietf-oauth-client-id-metadata-document
 */
export async function resolveClient(
  deps: RegistrationDeps,
  discovered: DiscoveredAuth,
  options: ResolveClientOptions,
): Promise<ResolvedClient> {
  const { as, serverUrl } = discovered;

  if (options.clientId) {
    refuseMovedClient(deps, discovered, options);
    return {
      clientId: options.clientId,
      clientSecret: options.clientSecret ?? null,
      authMethod: chooseAuthMethod(as, Boolean(options.clientSecret)),
      method: 'preregistered',
      grantTypes: options.grantTypes,
      redirectUris: options.redirectUris,
    };
  }

  // A Client ID Metadata Document, when the AS takes one, wins over any DCR client: DCR is
  // deprecated since MCP 2026-07-28 and kept only for servers without CIMD.
  if (options.clientMetadataUrl && as.client_id_metadata_document_supported === true) {
    const resolved: ResolvedClient = {
      clientId: options.clientMetadataUrl,
      clientSecret: null,
      authMethod: 'none',
      method: 'cimd',
      grantTypes: options.grantTypes,
      redirectUris: options.redirectUris,
    };
    deps.store.putClient({
      serverUrl,
      issuer: discovered.issuer,
      clientId: resolved.clientId,
      clientSecret: null,
      method: 'cimd',
      metadata: {
        grant_types: resolved.grantTypes,
        redirect_uris: resolved.redirectUris,
        token_endpoint_auth_method: 'none',
      },
      createdAt: deps.now(),
    });
    return resolved;
  }

  // Only a registration this very issuer made is ever reused (MCP 2026-07-28, "Authorization
  // Server Binding"): a server whose AS changed gets a registration of its own at the new one.
  const previous = options.force ? undefined : deps.store.getClient(serverUrl, discovered.issuer);
  const cimdStillTaken = previous?.method !== 'cimd' || as.client_id_metadata_document_supported === true;
  if (
    previous &&
    cimdStillTaken &&
    covers(previous.metadata.grant_types, options.grantTypes) &&
    covers(previous.metadata.redirect_uris, options.redirectUris)
  ) {
    return {
      clientId: previous.clientId,
      clientSecret: previous.clientSecret,
      authMethod:
        typeof previous.metadata.token_endpoint_auth_method === 'string'
          ? previous.metadata.token_endpoint_auth_method
          : chooseAuthMethod(as, previous.clientSecret !== null),
      method: previous.method,
      grantTypes: previous.metadata.grant_types as string[],
      redirectUris: Array.isArray(previous.metadata.redirect_uris)
        ? (previous.metadata.redirect_uris as string[])
        : [],
    };
  }

  // A client this issuer registered for another flow (a device login after a browser one, or a
  // redirect on another port): register again with what both need, so that one client keeps
  // serving both flows. --force starts from the flow's own needs alone.
  if (previous?.method === 'dcr') {
    return registerClient(
      deps,
      discovered,
      {
        ...options,
        grantTypes: union(options.grantTypes, previous.metadata.grant_types),
        redirectUris: union(options.redirectUris, previous.metadata.redirect_uris),
      },
      options.grantTypes,
    );
  }
  return registerClient(deps, discovered, options);
}

/**
 * A pre-registered client belongs to the authorization server that registered it: when the
 * server's login with this very client came from another issuer than the one the server names
 * now, the login is refused rather than the client id sent to the new one (`--force` when the
 * same id is registered there too).
 * @see MCP authorization spec 2026-07-28 §"Authorization Server Binding"
 */
function refuseMovedClient(
  deps: RegistrationDeps,
  discovered: DiscoveredAuth,
  options: ResolveClientOptions,
): void {
  if (options.force) return;
  const previous = deps.store.getCredential(discovered.serverUrl);
  if (!previous?.issuer || previous.clientId !== options.clientId || previous.issuer === discovered.issuer)
    return;
  throw new McptestError(
    'issuer_mismatch',
    `${discovered.serverUrl} now names the authorization server ${discovered.issuer}, but client ${options.clientId} was used with ${previous.issuer}; a pre-registered client belongs to the authorization server that registered it, so it is not sent to ${discovered.issuer}`,
    {
      hint: `register a client at ${discovered.issuer} and log in with it: mcptest login ${discovered.serverUrl} --client-id <id> (or add --force if ${options.clientId} is registered there too)`,
      details: { serverUrl: discovered.serverUrl, issuer: previous.issuer, currentIssuer: discovered.issuer },
    },
  );
}

/** Registers a client (RFC 7591); `flowGrants` are the grants of the flow being run, for the hint. */
async function registerClient(
  deps: RegistrationDeps,
  discovered: DiscoveredAuth,
  options: ResolveClientOptions,
  flowGrants: string[] = options.grantTypes,
): Promise<ResolvedClient> {
  const { as, serverUrl } = discovered;
  if (typeof as.registration_endpoint !== 'string') {
    throw new McptestError(
      'registration_failed',
      `${as.issuer} offers no dynamic client registration and no client id was given`,
      {
        hint: `register a client with the authorization server, then: mcptest login ${serverUrl} --client-id <id>`,
        details: { issuer: as.issuer },
      },
    );
  }
  const grantTypes = registrationGrantTypes(options.grantTypes);
  const metadata: Partial<oauth.OmitSymbolProperties<oauth.Client>> = {
    client_name: 'mcptest',
    application_type: 'native',
    redirect_uris: options.redirectUris,
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: registrationAuthMethod(as),
  };
  let registered: Record<string, unknown>;
  try {
    const res = await oauth.dynamicClientRegistrationRequest(as, metadata, {
      ...requestOptions(deps, as.registration_endpoint, {
        limit: BODY_LIMITS.registration,
        what: 'registration answer',
        endpoint: 'authorization server endpoint',
      }),
    });
    registered = await parseRegistrationResponse(res);
  } catch (err) {
    if (err instanceof McptestError && err.code === 'response_too_large') throw err;
    const detail =
      err instanceof oauth.ResponseBodyError
        ? `HTTP ${err.status} ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`
        : err instanceof Error
          ? err.message
          : String(err);
    const device = flowGrants.includes(DEVICE_GRANT_TYPE);
    throw new McptestError(
      'registration_failed',
      `client registration at ${as.registration_endpoint} failed: ${detail}${device ? ` (it asked for the grant types ${grantTypes.join(', ')}; some IdPs refuse the device grant in registrations)` : ''}`,
      {
        hint: device
          ? `use a client registered for the device grant: mcptest login --device --url ${serverUrl} --client-id <id>`
          : `use a pre-registered client instead: mcptest login ${serverUrl} --client-id <id>`,
        details: { registrationEndpoint: as.registration_endpoint },
        cause: err,
      },
    );
  }
  const clientId = String(registered.client_id);
  const clientSecret = typeof registered.client_secret === 'string' ? registered.client_secret : null;
  const authMethod =
    typeof registered.token_endpoint_auth_method === 'string'
      ? registered.token_endpoint_auth_method
      : chooseAuthMethod(as, clientSecret !== null);
  const registeredGrants = Array.isArray(registered.grant_types)
    ? (registered.grant_types as string[])
    : grantTypes;
  const redirectUris = Array.isArray(registered.redirect_uris)
    ? (registered.redirect_uris as string[])
    : options.redirectUris;
  const { client_secret: _secret, registration_access_token: _rat, ...publicMetadata } = registered;
  deps.store.putClient({
    serverUrl,
    issuer: discovered.issuer,
    clientId,
    clientSecret,
    method: 'dcr',
    metadata: {
      ...publicMetadata,
      grant_types: registeredGrants,
      redirect_uris: redirectUris,
      token_endpoint_auth_method: authMethod,
    },
    createdAt: deps.now(),
  });
  return {
    clientId,
    clientSecret,
    authMethod,
    method: 'dcr',
    grantTypes: registeredGrants,
    redirectUris,
  };
}

/**
 * Reads a registration answer. Looser than oauth4webapi's parser on optional fields (some servers
 * send `client_secret_expires_at: null`), strict on what matters: a success status, a JSON object,
 * a string `client_id`. @see RFC 7591 §3.2.1
 */
async function parseRegistrationResponse(res: Response): Promise<Record<string, unknown>> {
  if (res.status !== 201 && res.status !== 200) {
    // Let oauth4webapi turn an OAuth error body into a ResponseBodyError.
    await oauth.processDynamicClientRegistrationResponse(res);
  }
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || typeof body.client_id !== 'string' || !body.client_id) {
    throw new Error(`the registration answer (HTTP ${res.status}) has no client_id`);
  }
  return body;
}

/**
 * The error for an AS that no longer knows our cached client (`invalid_client`): the
 * registration is stale, and `--force` registers a new one.
 */
export function staleClientError(serverUrl: string, clientId: string, cause: unknown): McptestError {
  return new McptestError(
    'invalid_client',
    `the authorization server rejected client ${clientId} registered for ${serverUrl}; the registration is likely stale`,
    { hint: `mcptest login ${serverUrl} --force`, details: { serverUrl, clientId }, cause },
  );
}
