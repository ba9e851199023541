import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from './cli.js';

/**
 * `mcptest mcp-server` (the real built CLI) driven by the SDK Client over stdio, as an agent
 * drives it. `env` is the server process's whole environment; `args` go after `mcp-server`.
 */
export async function startAgent(
  env: NodeJS.ProcessEnv,
  options: { cwd: string; args?: string[]; name?: string },
): Promise<Client> {
  const { cleanup: _c, ...plain } = env as NodeJS.ProcessEnv & { cleanup?: unknown };
  const agent = new Client({ name: options.name ?? 'agent-test', version: '1.0.0' });
  await agent.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp-server', ...(options.args ?? [])],
      env: plain as Record<string, string>,
      cwd: options.cwd,
      stderr: 'pipe',
    }),
  );
  return agent;
}
