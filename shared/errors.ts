/**
 * The one error type of mcptest. Every failure a user can see carries a stable `code` from
 * {@link ERROR_CATALOGUE}, a message with the real values in it, and a `hint` that is, where
 * possible, a command the user can paste. The catalogue maps each code to an HTTP status (for
 * IPC answers) and an exit code (for the CLI); `docs/errors.md` documents every code and a test
 * keeps the two in sync.
 */

/** Process exit codes, mapped in one place. The CLI entry point is the only caller of process.exit. */
export const ExitCode = {
  ok: 0,
  /** A generic failure, or a suite with a failing test. */
  error: 1,
  /** Bad flags, a bad suite file, or other input the user must correct. */
  usage: 2,
  /** The server or the IdP refused our credentials; a human must supply or renew one. */
  auth: 3,
  /** A login is still waiting for a human (`--no-wait`). */
  pending: 4,
  /** `mcptest diff` found changes at or above its `--fail-on` class (breaking by default). */
  changes: 5,
  /** Interrupted by the user (Ctrl-C). */
  cancel: 130,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

interface CatalogueEntry {
  status: number;
  exit: ExitCodeName;
  summary: string;
}

function entry(status: number, exit: ExitCodeName, summary: string): CatalogueEntry {
  return { status, exit, summary };
}

/** Every error code mcptest can report. Append new codes here and document them in docs/errors.md. */
export const ERROR_CATALOGUE = {
  // Input the user must correct.
  invalid_request: entry(400, 'usage', 'A request or command-line input was malformed.'),
  invalid_url: entry(400, 'usage', 'A server or endpoint URL could not be parsed or is not http(s).'),
  insecure_url: entry(400, 'usage', 'A non-loopback URL uses plain HTTP; HTTPS is required.'),
  not_found: entry(404, 'error', 'The requested object (credential, login, route) does not exist.'),
  suite_invalid: entry(400, 'usage', 'A suite file is not valid YAML or does not match the suite schema.'),
  file_exists: entry(409, 'usage', 'An output file already exists and overwriting was not asked for.'),
  reports_mismatch: entry(
    400,
    'usage',
    'The reports given to merge-reports do not make one run: not shard reports, different suites or shard counts, a shard missing or given twice.',
  ),
  env_var_missing: entry(400, 'auth', 'An environment variable named for a secret is unset or empty.'),

  // Credentials and tokens.
  no_credentials: entry(404, 'auth', 'No token is cached for this server and none was supplied.'),
  needs_login: entry(401, 'auth', 'The cached login can no longer be refreshed; a human must log in again.'),
  token_expired: entry(401, 'auth', 'The access token expired and could not be refreshed in time.'),
  auth_failed: entry(401, 'auth', 'The MCP server rejected the request (HTTP 401 or 403).'),
  invalid_client: entry(401, 'auth', 'The authorization server rejected the client id or secret.'),
  invalid_scope: entry(400, 'auth', 'The authorization server rejected the requested scope.'),

  // The identity provider.
  idp_unavailable: entry(502, 'error', 'The authorization server could not be reached or answered 5xx.'),
  idp_error: entry(502, 'error', 'The authorization server answered with an OAuth error.'),
  discovery_failed: entry(502, 'error', 'Authorization server metadata could not be discovered.'),
  issuer_mismatch: entry(502, 'error', 'Metadata or a response named an issuer other than the expected one.'),
  resource_mismatch: entry(
    502,
    'error',
    'Protected-resource metadata names a resource other than the server.',
  ),
  pkce_unsupported: entry(502, 'error', 'The authorization server does not advertise PKCE S256.'),
  registration_failed: entry(502, 'error', 'Client registration at the authorization server failed.'),
  device_unsupported: entry(
    400,
    'error',
    'The authorization server does not offer the device authorization grant.',
  ),
  peer_url_refused: entry(
    502,
    'error',
    'A URL named by a server or its authorization server was refused: wrong scheme, credentials in it, control characters, or a loopback or private address for a server outside it.',
  ),
  response_too_large: entry(
    502,
    'error',
    'A server or authorization server answered with a body over the size limit of its kind.',
  ),
  unsupported_token_type: entry(
    502,
    'error',
    'The authorization server issued a token of a type other than Bearer, which mcptest cannot present.',
  ),

  // Logins.
  login_pending: entry(202, 'pending', 'A login is waiting for a human to approve it.'),
  login_denied: entry(403, 'auth', 'The human or the authorization server denied the login.'),
  login_expired: entry(410, 'auth', 'The login (device code or authorization request) expired.'),
  login_cancelled: entry(409, 'cancel', 'The login was cancelled.'),
  state_mismatch: entry(400, 'auth', 'An authorization callback carried the wrong state.'),
  redirect_port_taken: entry(
    409,
    'error',
    'The loopback port a browser login must listen on is held by another program.',
  ),
  step_up_required: entry(
    403,
    'auth',
    'The server needs scopes beyond the current grant; a human must approve.',
  ),

  // The daemon and its store.
  daemon_unreachable: entry(503, 'error', 'The auth daemon could not be reached or started.'),
  daemon_version_mismatch: entry(503, 'error', 'The running daemon speaks another IPC version.'),
  socket_unsafe: entry(
    500,
    'error',
    'The socket, its folder or a folder above it is owned by another user or open to others.',
  ),
  daemon_untrusted: entry(
    500,
    'error',
    'What answers on the socket could not prove it is your own daemon; nothing was sent to it.',
  ),
  daemon_home_mismatch: entry(
    409,
    'error',
    'The daemon on this socket serves another MCPTEST_HOME than the one this process uses.',
  ),
  socket_path_too_long: entry(500, 'usage', 'The socket path exceeds the limit of Unix socket addresses.'),
  store_corrupt: entry(500, 'error', 'The token database is damaged; it is kept untouched.'),
  store_newer_schema: entry(500, 'error', 'The token database was written by a newer mcptest.'),
  store_unwritable: entry(500, 'error', 'The token database or its folder cannot be written.'),
  store_locked: entry(503, 'error', 'The token database is locked by another process.'),
  store_unsafe: entry(
    500,
    'error',
    'A file of the token store is a symbolic link or not a regular file; it is refused and left as it is.',
  ),

  // Talking to MCP servers.
  connection_failed: entry(502, 'error', 'The MCP server could not be reached (DNS, TCP, TLS).'),
  server_error: entry(502, 'error', 'The MCP server answered with an error.'),
  protocol_unsupported: entry(
    502,
    'error',
    "The MCP server does not speak the protocol version asked for with --protocol (or a suite's protocol:).",
  ),
  input_required: entry(
    400,
    'error',
    'The server asked for input (an elicitation, a sampling completion, roots) that no answer was given for.',
  ),
  conformance_unavailable: entry(
    500,
    'error',
    'The MCP conformance suite is not installed or could not run (mcptest conformance).',
  ),
  timeout: entry(504, 'error', 'An operation did not finish in time.'),
  cancelled: entry(499, 'cancel', 'The operation was interrupted.'),
  internal: entry(500, 'error', 'An unexpected failure inside mcptest.'),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

export interface McptestErrorOptions {
  hint?: string;
  /** Structured facts for machines (JSON output, the agent surface). Never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Marks an McptestError of any copy of this module (see `Symbol.hasInstance` below). */
const MCPTEST_ERROR = Symbol.for('mcptest.McptestError');

export class McptestError extends Error {
  /**
   * `instanceof McptestError` holds for an error of any copy of this module: the `mcptest`
   * command's CommonJS entry (cli/bin.cts) carries its own copy, and an error it raises can
   * reach the full CLI's reporting. Subclasses keep the usual prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked (a subclass, or this one)
    if (this !== McptestError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[MCPTEST_ERROR] === true
    );
  }

  readonly [MCPTEST_ERROR] = true;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: McptestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McptestError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  get exitCode(): number {
    return ExitCode[ERROR_CATALOGUE[this.code].exit];
  }

  /** The IPC and JSON shape: `{ code, message, hint }` (plus details when present). */
  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Rebuilds an error received as `{ error: { code, message, hint } }` over IPC. */
export function errorFromBody(body: unknown, fallbackStatus: number): McptestError {
  const err = (body as { error?: { code?: unknown; message?: unknown; hint?: unknown; details?: unknown } })
    ?.error;
  if (err && typeof err.message === 'string') {
    const code = isErrorCode(err.code) ? err.code : 'internal';
    return new McptestError(code, err.message, {
      hint: typeof err.hint === 'string' ? err.hint : undefined,
      details: typeof err.details === 'object' && err.details !== null ? (err.details as any) : undefined,
    });
  }
  return new McptestError('internal', `daemon answered HTTP ${fallbackStatus} without an error body`);
}

/** Wraps anything thrown into an McptestError, keeping McptestErrors as they are. */
export function toMcptestError(err: unknown): McptestError {
  if (err instanceof McptestError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new McptestError('internal', message, { cause: err });
}

export function exitCodeFor(err: unknown): number {
  return err instanceof McptestError ? err.exitCode : ExitCode.error;
}
