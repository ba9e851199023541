import type { Command } from 'commander';
import { printable } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';
import { withServerFromFlags } from '../connect-io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

/** One input parameter of a tool, as `tools` shows it. */
export interface ToolParam {
  name: string;
  type: string;
  required: boolean;
  description?: string;
}

/** Flattens a tool's JSON Schema input into a parameter list (top-level properties only). */
export function toolParams(schema: unknown): ToolParam[] {
  const s = (schema ?? {}) as { properties?: Record<string, any>; required?: unknown };
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    type: schemaType(prop),
    required: required.has(name),
    ...(typeof prop?.description === 'string' ? { description: prop.description } : {}),
  }));
}

function schemaType(prop: any): string {
  if (!prop || typeof prop !== 'object') return 'any';
  if (Array.isArray(prop.enum)) return prop.enum.map((v: unknown) => JSON.stringify(v)).join('|');
  if (Array.isArray(prop.type)) return prop.type.join('|');
  if (prop.type === 'array') return `${schemaType(prop.items)}[]`;
  if (typeof prop.type === 'string') return prop.type;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(prop[key])) return prop[key].map(schemaType).join('|');
  }
  return 'any';
}

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
          io.stdout(printable(formatTools(tools)));
        }
      });
      result.exitCode = 0;
    });
}

function formatTools(tools: Array<{ name: string; description?: string; inputSchema: unknown }>): string {
  if (tools.length === 0) return 'The server offers no tools.\n';
  const blocks = tools.map((t) => {
    const lines = [t.description ? `${t.name}  ${firstLine(t.description)}` : t.name];
    const params = toolParams(t.inputSchema);
    if (params.length === 0) lines.push('    (no parameters)');
    for (const p of params) {
      lines.push(
        `    ${p.name}: ${p.type}${p.required ? ' (required)' : ''}${p.description ? `  ${firstLine(p.description)}` : ''}`,
      );
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n')}\n`;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
