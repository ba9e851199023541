import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { printable } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';
import { withServerFromFlags } from '../connect-io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

type Contents = Array<{ uri: string; mimeType?: string; text?: string; blob?: string }>;

/** `mcptest read`: read one resource (resources/read) and print its contents. */
export function registerRead(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('read')
    .description('read one resource of an MCP server and print its contents')
    .argument('<uri>', 'the resource URI (see `mcptest resources`)');
  addTargetOptions(cmd)
    .option('--json', 'print the whole ReadResourceResult as JSON (blobs stay base64)')
    .option('--output <file>', 'write the contents as bytes to a file (text as UTF-8, blobs decoded)')
    .addHelpText(
      'after',
      `
Output: text contents as they are; a blob as a one-line summary (URI, MIME type, size) on a
terminal and as its base64 when piped; --json prints the whole result; --output writes the bytes.

Examples:
  mcptest read --url https://mcp.example.com/mcp example://weather/cities
  mcptest read --url https://mcp.example.com/mcp example://images/pixel.png --output pixel.png

Exit codes: 0 read, 1 a failure (an unknown resource), 3 the server refused our credentials.`,
    )
    .action(async (uri: string, opts: TargetFlags & { json?: boolean; output?: string }) => {
      await withServerFromFlags(opts, io, async (conn) => {
        let res: Awaited<ReturnType<typeof conn.client.readResource>>;
        try {
          res = await conn.client.readResource(
            { uri },
            { timeout: conn.target.timeoutMs, signal: io.signal },
          );
        } catch (err) {
          const explained = conn.explain(err);
          throw (
            (explained.code.startsWith('auth')
              ? null
              : await (await import('../mcp/unknown-item.js')).unknownResource(conn, uri, explained)) ??
            explained
          );
        }
        const contents = res.contents as Contents;
        if (opts.output !== undefined) {
          const file = path.resolve(io.cwd, opts.output);
          const bytes = Buffer.concat(
            contents.map((c) =>
              typeof c.blob === 'string' ? Buffer.from(c.blob, 'base64') : Buffer.from(c.text ?? '', 'utf8'),
            ),
          );
          try {
            fs.writeFileSync(file, bytes);
          } catch (err) {
            throw new McptestError(
              'invalid_request',
              `cannot write ${opts.output}: ${(err as Error).message}`,
            );
          }
          io.stderr(`wrote ${bytes.length} bytes of ${uri} to ${opts.output}\n`);
        } else if (opts.json) {
          const { protocolJson } = await import('../mcp/era.js');
          io.stdout(`${JSON.stringify({ ...res, protocol: protocolJson(conn) }, null, 2)}\n`);
        }
        // On a terminal, a resource cannot steer it; piped, it passes through exactly as it came.
        else {
          const { protocolNote } = await import('../mcp/era.js');
          io.stderr(`${protocolNote(conn)}\n`);
          io.stdout(
            io.stdoutIsTTY ? printable(formatContents(contents, true)) : formatContents(contents, false),
          );
        }
      });
      result.exitCode = 0;
    });
}

function formatContents(contents: Contents, terminal: boolean): string {
  const out = contents.map((c) => {
    if (typeof c.text === 'string') return c.text.endsWith('\n') ? c.text : `${c.text}\n`;
    if (typeof c.blob === 'string') {
      return terminal
        ? `[blob ${c.uri} ${c.mimeType ?? '(no MIME type)'}, ${Buffer.from(c.blob, 'base64').length} bytes; --output FILE writes it]\n`
        : `${c.blob}\n`;
    }
    return `${JSON.stringify(c)}\n`;
  });
  return out.length ? out.join('') : '(no contents)\n';
}
