/**
 * A real OAuth 2.0 authorization server on loopback (oidc-provider 9), configured the way the
 * mcptest daemon's peers are: DCR, PKCE S256 for everyone, resource indicators with JWT access
 * tokens, device flow, client credentials, refresh rotation. A thin node:http layer in front of it
 * records a request log, injects faults and `slow_down` answers, and auto-approves interactions
 * for a fixed test user.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { exportJWK, generateKeyPair } from 'jose';
import { approveInBrowser, browserFetch, CookieJar, DENY_PARAM } from './browser.js';
import { MemoryStore } from './memory-store.js';
import { listenOnLoopback } from './loopback.js';

export { approveInBrowser, CookieJar } from './browser.js';

/** Scopes every test IdP knows; `IdpOptions.scopes` adds more. */
export const BASE_SCOPES = ['openid', 'offline_access', 'mcp:read', 'mcp:write', 'mcp:admin'] as const;
const OIDC_SCOPES = new Set(['openid', 'offline_access']);
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Paths whose form bodies the front layer reads (for the log and for `slow_down`). */
const FORM_PATHS = new Set(['/token', '/device/auth', '/token/revocation', '/token/introspection']);

export interface IdpOptions {
  /** Port on 127.0.0.1; 0 (any free port) by default. */
  port?: number;
  /** Extra scopes beyond {@link BASE_SCOPES}. */
  scopes?: string[];
  /** Access token lifetime in seconds (resource JWTs and client credentials); default 3600. */
  accessTokenTtl?: number;
  /** Device code lifetime in seconds; default 600. */
  deviceCodeTtl?: number;
  /** Refresh token lifetime in seconds; default 14 days. */
  refreshTokenTtl?: number;
  /** Pre-registered clients (oidc-provider client metadata, snake_case). */
  clients?: Array<Record<string, unknown>>;
  /** `interval` in device authorization responses; 'omit' (the default) leaves it out. */
  deviceInterval?: number | 'omit';
  /** Resource indicators accepted; any absolute http(s) URL when unset. */
  resources?: string[];
  /** Account the interaction handler logs in; default 'test-user'. */
  accountId?: string;
  /**
   * When a refresh token is issued: 'grant-allowed' (the default) whenever the client may use
   * the refresh_token grant; 'offline_access' by the OpenID Connect rule most IdPs follow, only
   * when offline_access was granted, which an authorization request gets only with prompt=consent.
   */
  refreshTokens?: 'grant-allowed' | 'offline_access';
  /**
   * How a redirect URI is matched: 'loopback-any-port' (the default, RFC 8252 §7.3: a native
   * client's loopback redirect may use any port) or 'exact', as IdPs that compare whole strings do.
   */
  redirectUriMatch?: 'loopback-any-port' | 'exact';
  /**
   * Refuse dynamic registrations that ask for the device grant (`invalid_client_metadata`), as
   * IdPs that offer the grant only to clients their operator registers do.
   */
  refuseDeviceGrantRegistration?: boolean;
  /**
   * Client ID Metadata Documents the IdP accepts as client ids (draft-ietf-oauth-client-id-metadata-document,
   * oidc-provider's experimental feature), by their HTTPS URL. The provider's fetch of such a URL
   * is answered from here (no HTTPS server on loopback), and logged in `metadataDocumentFetches`.
   * Setting it makes the metadata advertise `client_id_metadata_document_supported: true`.
   */
  clientMetadataDocuments?: Record<string, Record<string, unknown>>;
}

/**
 * Metadata of a pre-registered confidential client that may only use the client-credentials
 * grant (client_secret_basic), for `IdpOptions.clients`.
 */
export function clientCredentialsClient(
  clientId: string,
  clientSecret: string,
  scope: string,
): Record<string, unknown> {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  };
}

/** One request the IdP saw. Never holds secrets, codes or tokens. */
export interface IdpRequest {
  at: number;
  method: string;
  path: string;
  /** `grant_type` of a token request. */
  grantType?: string;
  /** Status code; 0 while the request is in flight (or hung by a fault). */
  status: number;
  /** From the form body or the Basic credentials (the id part only). */
  clientId?: string;
  /** `grant_types` of a dynamic registration request (POST /reg). */
  registeredGrantTypes?: string[];
  /** `application_type` of a dynamic registration request (POST /reg), when it had one. */
  registeredApplicationType?: string;
}

/** `empty: true` answers the status with no body and no content type (some IdPs refuse that way). */
export type IdpFault =
  | { status: number; body?: unknown; empty?: boolean }
  | { delayMs: number }
  | { hang: true }
  | null;

export interface FaultScope {
  /** Only requests to this path (e.g. '/token'); every path when unset. */
  path?: string;
  /** Only this many requests, then the fault clears itself; unlimited when unset. */
  times?: number;
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope?: string;
  token_type: string;
  id_token?: string;
  client_id: string;
  client_secret?: string;
  token_endpoint: string;
  issuer: string;
  token_endpoint_auth_method: string;
}

export interface ObtainTokenSetOptions {
  /** RFC 8707 resource indicator, e.g. the MCP server URL. */
  resource?: string;
  /** Space-separated scopes; default 'mcp:read mcp:write'. */
  scope?: string;
}

export interface Idp {
  readonly issuer: string;
  readonly port: number;
  readonly tokenEndpoint: string;
  readonly deviceAuthorizationEndpoint: string;
  readonly registrationEndpoint: string;
  readonly revocationEndpoint: string;
  readonly jwksUri: string;
  /** The oidc-provider instance, for tests that need more. */
  readonly provider: any;
  readonly requests: IdpRequest[];
  /** The Client ID Metadata Document URLs the provider fetched, in order. */
  readonly metadataDocumentFetches: string[];
  /** Faults every matching request until cleared with `setFault(null)`. */
  setFault(fault: IdpFault, scope?: FaultScope): void;
  /** The next `n` device-code token polls answer `400 {"error":"slow_down"}`. @see RFC 8628 §3.5 */
  slowDownNext(n: number): void;
  /** Approves (or, with `deny`, aborts) a device code through the provider's real pages. */
  approveDevice(userCode: string, options?: { deny?: boolean }): Promise<void>;
  /** Follows an authorization URL and returns the final redirect to the client, unrequested. */
  approveAuthorization(authorizationUrl: string, options?: { deny?: boolean }): Promise<string>;
  /** Deletes every grant and every token issued under one; returns how many records went. */
  revokeGrants(): number;
  /** Registers a client by DCR (RFC 7591) and returns the registration response. */
  registerClient(metadata: Record<string, unknown>): Promise<Record<string, any>>;
  /** DCR of a public native client plus a full authorization-code + PKCE flow. */
  obtainTokenSet(options?: ObtainTokenSetOptions): Promise<TokenSet>;
  close(): Promise<void>;
}

let providerModule: Promise<any> | undefined;

/** Loads oidc-provider once, dropping its "Unsupported runtime" notice on Node 20. */
function loadProvider(): Promise<any> {
  if (!providerModule) {
    const specifier: string = 'oidc-provider';
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
      warn(...args);
    };
    providerModule = import(specifier).finally(() => {
      console.warn = warn;
    });
  }
  return providerModule;
}

async function signingKeys(): Promise<Record<string, unknown>[]> {
  const keys: Record<string, unknown>[] = [];
  for (const alg of ['RS256', 'ES256']) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), kid: randomUUID(), alg, use: 'sig' });
  }
  return keys;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A stand-in request carrying an already-read body, so the provider can read it again. */
function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const replay = new PassThrough();
  Object.assign(replay, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
  });
  replay.end(body);
  return replay as unknown as IncomingMessage;
}

function basicClientId(header: string | undefined): string | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return decoded.slice(0, colon);
  }
}

function extractXsrf(html: string): string {
  const match = /name="xsrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('approveDevice: no xsrf field on the device page');
  return match[1];
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Starts the test IdP on 127.0.0.1.
 * @see RFC 8414 (metadata), RFC 7591 (DCR), RFC 8628 (device), RFC 8707 (resource), RFC 7636 (PKCE)
 */
export async function startIdp(options: IdpOptions = {}): Promise<Idp> {
  const { default: Provider, errors } = await loadProvider();
  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  const accountId = options.accountId ?? 'test-user';
  const scopes = [...new Set([...BASE_SCOPES, ...(options.scopes ?? [])])];
  const resourceScopes = scopes.filter((scope) => !OIDC_SCOPES.has(scope)).join(' ');
  const store = new MemoryStore();
  const requests: IdpRequest[] = [];
  const metadataDocumentFetches: string[] = [];
  const documents = options.clientMetadataDocuments;
  let fault: { fault: NonNullable<IdpFault>; path?: string; remaining: number } | undefined;
  let slowDowns = 0;

  const loopback = await listenOnLoopback(options.port);
  const server: Server = loopback.server;
  const port = loopback.port;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    adapter: store.adapterFactory(),
    clients: options.clients ?? [],
    jwks: { keys: await signingKeys() },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    responseTypes: ['code'],
    scopes,
    claims: { openid: ['sub'] },
    pkce: { required: () => true },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    clientBasedCORS: () => true,
    renderError: async (ctx: any, out: Record<string, string>) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // The provider's outgoing fetches: Client ID Metadata Documents are answered from memory.
    fetch: async (url: string | URL, init: RequestInit) => {
      const href = String(url);
      const doc = documents?.[href];
      if (doc === undefined) return globalThis.fetch(url, init);
      metadataDocumentFetches.push(href);
      return new Response(JSON.stringify(doc), {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' },
      });
    },
    features: {
      ...(documents ? { clientIdMetadataDocument: { enabled: true, ack: 'draft-02' } } : {}),
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: any, form: string, _out: unknown, err?: Error) => {
          ctx.body = `<!DOCTYPE html><html><body><p>${err ? `error: ${err.name}` : 'enter code'}</p>${form}</body></html>`;
        },
        userCodeConfirmSource: async (ctx: any, form: string) => {
          ctx.body = `<!DOCTYPE html><html><body><p>confirm device</p>${form}</body></html>`;
        },
        successSource: async (ctx: any) => {
          ctx.body = '<!DOCTYPE html><html><body><p>device approved</p></body></html>';
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          const url = URL.parse(resource);
          const allowed = options.resources
            ? options.resources.includes(resource)
            : url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
          if (!allowed) throw new errors.InvalidTarget();
          return {
            scope: resourceScopes,
            audience: resource,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    issueRefreshToken: async (_ctx: unknown, client: any, code: any) =>
      client.grantTypeAllowed('refresh_token') &&
      (options.refreshTokens !== 'offline_access' || code.scopes.has('offline_access')),
    rotateRefreshToken: () => true,
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      DeviceCode: options.deviceCodeTtl ?? 600,
      RefreshToken: options.refreshTokenTtl ?? 14 * 24 * 3600,
      Grant: options.refreshTokenTtl ?? 14 * 24 * 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
    },
  });

  // RFC 8628 §3.2: `interval` is optional; the provider never sends it, tests may want it.
  provider.use(async (ctx: any, next: () => Promise<void>) => {
    await next();
    const interval = options.deviceInterval ?? 'omit';
    if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      if (interval === 'omit') delete ctx.body.interval;
      else ctx.body.interval = interval;
    }
  });

  if (options.redirectUriMatch === 'exact') {
    provider.Client.prototype.redirectUriAllowed = function (
      this: { redirectUris: string[] },
      value: string,
    ) {
      return this.redirectUris.includes(value);
    };
  }

  const providerCallback: (req: IncomingMessage, res: ServerResponse) => void = provider.callback();

  /** Auto-approving login and consent for the fixed test user. */
  async function handleInteraction(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    let result: Record<string, unknown>;
    if (url.searchParams.get(DENY_PARAM) === '1') {
      result = { error: 'access_denied', error_description: 'denied by the test approver' };
    } else if (details.prompt.name === 'login') {
      result = { login: { accountId } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, resourceScope] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, (resourceScope as string[]).join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, entry: IdpRequest): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    if (fault && (!fault.path || fault.path === url.pathname)) {
      const active = fault.fault;
      fault.remaining -= 1;
      if (fault.remaining <= 0) fault = undefined;
      if ('hang' in active) return;
      if ('status' in active && active.empty) {
        res.writeHead(active.status).end();
        return;
      }
      if ('status' in active) {
        json(
          res,
          active.status,
          active.body ?? { error: 'server_error', error_description: 'injected fault' },
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, active.delayMs));
    }

    if (req.method === 'GET' && url.pathname.startsWith('/interaction/')) {
      await handleInteraction(req, res, url);
      return;
    }

    let forwarded = req;
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (req.method === 'POST' && isForm && FORM_PATHS.has(url.pathname)) {
      const body = await readBody(req);
      const params = new URLSearchParams(body.toString('utf8'));
      entry.grantType = params.get('grant_type') ?? undefined;
      entry.clientId = params.get('client_id') ?? basicClientId(req.headers.authorization);
      if (url.pathname === '/token' && entry.grantType === DEVICE_CODE_GRANT && slowDowns > 0) {
        slowDowns -= 1;
        json(res, 400, { error: 'slow_down', error_description: 'injected slow_down' });
        return;
      }
      forwarded = replayRequest(req, body);
    } else if (req.method === 'POST' && url.pathname === '/reg') {
      const body = await readBody(req);
      const metadata = JSON.parse(body.toString('utf8') || '{}') as {
        grant_types?: unknown;
        application_type?: unknown;
      };
      const grants = Array.isArray(metadata.grant_types) ? metadata.grant_types.map(String) : [];
      entry.registeredGrantTypes = grants;
      if (typeof metadata.application_type === 'string') {
        entry.registeredApplicationType = metadata.application_type;
      }
      if (options.refuseDeviceGrantRegistration && grants.includes(DEVICE_CODE_GRANT)) {
        json(res, 400, {
          error: 'invalid_client_metadata',
          error_description: 'this server does not register clients for the device grant',
        });
        return;
      }
      forwarded = replayRequest(req, body);
    }
    providerCallback(forwarded, res);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const entry: IdpRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', issuer).pathname,
      status: 0,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    handle(req, res, entry).catch((error: unknown) => {
      if (!res.headersSent) {
        json(res, 500, {
          error: 'server_error',
          error_description: String((error as Error)?.message ?? error),
        });
      } else {
        res.destroy();
      }
    });
  });

  async function registerClient(metadata: Record<string, unknown>): Promise<Record<string, any>> {
    const response = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    const body = (await response.json()) as Record<string, any>;
    if (response.status !== 201) {
      throw new Error(`registration failed: ${response.status} ${body.error}: ${body.error_description}`);
    }
    return body;
  }

  async function approveDevice(userCode: string, approve: { deny?: boolean } = {}): Promise<void> {
    const jar = new CookieJar();
    const device = `${issuer}/device`;
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const input = await browserFetch(device, jar);
    const entered = await browserFetch(
      device,
      jar,
      form({ xsrf: extractXsrf(await input.text()), user_code: userCode }),
    );
    const confirmPage = await entered.text();
    if (entered.status !== 200 || !confirmPage.includes('confirm device')) {
      throw new Error(
        `approveDevice: user code not accepted (${entered.status}): ${confirmPage.slice(0, 200)}`,
      );
    }
    const decision: Record<string, string> = approve.deny ? { abort: 'yes' } : { confirm: 'yes' };
    let response = await browserFetch(
      device,
      jar,
      form({ xsrf: extractXsrf(confirmPage), user_code: userCode, ...decision }),
    );
    if (approve.deny) {
      await response.body?.cancel();
      return;
    }
    for (let hop = 0; hop < 20; hop++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) break;
      await response.body?.cancel();
      response = await browserFetch(new URL(location, issuer).href, jar);
    }
    const page = await response.text();
    if (response.status !== 200 || !page.includes('device approved')) {
      throw new Error(`approveDevice: ended at ${response.status}: ${page.slice(0, 200)}`);
    }
  }

  async function obtainTokenSet(request: ObtainTokenSetOptions = {}): Promise<TokenSet> {
    const scope = request.scope ?? 'mcp:read mcp:write';
    const redirectUri = 'http://127.0.0.1/callback';
    const client = await registerClient({
      application_type: 'native',
      client_name: 'mcptest test client',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: scopes.join(' '),
    });
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorization = new URL(`${issuer}/auth`);
    authorization.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(request.resource ? { resource: request.resource } : {}),
      ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    }).toString();
    const callback = new URL(await approveInBrowser(authorization.href));
    const code = callback.searchParams.get('code');
    if (!code || callback.searchParams.get('state') !== state) {
      throw new Error(
        `obtainTokenSet: authorization failed: ${callback.searchParams.get('error') ?? 'no code'}`,
      );
    }
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        client_id: client.client_id,
        ...(request.resource ? { resource: request.resource } : {}),
      }).toString(),
    });
    const body = (await response.json()) as Record<string, any>;
    if (response.status !== 200) {
      throw new Error(`obtainTokenSet: token request failed: ${response.status} ${body.error}`);
    }
    return {
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      expires_in: body.expires_in,
      scope: body.scope,
      token_type: body.token_type,
      id_token: body.id_token,
      client_id: client.client_id,
      token_endpoint: `${issuer}/token`,
      issuer,
      token_endpoint_auth_method: 'none',
    };
  }

  return {
    issuer,
    port,
    tokenEndpoint: `${issuer}/token`,
    deviceAuthorizationEndpoint: `${issuer}/device/auth`,
    registrationEndpoint: `${issuer}/reg`,
    revocationEndpoint: `${issuer}/token/revocation`,
    jwksUri: `${issuer}/jwks`,
    provider,
    requests,
    metadataDocumentFetches,
    setFault(next, scope = {}) {
      fault = next
        ? { fault: next, path: scope.path, remaining: scope.times ?? Number.POSITIVE_INFINITY }
        : undefined;
    },
    slowDownNext(n) {
      slowDowns = n;
    },
    approveDevice,
    approveAuthorization: (authorizationUrl, approve = {}) => approveInBrowser(authorizationUrl, approve),
    revokeGrants() {
      return store.deleteWhere((model, payload) => model === 'Grant' || typeof payload.grantId === 'string');
    },
    registerClient,
    obtainTokenSet,
    close: () => loopback.close(),
  };
}
