import type { Command } from 'commander';
import { ExitCode, McptestError } from '../../shared/errors.js';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

const FAIL_ON = ['breaking', 'risky', 'compatible', 'never'] as const;

/** `mcptest diff OLD [NEW]`: the semantic diff of two surface snapshots, or of one and the live server. */
export function registerDiff(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('diff')
    .description(
      'compare two surface snapshots (or one and the live server) and classify every change as breaking, risky or compatible',
    )
    .argument('<old>', 'the earlier surface file (from mcptest snapshot)')
    .argument(
      '[new]',
      'the later surface file; omit it and give --url or --command to compare with the live server',
    );
  addTargetOptions(cmd)
    .option(
      '--fail-on <class>',
      `exit ${ExitCode.changes} when a change is at least this severe: ${FAIL_ON.join(' | ')}`,
      'breaking',
    )
    .option(
      '--json',
      'print the changes as JSON ({ format: "mcptest-diff/1", summary, changes: [{ class, pointer, message }] })',
    )
    .addHelpText(
      'after',
      `
Examples:
  mcptest diff surface.json surface-new.json
  mcptest diff surface.json --url https://mcp.example.com/mcp          # against the live server
  mcptest diff surface.json --command node --arg server.js --fail-on risky
  mcptest diff old.json new.json --json | jq '.changes[] | select(.class == "breaking")'

Every change is one line: its class, the JSON pointer into both files, and what changed.
  breaking    a tool, prompt, resource or template removed or renamed, a capability or protocol
              version dropped, a parameter removed or now required, an input type narrowed, an
              enum value no longer accepted, an input bound tightened, an outputSchema or output
              property removed, an output type widened
  risky       a description changed a lot (word similarity under 0.5), a behaviour hint such as
              destructiveHint or readOnlyHint flipped, an output property no longer always
              present, a default changed, a schema keyword such as pattern or anyOf changed
  compatible  new tools, prompts, resources and optional parameters, widened inputs, narrowed
              outputs, reworded descriptions, a server version bump

Exit codes: 0 nothing at or above --fail-on (breaking by default; never: always 0),
${ExitCode.changes} changes at or above it, 2 bad flags or a file that is no surface snapshot,
3 the live server refused our credentials, 1 other failures.`,
    )
    .action(
      async (
        oldFile: string,
        newFile: string | undefined,
        opts: TargetFlags & { failOn: string; json?: boolean },
      ) => {
        if (!(FAIL_ON as readonly string[]).includes(opts.failOn)) {
          throw new McptestError(
            'invalid_request',
            `--fail-on takes ${FAIL_ON.join(', ')}, not ${JSON.stringify(opts.failOn)}`,
            {
              hint: `mcptest diff ${oldFile} ${newFile ?? '--url URL'} --fail-on risky`,
            },
          );
        }
        const live = Boolean(opts.url || opts.command);
        if (newFile !== undefined && live) {
          throw new McptestError(
            'invalid_request',
            'give a NEW file or --url/--command for the live side, not both',
            {
              hint: `mcptest diff ${oldFile} ${newFile}`,
            },
          );
        }
        if (newFile === undefined && !live) {
          throw new McptestError(
            'invalid_request',
            'diff needs a second side: a NEW surface file, or --url/--command for the live server',
            {
              hint: `mcptest diff ${oldFile} --url https://mcp.example.com/mcp`,
            },
          );
        }
        const [{ readSurfaceFile }, { diffSurfaces }, render] = await Promise.all([
          import('../surface/file.js'),
          import('../surface/diff.js'),
          import('../surface/render.js'),
        ]);
        const before = readSurfaceFile(oldFile, io.cwd);
        let after: Awaited<ReturnType<typeof readSurfaceFile>>;
        let newName: string;
        if (newFile !== undefined) {
          after = readSurfaceFile(newFile, io.cwd);
          newName = newFile;
        } else {
          const [{ withServerFromFlags }, { protocolNote }, { recordConnection }] = await Promise.all([
            import('../connect-io.js'),
            import('../mcp/era.js'),
            import('../surface/record.js'),
          ]);
          const recorded = await withServerFromFlags(opts, io, async (conn) => {
            if (!opts.json) io.stderr(`${protocolNote(conn)}\n`);
            return {
              surface: await recordConnection(conn, io.signal),
              name:
                conn.serverUrl ??
                `stdio server \`${[conn.target.command, ...(conn.target.args ?? [])].join(' ')}\``,
            };
          });
          after = recorded.surface;
          newName = recorded.name;
        }
        const failOn = opts.failOn as (typeof FAIL_ON)[number];
        const changes = diffSurfaces(before, after);
        const exitCode = render.failingChanges(changes, failOn).length > 0 ? ExitCode.changes : ExitCode.ok;
        io.stdout(
          opts.json
            ? render.renderJson(changes, failOn, oldFile, newName, exitCode)
            : render.renderHuman(changes, failOn, oldFile, newName),
        );
        result.exitCode = exitCode;
      },
    );
}
