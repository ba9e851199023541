import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from './cli.js';

export { ModernClient };

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

/**
 * `mcptest mcp-server` driven by an SDK v2 client pinned to the 2026-07-28 era: no initialize,
 * the protocol version and capabilities in `_meta` on every request.
 */
export async function startModernAgent(
  env: NodeJS.ProcessEnv,
  options: { cwd: string; args?: string[]; name?: string },
): Promise<ModernClient> {
  const { cleanup: _c, ...plain } = env as NodeJS.ProcessEnv & { cleanup?: unknown };
  const agent = new ModernClient(
    { name: options.name ?? 'agent-test-2026', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await agent.connect(
    new ModernStdioTransport({
      command: process.execPath,
      args: [CLI, 'mcp-server', ...(options.args ?? [])],
      env: plain as Record<string, string>,
      cwd: options.cwd,
      stderr: 'pipe',
    }),
    { timeout: 60_000 },
  );
  return agent;
}

/**
 * One tools/call to `mcptest mcp-server` over raw JSON-RPC lines, for checks on the exact order
 * of what the server writes: initializes, sends `request` (its id must not be 1), and returns
 * every message the server wrote after the initialize result, up to and including the answer.
 */
export async function rawAgentCall(
  env: NodeJS.ProcessEnv,
  cwd: string,
  request: { id: number; method: string; params: Record<string, unknown> },
): Promise<Array<Record<string, any>>> {
  const { cleanup: _c, ...plain } = env as NodeJS.ProcessEnv & { cleanup?: unknown };
  const child = spawn(process.execPath, [CLI, 'mcp-server'], {
    env: plain,
    cwd,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const send = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const seen: Array<Record<string, any>> = [];
  try {
    const lines = createInterface({ input: child.stdout });
    send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    for await (const line of lines) {
      const message = JSON.parse(line);
      if (message.id === 1) {
        send({ method: 'notifications/initialized' });
        send(request);
        continue;
      }
      seen.push(message);
      if (message.id === request.id) break;
    }
    return seen;
  } finally {
    child.stdin.end();
    child.kill();
  }
}
