/**
 * INTERIM: a minimal discovery + client resolution for device logins, used until
 * daemon/oauth/discovery.ts and daemon/oauth/registration.ts (the browser-login work) land; the
 * device flow then switches to them. RFC 9728 PRM (well-known), RFC 8414 metadata, and DCR
 * (RFC 7591) cached by server URL in the store's client registrations.
 */
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  registerClient,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type * as oauth from 'oauth4webapi';
import { McptestError } from '../../shared/errors.js';
import type { DaemonContext } from '../context.js';
import type { DeviceLoginDeps } from './device-login.js';

export function interimDeviceDeps(ctx: DaemonContext): DeviceLoginDeps {
  const fetchFn = ctx.oauth.fetch;
  return {
    async discover(serverUrl, options) {
      let prm: Awaited<ReturnType<typeof discoverOAuthProtectedResourceMetadata>>;
      try {
        prm = await discoverOAuthProtectedResourceMetadata(serverUrl, {}, fetchFn);
      } catch (err) {
        throw new McptestError(
          'discovery_failed',
          `no protected-resource metadata for ${serverUrl}: ${(err as Error).message}`,
          {
            hint: `mcptest doctor --url ${serverUrl}`,
          },
        );
      }
      const issuer = prm.authorization_servers?.[0];
      if (!issuer) {
        throw new McptestError(
          'discovery_failed',
          `the metadata of ${serverUrl} names no authorization server`,
          {
            hint: `mcptest doctor --url ${serverUrl}`,
          },
        );
      }
      const as = await discoverAuthorizationServerMetadata(issuer, { fetchFn });
      if (!as) {
        throw new McptestError('discovery_failed', `no authorization server metadata at ${issuer}`, {
          hint: `curl -s ${issuer}/.well-known/oauth-authorization-server`,
        });
      }
      return {
        serverUrl,
        resource: prm.resource ?? serverUrl,
        issuer: as.issuer,
        as: as as unknown as oauth.AuthorizationServer,
        scope: options.scope ?? prm.scopes_supported?.join(' ') ?? null,
      };
    },

    async resolveClient(discovered, options) {
      if (options.clientId) {
        return {
          clientId: options.clientId,
          clientSecret: options.clientSecret ?? null,
          authMethod: options.clientSecret ? 'client_secret_basic' : 'none',
        };
      }
      const cached = options.force ? undefined : ctx.store.getClient(discovered.serverUrl);
      if (cached && cached.issuer === discovered.issuer) {
        const method = (cached.metadata.token_endpoint_auth_method as string | undefined) ?? 'none';
        return { clientId: cached.clientId, clientSecret: cached.clientSecret, authMethod: method };
      }
      const endpoint = discovered.as.registration_endpoint;
      if (!endpoint) {
        throw new McptestError(
          'registration_failed',
          `${discovered.issuer} offers no dynamic client registration`,
          {
            hint: `mcptest login --device --url ${discovered.serverUrl} --client-id <id>`,
          },
        );
      }
      const info = await registerClient(discovered.issuer, {
        metadata: discovered.as as never,
        clientMetadata: {
          client_name: 'mcptest',
          redirect_uris: options.redirectUris,
          grant_types: options.grantTypes,
          response_types: [],
          token_endpoint_auth_method: 'none',
        } as never,
        fetchFn,
      }).catch((err: Error) => {
        throw new McptestError(
          'registration_failed',
          `client registration at ${endpoint} failed: ${err.message}`,
          {
            hint: `mcptest login --device --url ${discovered.serverUrl} --force`,
          },
        );
      });
      ctx.store.putClient({
        serverUrl: discovered.serverUrl,
        issuer: discovered.issuer,
        clientId: info.client_id,
        clientSecret: info.client_secret ?? null,
        method: 'dcr',
        metadata: {
          grant_types: options.grantTypes,
          token_endpoint_auth_method: info.token_endpoint_auth_method ?? 'none',
        },
        createdAt: ctx.clock.now(),
      });
      return {
        clientId: info.client_id,
        clientSecret: info.client_secret ?? null,
        authMethod: info.token_endpoint_auth_method ?? 'none',
      };
    },
  };
}
