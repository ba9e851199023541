import type { Command } from 'commander';
import type {
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
} from '@modelcontextprotocol/client';
import { printable } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';
import type { McpConnection } from '../mcp/connect.js';
import { withServerFromFlags } from '../connect-io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

/** One listing command: what it lists and how a line of it reads. */
interface Catalog<T> {
  name: 'prompts' | 'resources';
  description: string;
  /** The suite key that tests one item (docs/suite-format.md). */
  suiteKey: string;
  list(conn: McpConnection, signal: AbortSignal): Promise<T[]>;
  empty: string;
  format(item: T): string;
  /** A second list shown with the first (resource templates beside resources), under its JSON key. */
  companion?: {
    key: string;
    list(conn: McpConnection, signal: AbortSignal): Promise<unknown[]>;
    format(item: unknown): string;
  };
}

const PROMPTS: Catalog<Prompt> = {
  name: 'prompts',
  description: "list an MCP server's prompts: name, description and arguments (required or not)",
  suiteKey: 'prompt: NAME',
  list: async (conn, signal) => (await import('../mcp/list-tools.js')).listAllPrompts(conn, { signal }),
  empty: 'The server offers no prompts.',
  format: (p) =>
    [
      p.description ? `${p.name}  ${firstLine(p.description)}` : p.name,
      ...(p.arguments?.length
        ? p.arguments.map(
            (a) =>
              `    ${a.name}: string${a.required ? ' (required)' : ''}${a.description ? `  ${firstLine(a.description)}` : ''}`,
          )
        : ['    (no arguments)']),
    ].join('\n'),
};

const RESOURCES: Catalog<Resource> = {
  name: 'resources',
  description: "list an MCP server's resources and resource templates: URI, name, MIME type and description",
  suiteKey: 'resource: URI',
  list: async (conn, signal) => (await import('../mcp/list-tools.js')).listAllResources(conn, { signal }),
  empty: 'The server lists no resources.',
  format: (r) =>
    `${r.uri}  ${r.name}${r.mimeType ? ` (${r.mimeType})` : ''}${r.description ? `  ${firstLine(r.description)}` : ''}`,
  companion: {
    key: 'resourceTemplates',
    list: async (conn, signal) =>
      (await import('../mcp/list-tools.js')).listAllResourceTemplates(conn, { signal }),
    format: (item) => {
      const t = item as ResourceTemplate;
      return `${t.uriTemplate}  ${t.name} (template${t.mimeType ? `, ${t.mimeType}` : ''})${t.description ? `  ${firstLine(t.description)}` : ''}`;
    },
  },
};

/** `mcptest prompts` and `mcptest resources`: what a server offers besides tools, as `tools` lists those. */
export function registerCatalog(program: Command, io: CliIo, result: CommandResult): void {
  for (const catalog of [PROMPTS, RESOURCES] as Array<Catalog<unknown>>) {
    const cmd = program.command(catalog.name).description(catalog.description);
    addTargetOptions(cmd)
      .option('--json', `print the ${catalog.name} as JSON, as the server listed them`)
      .addHelpText(
        'after',
        `
Examples:
  mcptest ${catalog.name} --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN
  mcptest ${catalog.name} --command node --arg server.js --json

Test one in a suite with \`${catalog.suiteKey}\` (docs/suite-format.md). Exit codes as for tools:
0 listed, 3 the server refused our credentials, 1 other failures.`,
      )
      .action(async (opts: TargetFlags & { json?: boolean }) => {
        await withServerFromFlags(opts, io, async (conn) => {
          const { protocolJson, protocolNote } = await import('../mcp/era.js');
          const protocol = protocolJson(conn);
          if (!opts.json) io.stderr(`${protocolNote(conn)}\n`);
          if (!conn.capabilities?.[catalog.name]) {
            const note = `The server declares no ${catalog.name} capability.`;
            io.stdout(
              opts.json
                ? `${JSON.stringify({ [catalog.name]: [], note, protocol }, null, 2)}\n`
                : `${note}\n`,
            );
            return;
          }
          const items = await catalog.list(conn, io.signal);
          const companion = catalog.companion;
          const more = companion ? await companion.list(conn, io.signal) : [];
          if (opts.json)
            io.stdout(
              `${JSON.stringify({ server: conn.serverInfo ?? null, [catalog.name]: items, ...(companion ? { [companion.key]: more } : {}), protocol }, null, 2)}\n`,
            );
          else if (items.length === 0 && more.length === 0) io.stdout(`${catalog.empty}\n`);
          else {
            const lines = [...items.map(catalog.format), ...(companion ? more.map(companion.format) : [])];
            io.stdout(printable(`${lines.join('\n')}\n`));
          }
        });
        result.exitCode = 0;
      });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
