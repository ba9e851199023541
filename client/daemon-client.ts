/**
 * The typed client of the daemon's IPC: HTTP/JSON under /v1 over the Unix socket (undici).
 * Every answer is validated with the schemas the daemon uses.
 */
import { Agent, request } from 'undici';
import type { z } from 'zod';
import { errorFromBody, McptestError } from '../shared/errors.js';
import {
  CredentialList,
  type CredentialSummary,
  CredentialSummary as CredentialSummarySchema,
  DaemonStatus,
  HealthResponse,
  type ImportCredentialRequest,
  LoginInfo,
  LoginList,
  type LoginStartRequest,
  type LogoutRequest,
  LogoutResponse,
  type TokenRequest,
  TokenResponse,
} from '../shared/ipc-schemas.js';
import { parseWith } from '../shared/validate.js';

export class DaemonClient {
  private readonly agent: Agent;

  constructor(readonly socketPath: string) {
    this.agent = new Agent({ connect: { socketPath }, keepAliveTimeout: 10_000, pipelining: 1 });
  }

  /** Low-level call. Throws McptestError for IPC error bodies and for an unreachable socket. */
  async call<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    route: string,
    schema: S,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<z.output<S>> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`http://mcptest-authd${route}`, {
        method,
        dispatcher: this.agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: options.timeoutMs ?? 120_000,
        bodyTimeout: options.timeoutMs ?? 120_000,
        signal: options.signal,
      });
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
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = text.length ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (res.statusCode >= 400) throw errorFromBody(parsed, res.statusCode);
    return parseWith(schema, parsed, `daemon answer to ${method} ${route}`);
  }

  health(timeoutMs = 2_000) {
    return this.call('GET', '/v1/health', HealthResponse, undefined, { timeoutMs });
  }

  /** An access token for a server (from a login, or minted from client credentials). */
  getToken(req: TokenRequest, options: { signal?: AbortSignal } = {}) {
    return this.call('POST', '/v1/token', TokenResponse, req, options);
  }

  async listCredentials(): Promise<CredentialSummary[]> {
    return (await this.call('GET', '/v1/credentials', CredentialList)).credentials;
  }

  importCredential(req: ImportCredentialRequest) {
    return this.call('PUT', '/v1/credentials', CredentialSummarySchema, req);
  }

  logout(req: LogoutRequest) {
    return this.call('POST', '/v1/logout', LogoutResponse, req);
  }

  status() {
    return this.call('GET', '/v1/status', DaemonStatus);
  }

  /** Starts a device or browser login; answers at once with the code or URL to show. */
  startLogin(req: LoginStartRequest) {
    return this.call('POST', '/v1/logins', LoginInfo, req);
  }

  /** A login's state; with `waitSeconds` (max 60) the daemon answers once it leaves `pending`. */
  getLogin(id: string, waitSeconds = 0, options: { signal?: AbortSignal } = {}) {
    const wait = Math.max(0, Math.min(60, Math.floor(waitSeconds)));
    return this.call(
      'GET',
      `/v1/logins/${encodeURIComponent(id)}${wait > 0 ? `?waitSeconds=${wait}` : ''}`,
      LoginInfo,
      undefined,
      { signal: options.signal, timeoutMs: (wait + 30) * 1000 },
    );
  }

  async listLogins(): Promise<LoginInfo[]> {
    return (await this.call('GET', '/v1/logins', LoginList)).logins;
  }

  cancelLogin(id: string) {
    return this.call('DELETE', `/v1/logins/${encodeURIComponent(id)}`, LoginInfo);
  }

  /** Completes a browser login with the final redirected URL a human pasted. */
  loginCallback(id: string, url: string) {
    return this.call('POST', `/v1/logins/${encodeURIComponent(id)}/callback`, LoginInfo, { url });
  }

  async metrics(): Promise<string> {
    const res = await request('http://mcptest-authd/v1/metrics', { dispatcher: this.agent });
    return res.body.text();
  }

  async close(): Promise<void> {
    if (this.agent.destroyed || this.agent.closed) return;
    await this.agent.close();
  }
}
