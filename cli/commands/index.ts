import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import { registerAuth } from './auth.js';
import { registerCall } from './call.js';
import { registerDaemon } from './daemon.js';
import { registerDoctor } from './doctor.js';
import { registerTools } from './tools.js';
import { registerLogin } from './login.js';
import { registerRun } from './run.js';
import { registerSchema } from './schema.js';
import { registerMcpServer } from './mcp-server.js';
import { registerScaffold } from './scaffold.js';

/**
 * Every top-level command. A new verb is a `cli/commands/<verb>.ts` file with a register
 * function, added here; heavy modules are imported inside its action so start-up stays fast.
 */
export const COMMANDS: ReadonlyArray<(program: Command, io: CliIo, result: CommandResult) => void> = [
  registerDaemon,
  registerAuth,
  registerLogin,
  registerTools,
  registerCall,
  registerDoctor,
  registerRun,
  registerSchema,
  registerScaffold,
  registerMcpServer,
];
