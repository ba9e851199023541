import type { IpcRouter } from '../ipc-server.js';
import type { DaemonContext } from '../context.js';
import { registerCredentials } from './handle-credentials.js';
import { registerHealth } from './handle-health.js';
import { registerLogins } from './handle-logins.js';
import { registerStatus } from './handle-status.js';
import { registerToken } from './handle-token.js';

/** Every IPC route of the daemon. A new verb is a `handle-<verb>.ts` file added here. */
export const ROUTES: ReadonlyArray<(app: IpcRouter, ctx: DaemonContext) => void> = [
  registerHealth,
  registerStatus,
  registerToken,
  registerCredentials,
  registerLogins,
];
