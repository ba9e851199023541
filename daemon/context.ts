import type { Logger } from './logger.js';
import type { Clock } from '../shared/clock.js';
import type { McptestPaths } from '../shared/paths.js';
import type { LoginRegistry } from './logins/login-registry.js';
import type { Metrics } from './metrics.js';
import type { OAuthContext } from './oauth/token-endpoint.js';
import type { TokenStore } from './store/token-store.js';
import type { TokenService } from './tokens/token-service.js';

/** What every route handler of the daemon may use. Built once, whole, by buildDaemon; routes only read it. */
export interface DaemonContext {
  store: TokenStore;
  tokens: TokenService;
  clock: Clock;
  paths: McptestPaths;
  metrics: Metrics;
  logger: Logger;
  oauth: OAuthContext;
  /** The key the health route answers challenges with; null when none was given (tests). */
  daemonKey: Buffer | null;
  startedAt: number;
  managedBy: 'self' | 'systemd';
  /** Idle exit period in seconds, or null when the daemon never exits by itself. */
  idleExitSeconds: number | null;
  /** Time of the last IPC request, for the idle exit. */
  lastActivity: number;
  /** Asks the entry point to stop the daemon gracefully. */
  requestShutdown: (reason: string) => void;
  /** Hooks run on close (login listeners, pollers). */
  onClose: Array<() => Promise<unknown> | unknown>;
  /** The logins that wait for a human (their flows load on first use). */
  logins: LoginRegistry;
  /** Number of logins waiting for a human; the idle exit waits for them. */
  pendingLogins: () => number;
}
