/**
 * Discovery of a protected MCP server's authorization server, per the MCP authorization spec
 * (2025-11-25): RFC 9728 protected-resource metadata (PRM), then RFC 8414 / OpenID Connect
 * discovery of the authorization server (AS) in the spec's order, with the `resource` and
 * `issuer` checks the spec asks for. Redirects are never followed; every non-loopback URL must be
 * HTTPS; every URL a document names is checked by the peer URL policy (peer-url-policy.ts) before
 * it is fetched; requests carry no credentials and no body; bodies are read within a size limit.
 * Results are cached in the store (`discovery` table) keyed by the canonical server URL.
 */
import * as oauth from 'oauth4webapi';
import { McptestError } from '../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import { bearerChallengeParams } from '../../shared/www-authenticate.js';
import type { TokenStore } from '../store/token-store.js';
import { BODY_LIMITS, readBoundedBody } from './bounded-body.js';
import { checkPeerUrl, type Lookup, serverZone, systemLookup, type UrlSource } from './peer-url-policy.js';

/** What discovery found for one server. Everything a login or token request needs. */
export interface DiscoveredAuth {
  /** The canonical server URL (the store key). */
  serverUrl: string;
  /** The RFC 8707 `resource` to send: PRM `resource` when present, else the server URL. */
  resource: string;
  prmUrl: string | null;
  prm: Record<string, unknown> | null;
  issuer: string;
  /** The AS metadata, its `issuer` checked against the AS URL it was discovered from. */
  as: oauth.AuthorizationServer;
  /**
   * Scopes to request: the caller's, else WWW-Authenticate `scope=`, else PRM `scopes_supported`,
   * else undefined (send no scope). `offline_access` is added only when the AS advertises it.
   */
  scope: string | undefined;
}

export interface DiscoveryDeps {
  fetch: typeof fetch;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  store?: TokenStore;
  now: () => number;
  /** Resolves host names for the peer URL policy; the system resolver when absent. */
  lookup?: Lookup;
}

export interface DiscoveryOptions {
  /** A WWW-Authenticate header the caller already got from the server (401 or 403). */
  wwwAuthenticate?: string;
  /** Scopes the user asked for; wins over every discovered source. */
  scope?: string;
  /** Bypass the cached result and discover again. */
  refresh?: boolean;
}

/** The stateless revision, for the probe a server without a handshake answers. */
const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** How long a cached discovery result is trusted. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** 2: results are checked by the peer URL policy; older ones are discovered again. */
const CACHE_VERSION = 2;

function timeoutSignal(deps: DiscoveryDeps): AbortSignal {
  return AbortSignal.timeout(deps.timeoutMs);
}

function unreachable(url: string, err: unknown): McptestError {
  const e = err as Error & { cause?: { code?: string } };
  const timeout = e?.name === 'TimeoutError' || e?.name === 'AbortError';
  const reason = timeout ? 'timed out' : (e?.cause?.code ?? e?.message ?? String(err));
  return new McptestError('idp_unavailable', `discovery request to ${url} failed (${reason})`, {
    hint: `check that the server is up: curl -sI ${url}`,
    details: { transient: true },
    cause: err,
  });
}

/**
 * GETs a metadata document without following redirects, without credentials (no Authorization,
 * no cookies) and without a body.
 */
async function getJson(deps: DiscoveryDeps, url: string): Promise<Response> {
  assertSecureUrl(url, 'metadata URL');
  try {
    return await deps.fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'mcp-protocol-version': '2025-11-25' },
      credentials: 'omit',
      redirect: 'manual',
      signal: timeoutSignal(deps),
    });
  } catch (err) {
    throw unreachable(url, err);
  }
}

async function readJsonObject(res: Response, url: string): Promise<Record<string, unknown>> {
  let bytes: Uint8Array;
  try {
    bytes = await readBoundedBody(res, BODY_LIMITS.metadata, 'metadata document', url);
  } catch (err) {
    if (err instanceof McptestError) throw err;
    throw unreachable(url, err);
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new McptestError('discovery_failed', `${url} answered HTTP ${res.status} but not with JSON`, {
      hint: `look at it: curl -s ${url}`,
      cause: err,
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new McptestError('discovery_failed', `${url} did not answer with a JSON object`, {
      hint: `look at it: curl -s ${url}`,
    });
  }
  return body as Record<string, unknown>;
}

/** An unauthenticated JSON-RPC POST to the server: its status and WWW-Authenticate header. */
async function probePost(
  deps: DiscoveryDeps,
  serverUrl: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ header: string | undefined; status: number }> {
  let res: Response;
  try {
    res = await deps.fetch(serverUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: timeoutSignal(deps),
    });
  } catch (err) {
    throw new McptestError('connection_failed', `could not reach ${serverUrl} to discover its auth`, {
      hint: `mcptest doctor --url ${serverUrl}`,
      cause: err,
    });
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status !== 401 && res.status !== 403) return { header: undefined, status: res.status };
  return { header: res.headers.get('www-authenticate') ?? undefined, status: res.status };
}

/**
 * Probes the server unauthenticated to get its 401 and the WWW-Authenticate header (with the
 * `scope` the spec tells a client to ask for first): an MCP `initialize` POST, and when that is
 * served without a token (some servers let the handshake through and guard every other request,
 * and a 2026-07-28 server has no handshake), a `tools/list` in the 2026-07-28 form, which a
 * protected server of either era refuses. `header` is undefined when neither was refused;
 * `status` is the answer to `initialize`, unless `tools/list` was refused.
 * @see MCP authorization spec 2025-11-25 §"Protected Resource Metadata Discovery Requirements"
 * @see MCP authorization spec 2026-07-28 §"Scope Selection Strategy"
 */
async function probeChallenge(
  deps: DiscoveryDeps,
  serverUrl: string,
): Promise<{ header: string | undefined; status: number }> {
  const handshake = await probePost(
    deps,
    serverUrl,
    { 'mcp-protocol-version': '2025-11-25' },
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'mcptest', version: '0' },
      },
    },
  );
  if (handshake.header !== undefined || handshake.status === 401 || handshake.status === 403)
    return handshake;
  const request = await probePost(
    deps,
    serverUrl,
    { 'mcp-protocol-version': MODERN_PROTOCOL_VERSION, 'mcp-method': 'tools/list' },
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'mcptest', version: '0' },
        },
      },
    },
  );
  return request.header !== undefined ? request : handshake;
}

/** RFC 9728 §3.1: the well-known URL inserted between host and path, then at the root. */
export function protectedResourceMetadataUrls(serverUrl: string): string[] {
  const u = new URL(serverUrl);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  const urls = [];
  if (path) urls.push(`${u.origin}/.well-known/oauth-protected-resource${path}`);
  urls.push(`${u.origin}/.well-known/oauth-protected-resource`);
  return urls;
}

/**
 * RFC 8414 §3.1 and OpenID Connect Discovery, in the order of the MCP spec: for an issuer with a
 * path, path-inserted OAuth, path-inserted OpenID, path-appended OpenID; without a path, OAuth
 * then OpenID.
 */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  if (!path) {
    return [
      `${u.origin}/.well-known/oauth-authorization-server`,
      `${u.origin}/.well-known/openid-configuration`,
    ];
  }
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** A PRM `resource` covers the server when equal to it or a same-origin parent path of it. */
function resourceCovers(resource: string, serverUrl: string): boolean {
  let r: string;
  try {
    r = canonicalServerUrl(resource);
  } catch {
    return false;
  }
  if (r === serverUrl) return true;
  const a = new URL(r);
  const b = new URL(serverUrl);
  if (a.origin !== b.origin || a.search) return false;
  const prefix = a.pathname.endsWith('/') ? a.pathname : `${a.pathname}/`;
  return b.pathname.startsWith(prefix);
}

interface PrmResult {
  prmUrl: string;
  prm: Record<string, unknown>;
}

async function fetchProtectedResourceMetadata(
  deps: DiscoveryDeps,
  serverUrl: string,
  resourceMetadataUrl: string | undefined,
): Promise<PrmResult | null> {
  const candidates = resourceMetadataUrl
    ? [resourceMetadataUrl, ...protectedResourceMetadataUrls(serverUrl)]
    : protectedResourceMetadataUrls(serverUrl);
  for (const url of [...new Set(candidates)]) {
    const res = await getJson(deps, url);
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      continue;
    }
    const prm = await readJsonObject(res, url);
    if (typeof prm.resource !== 'string') {
      throw new McptestError('discovery_failed', `protected-resource metadata at ${url} has no "resource"`, {
        hint: `look at it: curl -s ${url}`,
      });
    }
    if (!resourceCovers(prm.resource, serverUrl)) {
      throw new McptestError(
        'resource_mismatch',
        `protected-resource metadata at ${url} is for ${prm.resource}, not for ${serverUrl}; refusing to send tokens for it`,
        {
          hint: `check the server URL, or ask its operator to fix "resource" at ${url}`,
          details: { serverUrl, resource: prm.resource, prmUrl: url },
        },
      );
    }
    return { prmUrl: url, prm };
  }
  return null;
}

async function fetchAuthorizationServerMetadata(
  deps: DiscoveryDeps,
  issuer: string,
  legacy = false,
): Promise<oauth.AuthorizationServer | null> {
  let expected = new URL(issuer);
  for (const url of authorizationServerMetadataUrls(issuer)) {
    const res = await getJson(deps, url);
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      continue;
    }
    const doc = await readJsonObject(res, url);
    let named: string | undefined;
    try {
      named = typeof doc.issuer === 'string' ? new URL(doc.issuer).href : undefined;
    } catch {
      named = undefined;
    }
    if (legacy && named !== undefined && new URL(named).origin === expected.origin) {
      // 2025-03-26 servers without PRM: the metadata URL was derived from the MCP server's
      // origin, not from an issuer anyone advertised, so there is no issuer to compare with. An
      // issuer on that same origin is accepted; another origin is still refused.
      expected = new URL(named);
    }
    if (named !== expected.href) {
      throw new McptestError(
        'issuer_mismatch',
        `authorization server metadata at ${url} names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`,
        {
          hint: `the metadata may be spoofed or misconfigured; look at it: curl -s ${url}`,
          details: { expected: issuer, got: doc.issuer ?? null, metadataUrl: url },
        },
      );
    }
    // oauth4webapi's own parser repeats the issuer check and the content checks.
    try {
      return await oauth.processDiscoveryResponse(
        expected,
        new Response(JSON.stringify(doc), { status: 200, headers: { 'content-type': 'application/json' } }),
      );
    } catch (err) {
      throw new McptestError('discovery_failed', `authorization server metadata at ${url} is invalid`, {
        hint: `look at it: curl -s ${url}`,
        cause: err,
      });
    }
  }
  return null;
}

/** The endpoints the daemon itself will call, each checked by the peer URL policy. */
const FETCHED_ENDPOINTS = [
  'token_endpoint',
  'registration_endpoint',
  'device_authorization_endpoint',
  'revocation_endpoint',
] as const;

async function checkEndpoints(
  as: oauth.AuthorizationServer,
  source: UrlSource,
  lookup: Lookup,
): Promise<void> {
  // The browser, not the daemon, opens the authorization endpoint.
  if (typeof as.authorization_endpoint === 'string') {
    assertSecureUrl(as.authorization_endpoint, `authorization_endpoint of ${as.issuer}`);
  }
  for (const key of FETCHED_ENDPOINTS) {
    const value = as[key];
    if (typeof value === 'string') await checkPeerUrl(value, `${key} of ${as.issuer}`, source, lookup);
  }
}

/** The scope to request, per the MCP spec's scope selection strategy. */
export function selectScope(
  as: oauth.AuthorizationServer,
  sources: { requested?: string; challenge?: string; prm?: Record<string, unknown> | null },
): string | undefined {
  let scope = sources.requested?.trim() || sources.challenge?.trim() || undefined;
  if (!scope) {
    const supported = sources.prm?.scopes_supported;
    if (Array.isArray(supported) && supported.length > 0) {
      scope = supported.filter((s): s is string => typeof s === 'string').join(' ') || undefined;
    }
  }
  if (scope && Array.isArray(as.scopes_supported) && as.scopes_supported.includes('offline_access')) {
    const parts = scope.split(/\s+/);
    if (!parts.includes('offline_access')) scope = [...parts, 'offline_access'].join(' ');
  }
  return scope;
}

interface CachedDiscovery {
  v: number;
  resource: string;
  prmUrl: string | null;
  prm: Record<string, unknown> | null;
  issuer: string;
  as: oauth.AuthorizationServer;
  challengeScope: string | null;
}

/**
 * Finds the authorization server of an MCP server and the parameters of a login to it.
 *
 * @see MCP authorization spec 2025-11-25 §"Authorization Server Discovery"
 * @see RFC 9728 §3 (protected-resource metadata), RFC 8414 §3 (AS metadata), RFC 8707 §2
 */
export async function discoverAuthorization(
  deps: DiscoveryDeps,
  serverUrlInput: string,
  options: DiscoveryOptions = {},
): Promise<DiscoveredAuth> {
  const serverUrl = canonicalServerUrl(serverUrlInput);
  assertSecureUrl(serverUrl, 'server URL');

  if (!options.refresh && !options.wwwAuthenticate && deps.store) {
    const cached = deps.store.getDiscovery(serverUrl);
    const doc = cached?.document as CachedDiscovery | undefined;
    if (cached && doc?.v === CACHE_VERSION && deps.now() - cached.fetchedAt < DISCOVERY_TTL_MS) {
      return {
        serverUrl,
        resource: doc.resource,
        prmUrl: doc.prmUrl,
        prm: doc.prm,
        issuer: doc.issuer,
        as: doc.as,
        scope: selectScope(doc.as, {
          requested: options.scope,
          challenge: doc.challengeScope ?? undefined,
          prm: doc.prm,
        }),
      };
    }
  }

  const lookup = deps.lookup ?? systemLookup;
  const source = await serverZone(serverUrl, lookup);
  const probe = options.wwwAuthenticate === undefined ? await probeChallenge(deps, serverUrl) : null;
  const header = options.wwwAuthenticate ?? probe?.header;
  const challenge = bearerChallengeParams(header);
  let resourceMetadataUrl: string | undefined;
  if (challenge.resource_metadata) {
    let named: URL | undefined;
    try {
      named = new URL(challenge.resource_metadata, serverUrl);
    } catch {
      // Not a URL at all: the well-known locations below are tried instead.
      named = undefined;
    }
    if (named) {
      resourceMetadataUrl = (
        await checkPeerUrl(named.href, 'resource_metadata URL', source, lookup, { noCrossOriginQuery: true })
      ).href;
    }
  }

  const found = await fetchProtectedResourceMetadata(deps, serverUrl, resourceMetadataUrl);
  let issuer: string;
  if (found) {
    const servers = found.prm.authorization_servers;
    const first = Array.isArray(servers) ? servers.find((s) => typeof s === 'string') : undefined;
    if (!first) {
      throw new McptestError(
        'discovery_failed',
        `protected-resource metadata at ${found.prmUrl} lists no authorization_servers`,
        { hint: `look at it: curl -s ${found.prmUrl}` },
      );
    }
    await checkPeerUrl(first as string, 'authorization server', source, lookup, { issuer: true });
    issuer = first as string;
  } else {
    // 2025-03-26 backwards compatibility: the AS lives at the MCP server's origin.
    issuer = new URL(serverUrl).origin;
  }

  let as = await fetchAuthorizationServerMetadata(deps, issuer, !found);
  if (!as && !found && probe && probe.status >= 200 && probe.status < 300) {
    // No metadata anywhere, and the server answered initialize without a token: the default
    // endpoints below would only lead to a registration error about a server with no auth.
    throw new McptestError(
      'discovery_failed',
      `${serverUrl} asks for no authorization: it answered initialize without a token (HTTP ${probe.status}) and publishes no OAuth metadata, so there is nothing to log in to`,
      { hint: `use it without a login: mcptest tools --url ${serverUrl}`, details: { status: probe.status } },
    );
  }
  if (!as && !found) {
    // 2025-03-26 §2.3.3: without any metadata, the default endpoints at the server's origin.
    // That revision makes PKCE (S256) mandatory for every AS, so S256 is assumed here rather
    // than advertised; with metadata present, a missing S256 is still refused.
    as = {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      code_challenge_methods_supported: ['S256'],
    };
  }
  if (!as) {
    const tried = authorizationServerMetadataUrls(issuer);
    throw new McptestError(
      'discovery_failed',
      `no authorization server metadata found for ${issuer} (tried ${tried.join(', ')})`,
      { hint: `check the issuer: curl -s ${tried[0]}`, details: { issuer, tried } },
    );
  }
  await checkEndpoints(as, source, lookup);

  const resource = found && typeof found.prm.resource === 'string' ? found.prm.resource : serverUrl;
  const result: DiscoveredAuth = {
    serverUrl,
    resource,
    prmUrl: found?.prmUrl ?? null,
    prm: found?.prm ?? null,
    issuer: as.issuer,
    as,
    scope: selectScope(as, { requested: options.scope, challenge: challenge.scope, prm: found?.prm }),
  };
  if (deps.store) {
    const doc: CachedDiscovery = {
      v: CACHE_VERSION,
      resource,
      prmUrl: result.prmUrl,
      prm: result.prm,
      issuer: result.issuer,
      as,
      challengeScope: challenge.scope ?? null,
    };
    deps.store.putDiscovery(serverUrl, doc as unknown as Record<string, unknown>, deps.now());
  }
  return result;
}

/**
 * The token and revocation endpoints of a server's AS, for grants that need no login
 * (client credentials without `token_url`). @see RFC 8414 §2
 */
export async function discoverTokenEndpoints(
  deps: DiscoveryDeps,
  serverUrl: string,
): Promise<{
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  scope: string | undefined;
}> {
  const found = await discoverAuthorization(deps, serverUrl);
  if (typeof found.as.token_endpoint !== 'string') {
    throw new McptestError(
      'discovery_failed',
      `authorization server ${found.issuer} names no token_endpoint`,
      {
        hint: `set the token URL explicitly: --token-url <url>`,
      },
    );
  }
  return {
    issuer: found.issuer,
    tokenEndpoint: found.as.token_endpoint,
    revocationEndpoint:
      typeof found.as.revocation_endpoint === 'string' ? found.as.revocation_endpoint : null,
    // No refresh token comes with client credentials: `offline_access` is not asked for.
    scope:
      found.scope
        ?.split(/\s+/)
        .filter((s) => s && s !== 'offline_access')
        .join(' ') || undefined,
  };
}
