import type { Command } from 'commander';
import { printable } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

/** `mcptest prompts` and `mcptest resources`: what a server offers besides tools, as `tools` lists those. */
export function registerCatalog(program: Command, io: CliIo, result: CommandResult): void {
  const prompts = program
    .command('prompts')
    .description("list an MCP server's prompts: name, description and arguments (required or not)");
  addTargetOptions(prompts)
    .option('--json', 'print the prompts as JSON, as the server listed them')
    .addHelpText(
      'after',
      `
Examples:
  mcptest prompts --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN
  mcptest prompts --command node --arg server.js --json

Test one in a suite with \`prompt: NAME\` (docs/suite-format.md). Exit codes as for tools:
0 listed, 3 the server refused our credentials, 1 other failures.`,
    )
    .action(async (opts: TargetFlags & { json?: boolean }) => {
      const { listAllPrompts } = await import('../mcp/list-tools.js');
      await withServer(io, opts, async (conn) => {
        if (!conn.capabilities?.prompts)
          return say(opts, 'prompts', 'The server declares no prompts capability.');
        const list = await listAllPrompts(conn, { signal: io.signal });
        if (opts.json)
          return io.stdout(
            `${JSON.stringify({ server: conn.serverInfo ?? null, prompts: list }, null, 2)}\n`,
          );
        if (list.length === 0) return io.stdout('The server offers no prompts.\n');
        const blocks = list.map((p) => {
          const lines = [p.description ? `${p.name}  ${firstLine(p.description)}` : p.name];
          if (!p.arguments?.length) lines.push('    (no arguments)');
          for (const a of p.arguments ?? []) {
            lines.push(
              `    ${a.name}: string${a.required ? ' (required)' : ''}${a.description ? `  ${firstLine(a.description)}` : ''}`,
            );
          }
          return lines.join('\n');
        });
        io.stdout(printable(`${blocks.join('\n')}\n`));
      });
      result.exitCode = 0;
    });

  const resources = program
    .command('resources')
    .description("list an MCP server's resources: URI, name, MIME type and description");
  addTargetOptions(resources)
    .option('--json', 'print the resources as JSON, as the server listed them')
    .addHelpText(
      'after',
      `
Examples:
  mcptest resources --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN
  mcptest resources --command node --arg server.js --json

Test one in a suite with \`resource: URI\` (docs/suite-format.md). Exit codes as for tools:
0 listed, 3 the server refused our credentials, 1 other failures.`,
    )
    .action(async (opts: TargetFlags & { json?: boolean }) => {
      const { listAllResources } = await import('../mcp/list-tools.js');
      await withServer(io, opts, async (conn) => {
        if (!conn.capabilities?.resources)
          return say(opts, 'resources', 'The server declares no resources capability.');
        const list = await listAllResources(conn, { signal: io.signal });
        if (opts.json)
          return io.stdout(
            `${JSON.stringify({ server: conn.serverInfo ?? null, resources: list }, null, 2)}\n`,
          );
        if (list.length === 0) return io.stdout('The server lists no resources.\n');
        const lines = list.map(
          (r) =>
            `${r.uri}  ${r.name}${r.mimeType ? ` (${r.mimeType})` : ''}${r.description ? `  ${firstLine(r.description)}` : ''}`,
        );
        io.stdout(printable(`${lines.join('\n')}\n`));
      });
      result.exitCode = 0;
    });

  function say(opts: { json?: boolean }, key: string, text: string): void {
    io.stdout(opts.json ? `${JSON.stringify({ [key]: [], note: text }, null, 2)}\n` : `${text}\n`);
  }
}

async function withServer(
  io: CliIo,
  opts: TargetFlags,
  fn: (conn: import('../mcp/connect.js').McpConnection) => Promise<void>,
): Promise<void> {
  const { targetFromOptions } = await import('../mcp/target-options.js');
  const { connectToServer } = await import('../mcp/connect.js');
  const { cliConnectIo } = await import('../mcp/step-up.js');
  const conn = await connectToServer(targetFromOptions(opts), cliConnectIo(io));
  try {
    await fn(conn);
  } finally {
    await conn.close();
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
