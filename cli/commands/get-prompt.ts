import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { printable } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';
import { withServerFromFlags } from '../connect-io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';
import { parseToolArgs } from './call.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The prompt arguments from `--argument KEY=VALUE` (repeatable) and `--args JSON` /
 * `--args-file`; prompt arguments are strings (MCP spec 2025-11-25, "Prompts").
 */
export function parsePromptArgs(
  opts: { argument?: string[]; args?: string; argsFile?: string },
  cwd: string,
  prompt: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseToolArgs(opts, cwd, prompt, 'get-prompt'))) {
    if (typeof value !== 'string') {
      throw new McptestError(
        'invalid_request',
        `prompt arguments are strings; ${name} is ${value === null ? 'null' : typeof value}`,
        {
          hint: `quote it: --args '{"${name}":"${String(value)}"}'  (or --argument ${name}=${String(value)})`,
        },
      );
    }
    out[name] = value;
  }
  for (const pair of opts.argument ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new McptestError('invalid_request', `--argument takes KEY=VALUE, not ${JSON.stringify(pair)}`, {
        hint: `mcptest get-prompt ... ${prompt} --argument code='print(1)'`,
      });
    }
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** `mcptest get-prompt`: get one prompt (prompts/get) and print its messages. */
export function registerGetPrompt(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('get-prompt')
    .description('get one prompt of an MCP server and print its messages')
    .argument('<name>', 'the prompt name (see `mcptest prompts`)');
  addTargetOptions(cmd)
    .option('--argument <key=value>', 'a prompt argument (repeat for several)', collect)
    .option('--args <json>', 'the prompt arguments as a JSON object of strings')
    .option('--args-file <path>', 'read the prompt arguments (a JSON object of strings) from a file')
    .option('--json', 'print the whole GetPromptResult as JSON')
    .addHelpText(
      'after',
      `
Output: each message as its role and its text; images, audio and resources as a one-line
summary; --json prints the whole result. (--arg belongs to --command, as for every command.)

Examples:
  mcptest get-prompt --url https://mcp.example.com/mcp review_code --argument code='print(1)' --argument language=python
  mcptest get-prompt --command node --arg server.js review_code --args '{"code":"x = 1"}' --json

Exit codes: 0 the prompt was got, 1 a failure (an unknown prompt, missing arguments), 3 the
server refused our credentials.`,
    )
    .action(
      async (
        name: string,
        opts: TargetFlags & { argument?: string[]; args?: string; argsFile?: string; json?: boolean },
      ) => {
        const args = parsePromptArgs(opts, io.cwd, name);
        await withServerFromFlags(opts, io, async (conn) => {
          let res: Awaited<ReturnType<typeof conn.client.getPrompt>>;
          try {
            res = await conn.client.getPrompt(
              { name, arguments: args },
              { timeout: conn.target.timeoutMs, signal: io.signal },
            );
          } catch (err) {
            const explained = conn.explain(err);
            throw (
              (explained.code.startsWith('auth')
                ? null
                : await (await import('../mcp/unknown-item.js')).unknownPrompt(conn, name, explained)) ??
              explained
            );
          }
          const { protocolJson, protocolNote } = await import('../mcp/era.js');
          if (opts.json) io.stdout(`${JSON.stringify({ ...res, protocol: protocolJson(conn) }, null, 2)}\n`);
          else io.stderr(`${protocolNote(conn)}\n`);
          // On a terminal, a prompt cannot steer it; piped, it passes through exactly as it came.
          if (!opts.json) io.stdout(io.stdoutIsTTY ? printable(formatPrompt(res)) : formatPrompt(res));
        });
        result.exitCode = 0;
      },
    );
}

function formatPrompt(res: {
  description?: string;
  messages: Array<{ role: string; content: any }>;
}): string {
  const out: string[] = [];
  if (res.description) out.push(`(${res.description})`);
  for (const { role, content } of res.messages) {
    if (content?.type === 'text') out.push(`${role}:\n${String(content.text)}`);
    else if (content?.type === 'image' || content?.type === 'audio')
      out.push(`${role}: [${content.type} ${content.mimeType ?? ''}, ${base64Bytes(content.data)} bytes]`);
    else if (content?.type === 'resource') out.push(`${role}: [resource ${content.resource?.uri ?? ''}]`);
    else if (content?.type === 'resource_link') out.push(`${role}: [resource link ${content.uri}]`);
    else out.push(`${role}: ${JSON.stringify(content)}`);
  }
  return out.length ? `${out.join('\n\n')}\n` : '(no messages)\n';
}

/** The number of bytes a base64 string decodes to. */
export function base64Bytes(data: unknown): number {
  return typeof data === 'string' ? Buffer.from(data, 'base64').length : 0;
}
