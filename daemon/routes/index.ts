import type { FastifyInstance } from 'fastify';
import type { DaemonContext } from '../context.js';
import { registerCredentials } from './handle-credentials.js';
import { registerHealth } from './handle-health.js';
import { registerLogins } from './handle-logins.js';
import { registerStatus } from './handle-status.js';
import { registerToken } from './handle-token.js';

/** Every IPC route of the daemon. A new verb is a `handle-<verb>.ts` file added here. */
export const ROUTES: ReadonlyArray<(app: FastifyInstance, ctx: DaemonContext) => void> = [
  registerHealth,
  registerStatus,
  registerToken,
  registerCredentials,
  registerLogins,
];
