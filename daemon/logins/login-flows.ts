/**
 * The kinds of login this daemon runs (device, browser), wired to the discovery and client
 * registration they share. build-daemon.ts imports this module lazily, on the first login route
 * or when a stored login is resumed: with it load the flows, the loopback listener, discovery,
 * registration and the OAuth exchanges of a login, none of which a daemon that only hands out
 * tokens needs.
 */
import type { DaemonContext } from '../context.js';
import { type DiscoveredAuth, discoverAuthorization } from '../oauth/discovery.js';
import { resolveClient } from '../oauth/registration.js';
import { browserLoginFlow } from './browser-login.js';
import { type DeviceLoginDeps, deviceLoginFlow } from './device-login.js';
import type { LoginFlow } from './login-registry.js';

/** Every kind of login, for the login registry. */
export function loginFlows(ctx: DaemonContext): LoginFlow[] {
  return [deviceLoginFlow(ctx, deviceDeps(ctx)), browserLoginFlow(ctx)];
}

/** The device flow uses the same discovery and client registration as the browser flow. */
function deviceDeps(ctx: DaemonContext): DeviceLoginDeps {
  const deps = { ...ctx.oauth, store: ctx.store };
  return {
    discover: (serverUrl, options) => discoverAuthorization(deps, serverUrl, options),
    resolveClient: (discovered, options) => resolveClient(deps, discovered as DiscoveredAuth, options),
  };
}
