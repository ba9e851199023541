import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';

export type RegisterCommand = (program: Command, io: CliIo, result: CommandResult) => void;

/**
 * Every top-level command: the names it registers and how to load its module. A new verb is a
 * `cli/commands/<verb>.ts` file with a register function, added here. Modules load on demand:
 * a process loads only the module of the command it runs (all of them only for top-level help
 * or an unknown name), and heavy modules are imported inside each action, so start-up stays fast.
 */
export const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<RegisterCommand> }> = [
  { names: ['daemon'], load: async () => (await import('./daemon.js')).registerDaemon },
  { names: ['auth'], load: async () => (await import('./auth.js')).registerAuth },
  { names: ['logout'], load: async () => (await import('./logout.js')).registerLogout },
  { names: ['login'], load: async () => (await import('./login.js')).registerLogin },
  { names: ['tools'], load: async () => (await import('./tools.js')).registerTools },
  { names: ['prompts', 'resources'], load: async () => (await import('./catalog.js')).registerCatalog },
  { names: ['call'], load: async () => (await import('./call.js')).registerCall },
  { names: ['load'], load: async () => (await import('./load.js')).registerLoad },
  { names: ['get-prompt'], load: async () => (await import('./get-prompt.js')).registerGetPrompt },
  { names: ['read'], load: async () => (await import('./read.js')).registerRead },
  { names: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctor },
  { names: ['run'], load: async () => (await import('./run.js')).registerRun },
  {
    names: ['merge-reports'],
    load: async () => (await import('./merge-reports.js')).registerMergeReports,
  },
  { names: ['schema'], load: async () => (await import('./schema.js')).registerSchema },
  { names: ['scaffold'], load: async () => (await import('./scaffold.js')).registerScaffold },
  { names: ['proxy'], load: async () => (await import('./proxy.js')).registerProxy },
  { names: ['bridge'], load: async () => (await import('./bridge.js')).registerBridge },
  { names: ['conformance'], load: async () => (await import('./conformance.js')).registerConformance },
  { names: ['snapshot'], load: async () => (await import('./snapshot.js')).registerSnapshot },
  { names: ['diff'], load: async () => (await import('./diff.js')).registerDiff },
  { names: ['mcp-server'], load: async () => (await import('./mcp-server.js')).registerMcpServer },
];
