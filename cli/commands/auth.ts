import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import { registerAuthHeaders } from './auth/headers.js';
import { registerAuthStatus } from './auth/status.js';
import { registerAuthToken } from './auth/token.js';

/**
 * `mcptest auth status|token|headers`: one module per verb under `auth/`, each a register
 * function (flags) and a run function (doing, with injected IO). `logout` is `logout.ts`.
 */
export function registerAuth(program: Command, io: CliIo, result: CommandResult): void {
  const auth = program
    .command('auth')
    .description('inspect cached credentials and hand tokens to scripts and other programs');
  registerAuthStatus(auth, io);
  registerAuthToken(auth, io);
  registerAuthHeaders(auth, io, result);
}
