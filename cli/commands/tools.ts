import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import { withServerFromFlags } from '../connect-io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';
import { formatTools, toolParams } from '../mcp/tool-text.js';

export { type ToolParam, toolParams } from '../mcp/tool-text.js';

/** `mcptest tools`: list a server's tools with their input parameters. */
export function registerTools(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('tools')
    .description("list an MCP server's tools: name, description and input parameters (type, required)");
  addTargetOptions(cmd)
    .option('--json', 'print the tools as JSON (name, description, inputSchema, params)')
    .addHelpText(
      'after',
      `
Examples:
  mcptest tools --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN
  mcptest tools --url https://mcp.example.com/mcp            # uses a cached login, if any
  mcptest tools --url https://mcp.example.com/mcp --client-id ci --client-secret-env CI_SECRET
  mcptest tools --command node --arg server.js --json

Exit codes: 0 listed, 3 the server refused our credentials (the message says which input to
fix and prints a \`mcptest doctor\` line), 1 other failures.`,
    )
    .action(async (opts: TargetFlags & { json?: boolean }) => {
      await withServerFromFlags(opts, io, async (conn) => {
        const { protocolJson, protocolNote } = await import('../mcp/era.js');
        const protocol = protocolJson(conn);
        if (!opts.json) io.stderr(`${protocolNote(conn)}\n`);
        if (!conn.capabilities?.tools) {
          // As `prompts` and `resources` say: nothing to list is not a failure.
          const note = 'The server declares no tools capability.';
          io.stdout(opts.json ? `${JSON.stringify({ tools: [], note, protocol }, null, 2)}\n` : `${note}\n`);
          return;
        }
        const { listAllTools } = await import('../mcp/list-tools.js');
        const tools = await listAllTools(conn, { signal: io.signal });
        if (opts.json) {
          const out = tools.map((t) => ({ ...t, params: toolParams(t.inputSchema) }));
          io.stdout(
            `${JSON.stringify({ server: conn.serverInfo ?? null, tools: out, protocol }, null, 2)}\n`,
          );
        } else {
          io.stdout(formatTools(tools));
        }
      });
      result.exitCode = 0;
    });
}
