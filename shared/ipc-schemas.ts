/**
 * The IPC contract between the daemon and its clients: HTTP/JSON under `/v1` on a Unix socket.
 * Both sides validate every request and response with these schemas. Documented in docs/ipc.md.
 */
import { z } from 'zod';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

const Url = z.string().min(1).max(2048);

export const HealthResponse = z.object({
  name: z.literal('mcptest-authd'),
  version: z.string(),
  api: z.number().int(),
  pid: z.number().int(),
  startedAt: z.number(),
  managedBy: z.enum(['self', 'systemd']),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** How a client authenticates at the token endpoint (RFC 7591 `token_endpoint_auth_method`). */
export const TokenEndpointAuthMethod = z.enum([
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
]);
export type TokenEndpointAuthMethod = z.infer<typeof TokenEndpointAuthMethod>;

/**
 * Client-credentials inputs. The secret (or private key) travels over the 0600 socket and is
 * held in the daemon's memory only, never written to disk.
 */
export const ClientCredentialsSpec = z.object({
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(8192).optional(),
  /** PEM (PKCS#8) private key for private_key_jwt. */
  privateKey: z.string().min(1).max(16384).optional(),
  privateKeyAlg: z.string().max(16).optional(),
  authMethod: TokenEndpointAuthMethod.default('client_secret_basic'),
  tokenUrl: Url.optional(),
  scope: z.string().max(2048).optional(),
  resource: Url.optional(),
  /** Name of the env var the secret came from, so errors can name it. */
  secretEnv: z.string().max(256).optional(),
  /**
   * `scope` was not configured but widened after a 403 `insufficient_scope`: once a token is
   * had, the daemon uses it for later requests of this server and client that name no scope.
   */
  rememberScope: z.boolean().optional(),
});
export type ClientCredentialsSpec = z.infer<typeof ClientCredentialsSpec>;

export const TokenRequest = z.object({
  serverUrl: Url,
  /** Hand out a token only if it stays valid this many seconds; refresh first otherwise. */
  minTtlSeconds: z.number().int().min(0).max(86400).optional(),
  /** The fingerprint of a token the server just rejected with 401: refresh once, then answer. */
  rejectedFingerprint: z
    .string()
    .regex(/^[0-9a-f]{12}$/)
    .optional(),
  clientCredentials: ClientCredentialsSpec.optional(),
});
export type TokenRequest = z.input<typeof TokenRequest>;
export type ParsedTokenRequest = z.output<typeof TokenRequest>;

export const TokenResponse = z.object({
  accessToken: z.string(),
  tokenType: z.string(),
  /** Absolute expiry in ms since the epoch, or null when the IdP gave none. */
  expiresAt: z.number().nullable(),
  scope: z.string().nullable(),
  fingerprint: z.string(),
  source: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const CredentialState = z.enum(['valid', 'expired', 'needs_login', 'refresh_failing']);

/** What `auth status` shows of a credential: never a token value. */
export const CredentialSummary = z.object({
  key: z.string(),
  serverUrl: z.string(),
  source: z.enum(['browser', 'device', 'client_credentials', 'import']),
  clientId: z.string().nullable(),
  issuer: z.string().nullable(),
  scope: z.string().nullable(),
  expiresAt: z.number().nullable(),
  refreshable: z.boolean(),
  state: CredentialState,
  lastError: z.string().nullable(),
  nextRefreshAt: z.number().nullable(),
  fingerprint: z.string(),
  updatedAt: z.number(),
});
export type CredentialSummary = z.infer<typeof CredentialSummary>;

export const CredentialList = z.object({ credentials: z.array(CredentialSummary) });

/**
 * A token set obtained elsewhere (tests, migration from another tool), stored as a credential.
 * Enough to refresh it: the token endpoint and the client that obtained it.
 */
export const ImportCredentialRequest = z.object({
  serverUrl: Url,
  accessToken: z.string().min(1).max(65536),
  refreshToken: z.string().min(1).max(65536).optional(),
  tokenType: z.string().max(64).default('Bearer'),
  expiresIn: z.number().int().min(0).optional(),
  scope: z.string().max(4096).optional(),
  issuer: Url.optional(),
  tokenEndpoint: Url.optional(),
  revocationEndpoint: Url.optional(),
  clientId: z.string().max(512).optional(),
  clientSecret: z.string().max(8192).optional(),
  authMethod: TokenEndpointAuthMethod.optional(),
  resource: Url.optional(),
});
export type ImportCredentialRequest = z.input<typeof ImportCredentialRequest>;

export const LogoutRequest = z.union([
  z.object({ serverUrl: Url, revoke: z.boolean().default(true) }),
  z.object({ all: z.literal(true), revoke: z.boolean().default(true) }),
]);
export type LogoutRequest = z.input<typeof LogoutRequest>;

export const LogoutResponse = z.object({
  removed: z.array(
    z.object({
      serverUrl: z.string(),
      key: z.string(),
      revoked: z.boolean(),
      revokeError: z.string().nullable(),
    }),
  ),
});
export type LogoutResponse = z.infer<typeof LogoutResponse>;

export const DaemonStatus = z.object({
  pid: z.number().int(),
  version: z.string(),
  api: z.number().int(),
  startedAt: z.number(),
  uptimeSeconds: z.number(),
  socketPath: z.string(),
  dbPath: z.string(),
  managedBy: z.enum(['self', 'systemd']),
  credentials: z.number().int(),
  pendingLogins: z.number().int(),
  nextRefreshAt: z.number().nullable(),
  refreshes: z.array(z.object({ key: z.string(), serverUrl: z.string(), at: z.number() })),
  lastErrors: z.array(z.object({ key: z.string(), serverUrl: z.string(), error: z.string() })),
  idleExitSeconds: z.number().nullable(),
});
export type DaemonStatus = z.infer<typeof DaemonStatus>;

// ---- logins (browser: authorization code + PKCE; device: RFC 8628) ----

export const LoginStartRequest = z.object({
  serverUrl: Url,
  kind: z.enum(['browser', 'device']),
  /** Space-separated scopes; when absent, taken from WWW-Authenticate, else scopes_supported. */
  scope: z.string().max(4096).optional(),
  /** Register a fresh client even when one is cached for this server. */
  force: z.boolean().default(false),
  /** Pre-registered client (takes precedence over CIMD and DCR). */
  clientId: z.string().min(1).max(512).optional(),
  clientSecret: z.string().min(1).max(8192).optional(),
  /** Client ID Metadata Document URL, used when the AS advertises support. */
  clientMetadataUrl: Url.optional(),
  /** The WWW-Authenticate header of a 401/403 the client saw (for resource_metadata and scope). */
  wwwAuthenticate: z.string().max(8192).optional(),
  /** Browser flow: fixed loopback port for the redirect URI (0 or absent = any free port). */
  redirectPort: z.number().int().min(0).max(65535).optional(),
  /**
   * Browser flow: the exact redirect URI, `http://127.0.0.1:PORT/PATH` (RFC 8252 §7.3), for a
   * client registered with one; the daemon listens on its port and path.
   */
  redirectUri: z.string().min(1).max(2048).optional(),
});
export type LoginStartRequest = z.input<typeof LoginStartRequest>;

export const LoginStatus = z.enum(['pending', 'complete', 'failed', 'cancelled']);

export const LoginInfo = z.object({
  id: z.string(),
  serverUrl: z.string(),
  kind: z.enum(['browser', 'device']),
  status: LoginStatus,
  createdAt: z.number(),
  /** When the device code or authorization request stops being usable (ms since epoch). */
  expiresAt: z.number(),
  scope: z.string().nullable(),
  // device flow
  verificationUri: z.string().optional(),
  verificationUriComplete: z.string().optional(),
  userCode: z.string().optional(),
  intervalSeconds: z.number().optional(),
  // browser flow
  authorizationUrl: z.string().optional(),
  redirectUri: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
});
export type LoginInfo = z.infer<typeof LoginInfo>;

export const LoginList = z.object({ logins: z.array(LoginInfo) });

/** Paste-back: the final redirected URL the browser landed on, for a browser on another machine. */
export const LoginCallbackRequest = z.object({ url: z.string().min(1).max(8192) });

/** Longest long-poll of `GET /v1/logins/:id?waitSeconds=N`. */
export const MAX_LOGIN_WAIT_SECONDS = 60;
/** The `:id` of the `/v1/logins/:id` routes. */
export const LoginIdParams = z.object({ id: z.string().min(1).max(128) });
/** The query of `GET /v1/logins/:id`. */
export const LoginWaitQuery = z.object({
  waitSeconds: z.coerce.number().min(0).max(MAX_LOGIN_WAIT_SECONDS).optional(),
});
