import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

/** `mcptest snapshot`: records what a server offers as a reviewable surface file. */
export function registerSnapshot(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('snapshot')
    .description(
      "record a server's surface (server info, server/discover, capabilities, tools with their schemas and annotations, prompts, resources, templates) as stable JSON to review and diff",
    );
  addTargetOptions(cmd)
    .option('-o, --output <file>', 'write the surface to FILE (replaced when it differs) instead of stdout')
    .option('--json', 'with -o: print what was written as JSON ({ file, status, counts, protocol })')
    .addHelpText(
      'after',
      `
Examples:
  mcptest snapshot --url https://mcp.example.com/mcp -o surface.json
  mcptest snapshot --command node --arg server.js > surface.json
  mcptest snapshot --url http://127.0.0.1:3000/mcp --protocol 2025-11-25 -o surface-2025.json
  mcptest diff surface.json --url https://mcp.example.com/mcp    # what changed since

The file ("format": "mcptest-surface/1") has sorted keys and no volatile fields (_meta, cache
hints, lastModified), so recording an unchanged server twice gives the same bytes; tools,
prompts and resources are keyed by name or URI. It says the era it was recorded in. Commit it,
compare it with \`mcptest diff\`, or check it in a suite with \`snapshot: surface.json\`
(docs/suite-format.md).

Exit codes: 0 recorded, 2 bad flags, 3 the server refused our credentials, 1 other failures.`,
    )
    .action(async (opts: TargetFlags & { output?: string; json?: boolean }) => {
      const { requireOneTarget } = await import('../mcp/target-options.js');
      requireOneTarget(
        opts,
        `mcptest snapshot --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN -o ${opts.output ?? 'surface.json'}`,
      );
      const [
        { withServerFromFlags },
        { protocolJson, protocolNote },
        { recordConnection },
        { surfaceCounts },
      ] = await Promise.all([
        import('../connect-io.js'),
        import('../mcp/era.js'),
        import('../surface/record.js'),
        import('../surface/render.js'),
      ]);
      await withServerFromFlags(opts, io, async (conn) => {
        const surface = await recordConnection(conn, io.signal);
        if (!opts.output) {
          if (!opts.json) io.stderr(`${protocolNote(conn)}: ${surfaceCounts(surface)}\n`);
          const { surfaceText } = await import('../surface/format.js');
          io.stdout(surfaceText(surface));
          return;
        }
        const { writeSurfaceFile } = await import('../surface/file.js');
        const status = writeSurfaceFile(surface, opts.output, io.cwd);
        if (opts.json) {
          io.stdout(
            `${JSON.stringify(
              {
                file: opts.output,
                status,
                counts: {
                  tools: Object.keys(surface.tools).length,
                  prompts: Object.keys(surface.prompts).length,
                  resources: Object.keys(surface.resources).length,
                  resourceTemplates: Object.keys(surface.resourceTemplates).length,
                },
                server: surface.server,
                protocol: protocolJson(conn),
              },
              null,
              2,
            )}\n`,
          );
        } else {
          io.stderr(`${protocolNote(conn)}\n${opts.output} ${status}: ${surfaceCounts(surface)}\n`);
        }
      });
      result.exitCode = 0;
    });
}
