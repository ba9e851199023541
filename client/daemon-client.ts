/**
 * The typed client of the daemon's IPC: HTTP/JSON under /v1 over the Unix socket. Every answer
 * is validated: with the daemon's zod schemas, loaded on first use, or for the health and token
 * answers with the zod-free readers of shared/ipc-guards.ts. It speaks through node:http rather than undici:
 * the client loads in every CLI process, and undici's import alone costs about 100 ms of CPU,
 * which 64 processes starting at once pay 64 times.
 */
import http from 'node:http';
import type { z } from 'zod';
import {
  CHALLENGE_HEADER,
  CLIENT_VERSION_HEADER,
  checkSocketPlace,
  HOME_HEADER,
  newChallenge,
  PROOF_HEADER,
  proofMatches,
  readDaemonKey,
} from '../shared/daemon-identity.js';
import { errorFromBody, McptestError } from '../shared/errors.js';
import { readHealthResponse, readTokenResponse } from '../shared/ipc-guards.js';
import type {
  CredentialSummary,
  HealthResponse,
  ImportCredentialRequest,
  LoginInfo,
  LoginStartRequest,
  LogoutRequest,
  TokenRequest,
  TokenResponse,
} from '../shared/ipc-schemas.js';
import { parseWith } from '../shared/validate.js';
import { versionTag } from '../shared/version.js';

/** The zod schemas, loaded on first use: the health and token answers, on every CLI process's path, do without them. */
const schemas = () => import('../shared/ipc-schemas.js');

interface RawAnswer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * What a client checks before it trusts the daemon: the key file the daemon must prove it can
 * read, and the home the client serves (a daemon of another store refuses it).
 */
export interface DaemonTrust {
  keyFile: string;
  home: string;
}

export class DaemonClient {
  private readonly agent: http.Agent;
  private closed = false;
  /** Set once the daemon has answered a challenge with the key; nothing else is sent before. */
  private verified = false;
  private untrusted: McptestError | null = null;

  /**
   * With `trust` (every client of mcptest's own commands), the socket's place is checked and the
   * daemon must prove its identity before any request but the health handshake is sent. Without
   * it (tests and benchmarks that started the daemon themselves), the socket is taken as is.
   */
  constructor(
    readonly socketPath: string,
    private readonly trust?: DaemonTrust,
  ) {
    this.agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 16 });
  }

  /** True once the daemon has proven it holds this user's key (always true without `trust`). */
  get isVerified(): boolean {
    return !this.trust || this.verified;
  }

  private send(
    method: string,
    route: string,
    body: string | undefined,
    options: { timeoutMs?: number; signal?: AbortSignal; headers?: Record<string, string> },
  ): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          path: route,
          method,
          agent: this.agent,
          signal: options.signal,
          headers: {
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...(this.trust ? { [HOME_HEADER]: this.trust.home } : {}),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(options.timeoutMs ?? 120_000, () => {
        const err = new Error('timed out') as NodeJS.ErrnoException;
        err.code = 'ETIMEDOUT';
        req.destroy(err);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The parsed JSON answer. Throws McptestError for IPC error bodies and for an unreachable socket. */
  private async answer(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    route: string,
    body: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal; headers?: Record<string, string> },
    onHeaders?: (headers: http.IncomingHttpHeaders) => void,
  ): Promise<unknown> {
    if (route !== '/v1/health' && route !== '/v1/shutdown') await this.ensureVerified();
    let res: RawAnswer;
    try {
      res = await this.send(method, route, body === undefined ? undefined : JSON.stringify(body), options);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
      throw new McptestError(
        'daemon_unreachable',
        `cannot reach the auth daemon at ${this.socketPath} (${code})`,
        {
          hint: 'mcptest daemon status',
          details: { errno: code },
          cause: err,
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = res.text.length ? JSON.parse(res.text) : undefined;
    } catch {
      parsed = res.text;
    }
    if (res.status >= 400) throw errorFromBody(parsed, res.status);
    onHeaders?.(res.headers);
    return parsed;
  }

  /** Sends a health challenge when the daemon has not yet proven itself; throws if it cannot. */
  private async ensureVerified(): Promise<void> {
    if (!this.trust || this.verified) return;
    if (!this.untrusted) await this.health();
    this.assertVerified();
  }

  /** Throws why this daemon is not trusted, unless it has proven itself (or no trust is asked). */
  assertVerified(): void {
    if (this.isVerified) return;
    throw (
      this.untrusted ??
      new McptestError(
        'daemon_untrusted',
        `the process on ${this.socketPath} did not prove it is your daemon`,
      )
    );
  }

  private checkProof(challenge: string, proof: string | string[] | undefined): void {
    const trust = this.trust as DaemonTrust;
    const key = readDaemonKey(trust.keyFile);
    if (key && proofMatches(key, challenge, typeof proof === 'string' ? proof : undefined)) {
      this.verified = true;
      this.untrusted = null;
      return;
    }
    this.verified = false;
    this.untrusted = new McptestError(
      'daemon_untrusted',
      key
        ? `the process on ${this.socketPath} could not prove it is your auth daemon (no valid answer to its challenge with ${trust.keyFile}); nothing was sent to it`
        : `the process on ${this.socketPath} answered, but there is no daemon key at ${trust.keyFile} for it to prove itself with; nothing was sent to it`,
      {
        hint: `find what listens there: fuser ${this.socketPath}; an older mcptest daemon stops with: mcptest daemon stop`,
      },
    );
  }

  /** Low-level call: the answer validated with `schema`. */
  async call<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    route: string,
    schema: S,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<z.output<S>> {
    return parseWith(
      schema,
      await this.answer(method, route, body, options),
      `daemon answer to ${method} ${route}`,
    );
  }

  /**
   * The handshake. With `trust`, the socket's place is checked first and the answer must carry
   * the daemon's proof; a daemon that cannot give it is still described (so an outdated one can
   * be told to stop), but every later request is refused (see `ensureVerified`).
   */
  async health(timeoutMs = 2_000): Promise<HealthResponse> {
    if (!this.trust) {
      const answer = await this.answer('GET', '/v1/health', undefined, { timeoutMs });
      return readHealthResponse(answer, 'daemon answer to GET /v1/health');
    }
    checkSocketPlace(this.socketPath);
    const challenge = newChallenge();
    let proof: string | string[] | undefined;
    const answer = await this.answer(
      'GET',
      '/v1/health',
      undefined,
      { timeoutMs, headers: { [CHALLENGE_HEADER]: challenge } },
      (headers) => {
        proof = headers[PROOF_HEADER];
      },
    );
    const health = readHealthResponse(answer, 'daemon answer to GET /v1/health');
    this.checkProof(challenge, proof);
    return health;
  }

  /** An access token for a server (from a login, or minted from client credentials). */
  async getToken(req: TokenRequest, options: { signal?: AbortSignal } = {}): Promise<TokenResponse> {
    // The daemon refuses a token request of another version (see daemon/routes/handle-token.ts).
    const headers = { [CLIENT_VERSION_HEADER]: versionTag() };
    return readTokenResponse(
      await this.answer('POST', '/v1/token', req, { ...options, headers }),
      'daemon answer to POST /v1/token',
    );
  }

  /** Asks the daemon to finish in-flight work and exit. */
  async shutdown(): Promise<void> {
    await this.answer('POST', '/v1/shutdown', undefined, {});
  }

  async listCredentials(): Promise<CredentialSummary[]> {
    return (await this.call('GET', '/v1/credentials', (await schemas()).CredentialList)).credentials;
  }

  async importCredential(req: ImportCredentialRequest) {
    return this.call('PUT', '/v1/credentials', (await schemas()).CredentialSummary, req);
  }

  async logout(req: LogoutRequest) {
    return this.call('POST', '/v1/logout', (await schemas()).LogoutResponse, req);
  }

  async status() {
    return this.call('GET', '/v1/status', (await schemas()).DaemonStatus);
  }

  /** Starts a device or browser login; answers at once with the code or URL to show. */
  async startLogin(req: LoginStartRequest) {
    return this.call('POST', '/v1/logins', (await schemas()).LoginInfo, req);
  }

  /** A login's state; with `waitSeconds` (max 60) the daemon answers once it leaves `pending`. */
  async getLogin(id: string, waitSeconds = 0, options: { signal?: AbortSignal } = {}) {
    const wait = Math.max(0, Math.min(60, Math.floor(waitSeconds)));
    return this.call(
      'GET',
      `/v1/logins/${encodeURIComponent(id)}${wait > 0 ? `?waitSeconds=${wait}` : ''}`,
      (await schemas()).LoginInfo,
      undefined,
      { signal: options.signal, timeoutMs: (wait + 30) * 1000 },
    );
  }

  async listLogins(): Promise<LoginInfo[]> {
    return (await this.call('GET', '/v1/logins', (await schemas()).LoginList)).logins;
  }

  async cancelLogin(id: string) {
    return this.call('DELETE', `/v1/logins/${encodeURIComponent(id)}`, (await schemas()).LoginInfo);
  }

  /** Completes a browser login with the final redirected URL a human pasted. */
  async loginCallback(id: string, url: string) {
    return this.call('POST', `/v1/logins/${encodeURIComponent(id)}/callback`, (await schemas()).LoginInfo, {
      url,
    });
  }

  async metrics(): Promise<string> {
    await this.ensureVerified();
    const res = await this.send('GET', '/v1/metrics', undefined, {});
    return res.text;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
  }
}
