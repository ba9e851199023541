/**
 * The environment a self-started daemon gets: an explicit list, not the starting process's
 * whole environment. The daemon holds every refresh token of the user, so nothing that could
 * load code into it (`NODE_OPTIONS`, `LD_PRELOAD`, `NODE_PATH`) or point it elsewhere travels
 * with it unless named here.
 */

/**
 * Node flags a daemon runs with, spawned or under systemd: the young generation's semi-space
 * kept at 1 MiB. The token path's garbage is small and short-lived; with the default, 64 busy
 * clients grow the daemon by about 22 MiB, with this by about 9 (docs/performance.md).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** Variables passed through as they are. */
const PASSED = new Set([
  // Who and where the user is; where files and folders go.
  'HOME',
  'USER',
  'LOGNAME',
  'PATH',
  'TMPDIR',
  'TZ',
  'LANG',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_STATE_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  // TLS towards identity providers: extra CAs, the system store's place.
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Proxies, for when node's fetch honours them.
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
]);

/**
 * The daemon's environment, built from `env` (the real environment of the starting process:
 * `.env` files never enter it). mcptest's own `MCPTEST_*` settings travel; node options travel
 * only when given on purpose, as `MCPTEST_DAEMON_NODE_OPTIONS`.
 */
export function daemonEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (PASSED.has(name) || name.startsWith('LC_') || name.startsWith('MCPTEST_')) out[name] = value;
  }
  if (env.MCPTEST_DAEMON_NODE_OPTIONS) out.NODE_OPTIONS = env.MCPTEST_DAEMON_NODE_OPTIONS;
  return out;
}
