/**
 * Client-credentials bookkeeping (RFC 6749 §4.4): the clients whose secrets callers sent, held in
 * memory only (never the store), with the token endpoint each mints at; the scope chosen for
 * clients that configure none (once per server and client, single-flight); the salted hash that
 * lets only a caller with the same secret have a stored token; the issuer binding of a client;
 * and the wording of client-credentials refusals. Minting itself is the token service's refresh.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger.js';
import { McptestError } from '../../shared/errors.js';
import type { ClientCredentialsSpec } from '../../shared/ipc-schemas.js';
import type { IssuedTokens } from '../oauth/token-endpoint.js';
import type { CredentialRow, NewCredential, TokenStore } from '../store/token-store.js';

/** Where to send token requests for a server, found by discovery. */
export interface AuthServerEndpoints {
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint?: string | null;
  /** The scope the MCP scope selection picks (401 challenge `scope`, else PRM `scopes_supported`). */
  scope?: string;
}

/** A client as a caller sent it (secret included), with where it mints. Memory only. */
export type ClientCredentialsEntry = ClientCredentialsSpec & { tokenEndpoint: string; issuer: string | null };

export function clientCredentialsKey(serverUrl: string, clientId: string, scope: string | undefined): string {
  return `${serverUrl}#client_credentials:${clientId}:${scope ?? ''}`;
}

/**
 * A salted hash of what a client authenticates with (secret or private key, and the method):
 * stored with a client-credentials token so that only a caller presenting the same secret gets
 * it, also after a restart, when the secret itself is no longer in memory. Never the secret.
 */
export function secretDigest(spec: ClientCredentialsSpec, salt: Buffer): string {
  const material = JSON.stringify([
    spec.authMethod ?? null,
    spec.clientSecret ?? null,
    spec.privateKey ?? null,
  ]);
  const mac = createHmac('sha256', salt).update(material).digest('base64url');
  return `v1.${salt.toString('base64url')}.${mac}`;
}

export function secretMatches(stored: string | null, spec: ClientCredentialsSpec): boolean {
  const [version, salt] = stored?.split('.') ?? [];
  if (!stored || version !== 'v1' || !salt) return false;
  const presented = Buffer.from(secretDigest(spec, Buffer.from(salt, 'base64url')));
  const kept = Buffer.from(stored);
  return presented.length === kept.length && timingSafeEqual(presented, kept);
}

export interface ClientCredentialsDeps {
  store: TokenStore;
  logger: Logger;
  /** Finds the token endpoint of a server's authorization server (RFC 9728 + RFC 8414). */
  discoverEndpoints?: (serverUrl: string) => Promise<AuthServerEndpoints>;
}

/** What a caller's client-credentials request finds. */
export interface ClientCredentialsLookup {
  key: string;
  /** The stored token of this server, client and scope, if any. */
  row: CredentialRow | undefined;
  /**
   * Whether the stored token must not be handed out: minted with another secret, method or
   * token endpoint than the caller's.
   */
  changed: boolean;
}

export class ClientCredentials {
  /** Client-credentials inputs, secrets included: memory only, never the store. */
  private readonly clients = new Map<string, ClientCredentialsEntry>();
  /**
   * The scope used for client-credentials requests that configure none, per server and client:
   * chosen by the MCP scope selection before the first mint, or the wider one a step-up won.
   */
  private readonly chosenScopes = new Map<string, string | undefined>();
  /** One scope selection per server and client in flight, however many callers wait. */
  private readonly choosing = new Map<string, Promise<string | undefined>>();

  constructor(private readonly deps: ClientCredentialsDeps) {}

  /** The client a credential mints with, when a caller sent it since this daemon started. */
  get(key: string): ClientCredentialsEntry | undefined {
    return this.clients.get(key);
  }

  has(key: string): boolean {
    return this.clients.has(key);
  }

  /** Forgets a client (its secret leaves memory). */
  forget(key: string): void {
    this.clients.delete(key);
  }

  /**
   * The request with its scope filled in when it names none (see chooseScope), and whether the
   * caller asks to remember the scope it names (a step-up won a wider one).
   */
  async withScope(
    serverUrl: string,
    asked: ClientCredentialsSpec,
  ): Promise<{ spec: Omit<ClientCredentialsSpec, 'rememberScope'>; rememberScope: boolean }> {
    const { rememberScope, ...spec } =
      asked.scope === undefined ? { ...asked, scope: await this.chooseScope(serverUrl, asked) } : asked;
    return { spec, rememberScope: rememberScope === true };
  }

  /** Remembers the scope to use for this server and client when a request names none. */
  rememberScope(serverUrl: string, clientId: string, scope: string | undefined): void {
    this.chosenScopes.set(`${serverUrl}#${clientId}`, scope);
  }

  /**
   * The scope of a client-credentials request that names none: the one remembered for this
   * server and client, else the MCP scope selection (the 401 challenge's `scope`, else the
   * protected-resource metadata's `scopes_supported`), else none. A server without metadata
   * gets a request without scope, as before.
   * @see MCP authorization spec 2025-11-25 §"Scope Selection Strategy"
   */
  private async chooseScope(serverUrl: string, spec: ClientCredentialsSpec): Promise<string | undefined> {
    const key = `${serverUrl}#${spec.clientId}`;
    if (this.chosenScopes.has(key)) return this.chosenScopes.get(key);
    const running = this.choosing.get(key);
    if (running) return running;
    const discover = this.deps.discoverEndpoints;
    const flight = (async () => {
      if (!discover) return undefined;
      try {
        const scope = (await discover(serverUrl)).scope;
        this.chosenScopes.set(key, scope);
        return scope;
      } catch (err) {
        // With a token URL given, discovery is only a hint; without, minting reports the failure.
        if (!spec.tokenUrl) throw err;
        this.deps.logger.info({ serverUrl, err: (err as Error).message }, 'no scope discovered');
        return undefined;
      }
    })().finally(() => this.choosing.delete(key));
    this.choosing.set(key, flight);
    return flight;
  }

  /**
   * Takes in the caller's client (discovering its token endpoint when none is given and it is
   * new or changed) and finds its stored token, checking that the token may go to this caller.
   * `issuerNow` is asked, when the stored token's issuer still matches, for the authorization
   * server the server names now (null: no news).
   */
  async lookup(
    serverUrl: string,
    spec: ClientCredentialsSpec,
    issuerNow: (row: CredentialRow) => Promise<string | null>,
  ): Promise<ClientCredentialsLookup> {
    const key = clientCredentialsKey(serverUrl, spec.clientId, spec.scope);
    const known = this.clients.get(key);
    let changed =
      known !== undefined &&
      (known.clientSecret !== spec.clientSecret ||
        known.privateKey !== spec.privateKey ||
        known.authMethod !== spec.authMethod);
    if (!known || changed || (spec.tokenUrl && spec.tokenUrl !== known.tokenEndpoint)) {
      const endpoints = spec.tokenUrl
        ? { tokenEndpoint: spec.tokenUrl, issuer: null as string | null }
        : await this.discover(serverUrl);
      this.clients.set(key, {
        ...spec,
        tokenEndpoint: endpoints.tokenEndpoint,
        issuer: endpoints.issuer,
      });
    }
    const row = this.deps.store.getCredential(key);
    if (!spec.tokenUrl && row) await this.checkIssuer(key, row, issuerNow);
    // A token minted at another token endpoint than the one now configured is not handed out.
    if (row && row.tokenEndpoint !== this.clients.get(key)?.tokenEndpoint) changed = true;
    // A token goes only to a caller presenting the secret it was minted with: after a restart the
    // secret is no longer in memory, so the salted hash stored with the token decides.
    if (!known && row && !secretMatches(row.secretHash, spec)) changed = true;
    return { key, row, changed };
  }

  /**
   * A client's credentials belong to the authorization server that registered them: when the
   * server's metadata names another one than the client's token was minted at (seen at once, or
   * asked afresh when the server rejects that token), its secret is not sent to the new one.
   * @see MCP authorization spec 2026-07-28 §"Authorization Server Binding"
   */
  private async checkIssuer(
    key: string,
    row: CredentialRow,
    issuerNow: (row: CredentialRow) => Promise<string | null>,
  ): Promise<void> {
    const entry = this.clients.get(key);
    let current = entry?.issuer ?? null;
    if (current === row.issuer) current = (await issuerNow(row)) ?? current;
    if (!row.issuer || !current || current === row.issuer) return;
    // The next request discovers again (and meets the same refusal) instead of the old endpoint.
    this.clients.delete(key);
    this.deps.logger.warn(
      { key, serverUrl: row.serverUrl, issuer: row.issuer, currentIssuer: current },
      'authorization server changed; client credentials not sent to the new one',
    );
    throw new McptestError(
      'issuer_mismatch',
      `${row.serverUrl} now names the authorization server ${current}, but client ${row.clientId} was registered with ${row.issuer}; its secret is not sent to another authorization server`,
      {
        hint: `use a client registered at ${current} (--client-id, --client-secret-env), or name the token endpoint yourself: --token-url <url>`,
        details: {
          serverUrl: row.serverUrl,
          issuer: row.issuer,
          currentIssuer: current,
          clientId: row.clientId,
        },
      },
    );
  }

  private async discover(serverUrl: string): Promise<{ tokenEndpoint: string; issuer: string | null }> {
    if (!this.deps.discoverEndpoints) {
      throw new McptestError(
        'discovery_failed',
        `no token URL given for ${serverUrl} and discovery is unavailable`,
        {
          hint: 'set auth.oauth.token_url in the suite, or --token-url on the command line',
        },
      );
    }
    const found = await this.deps.discoverEndpoints(serverUrl);
    return { tokenEndpoint: found.tokenEndpoint, issuer: found.issuer };
  }

  /** The stored form of a minted token: the secret's salted hash, never the secret. */
  credential(
    key: string,
    serverUrl: string,
    cc: ClientCredentialsEntry,
    tokens: IssuedTokens,
  ): NewCredential {
    return {
      key,
      serverUrl,
      secretHash: secretDigest(cc, randomBytes(16)),
      source: 'client_credentials',
      accessToken: tokens.accessToken,
      refreshToken: null,
      tokenType: tokens.tokenType,
      scope: tokens.scope ?? cc.scope ?? null,
      expiresAt: tokens.expiresAt,
      issuer: cc.issuer,
      tokenEndpoint: cc.tokenEndpoint,
      revocationEndpoint: null,
      clientId: cc.clientId,
      clientSecret: null,
      authMethod: cc.authMethod,
      resource: cc.resource ?? serverUrl,
    };
  }

  /** Names the client id and the secret's env var in client-credentials refusals. */
  explain(e: McptestError, serverUrl: string, cc: ClientCredentialsSpec): McptestError {
    const secret = cc.secretEnv ? `the secret in env var \`${cc.secretEnv}\`` : 'its secret';
    const doctor = `mcptest doctor --url ${serverUrl} --client-id ${cc.clientId}${cc.secretEnv ? ` --client-secret-env ${cc.secretEnv}` : ''}`;
    if (e.code === 'invalid_client') {
      return new McptestError(
        'invalid_client',
        `the authorization server refused client \`${cc.clientId}\` with ${secret} (${e.message})`,
        { hint: `check the client id and ${secret}; diagnose with: ${doctor}`, details: e.details },
      );
    }
    if (e.code === 'invalid_scope') {
      return new McptestError(
        'invalid_scope',
        `the authorization server refused scope "${cc.scope ?? ''}" for client \`${cc.clientId}\` (${e.message})`,
        {
          hint: `ask for a scope the client is allowed (--scope / auth.oauth.scope); diagnose with: ${doctor}`,
          details: e.details,
        },
      );
    }
    return e;
  }
}
