import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import { printable } from '../format.js';
import { callOptions, progressLine } from '../mcp/call-progress.js';
import { refusalError } from '../mcp/server-requests.js';
import type { CliIo, CommandResult } from '../io.js';
import type { McpConnection } from '../mcp/connect.js';
import { withServerFromFlags } from '../connect-io.js';
import { targetFlags } from '../mcp/target-flags.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

/** Reads the tool (or prompt) arguments from `--args JSON` or `--args-file PATH` (`-` for stdin is not offered). */
export function parseToolArgs(
  opts: { args?: string; argsFile?: string },
  cwd: string,
  tool = 'TOOL',
  verb = 'call',
): Record<string, unknown> {
  if (opts.args !== undefined && opts.argsFile !== undefined) {
    throw new McptestError('invalid_request', 'give --args or --args-file, not both');
  }
  let text = opts.args;
  let from = '--args';
  if (opts.argsFile !== undefined) {
    from = opts.argsFile;
    try {
      text = fs.readFileSync(path.resolve(cwd, opts.argsFile), 'utf8');
    } catch (err) {
      throw new McptestError(
        'invalid_request',
        `cannot read --args-file ${opts.argsFile}: ${(err as Error).message}`,
      );
    }
  }
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new McptestError('invalid_request', `${from} is not valid JSON: ${(err as Error).message}`, {
      hint: `names and strings take double quotes, the whole in single quotes: mcptest ${verb} ... ${tool} --args '{"name":"value","n":1}'`,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new McptestError('invalid_request', `${from} must be a JSON object of argument names to values`, {
      hint: `mcptest ${verb} ... ${tool} --args '{"name":"value","n":1}'   (see its parameters with mcptest ${verb === 'call' ? 'tools' : 'prompts'})`,
    });
  }
  return value as Record<string, unknown>;
}

/** `mcptest call`: call one tool and print its result. */
export function registerCall(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('call')
    .description('call one tool of an MCP server and print its result')
    .argument('<tool>', 'the tool name (see `mcptest tools`)');
  addTargetOptions(cmd)
    .option('--args <json>', 'the tool arguments as a JSON object')
    .option('--args-file <path>', 'read the tool arguments (a JSON object) from a file')
    .option('--json', 'print the whole CallToolResult as JSON, with `protocol` and `asks`')
    .option(
      '--answer <KIND=VALUE>',
      'answer what the server asks (repeatable): elicitation=JSON|decline|cancel, sampling=JSON|TEXT, roots=JSON',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addHelpText(
      'after',
      `
Output: text content is printed as text, structuredContent as JSON, other content (images,
resources) as a one-line summary; --json prints the whole result.

Answers: a server may ask while the tool runs (an elicitation form, a sampling completion, the
roots), as a 2025 server request or a 2026-07-28 input_required round. --answer gives the answer:
  --answer elicitation='{"action":"accept","content":{"name":"Ada"}}'   (or elicitation=decline)
  --answer sampling='{"text":"a reply","model":"m"}'   (or sampling='a reply')
  --answer roots='[{"uri":"file:///workspace"}]'
On a terminal, what has no --answer is asked of you (a URL-mode elicitation prints the URL and
waits for Enter); elsewhere the call fails naming what the server asked.

Step-up: when a cached login lacks a scope the tool needs (403 insufficient_scope), the browser
opens to approve the wider scope and the call is sent again (at most twice); with no browser or
terminal (CI, agents) it fails with the exact \`mcptest login URL --scope "..."\` to run.

Examples:
  mcptest call --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN add --args '{"a":1,"b":2}'
  mcptest call --url https://mcp.example.com/mcp get_weather --args-file args.json --json
  mcptest call --command node --arg server.js echo --args '{"text":"hi"}'

Exit codes: 0 the tool succeeded, 1 the result has isError (or another failure), 3 the server
refused our credentials.`,
    )
    .action(
      async (
        tool: string,
        opts: TargetFlags & { args?: string; argsFile?: string; json?: boolean; answer?: string[] },
      ) => {
        const args = parseToolArgs(opts, io.cwd, tool);
        const { parseAnswerFlags } = await import('../mcp/answer-flags.js');
        const answers = parseAnswerFlags(opts.answer);
        const terminal = Boolean(process.stdin.isTTY) && io.stderrIsTTY;
        const askHuman = terminal
          ? (await import('../ask-human.js')).terminalAskHuman({
              input: process.stdin,
              stderr: io.stderr,
              signal: io.signal,
            })
          : undefined;
        await withServerFromFlags(
          opts,
          io,
          async (conn) => {
            let res: Awaited<ReturnType<typeof conn.client.callTool>>;
            const toolDefinition = await definitionForHeaders(conn, tool);
            try {
              // Progress resets the timeout; on a terminal it is shown on one line that updates.
              let shown = false;
              res = await conn.client
                .callTool(
                  { name: tool, arguments: args },
                  {
                    ...callOptions(conn.target.timeoutMs, io.signal, (p) => {
                      // The SDK reports its own input_required rounds as progress: not the server's.
                      if (!io.stderrIsTTY || /^Fulfilling input required/.test(p.message ?? '')) return;
                      io.stderr(`\r\x1b[2K${printable(progressLine(p))}`);
                      shown = true;
                    }),
                    ...(toolDefinition ? { toolDefinition } : {}),
                  },
                )
                .finally(() => {
                  if (shown) io.stderr('\r\x1b[2K');
                });
            } catch (err) {
              const explained = conn.explain(err);
              const missing =
                explained.code.startsWith('auth') || explained.code === 'input_required' || refused(conn)
                  ? null
                  : await unknownTool(conn, tool);
              throw refused(conn) ?? missing ?? explained;
            }
            // The server turned a refused ask into a tool error: say what it asked.
            const refusal = res.isError ? refused(conn) : null;
            if (refusal) throw refusal;
            const { protocolJson, protocolNote } = await import('../mcp/era.js');
            if (opts.json)
              io.stdout(
                `${JSON.stringify({ ...res, protocol: protocolJson(conn), asks: conn.asks }, null, 2)}\n`,
              );
            else io.stderr(`${protocolNote(conn)}\n`);
            // On a terminal, a result cannot steer it; piped, it passes through exactly as it came.
            if (!opts.json) io.stdout(io.stdoutIsTTY ? printable(formatResult(res)) : formatResult(res));
            if (res.isError) {
              const missing = await unknownTool(conn, tool);
              io.stderr(
                missing
                  ? `error: ${missing.message}\nhint: ${missing.hint}\n`
                  : `error: tool ${tool} answered with isError: true\n${argumentsRejected(res) ? `hint: the server rejected the arguments; see what ${tool} takes: mcptest tools ${targetFlags(conn.target)}\n` : ''}`,
              );
              result.exitCode = 1;
            } else {
              result.exitCode = 0;
            }
          },
          { answers, askHuman, refuseByName: true },
        );
      },
    );
}

/** The `input_required` error for the first ask of `conn` nobody answered, or null. */
function refused(conn: McpConnection): McptestError | null {
  const ask = conn.asks.find((a) => a.answered === 'refused');
  if (!ask) return null;
  return refusalError(ask, conn.serverUrl ?? `stdio server \`${conn.target.command}\``);
}

/**
 * The tool's definition, on a 2026-07-28 connection over HTTP: it says which arguments go into
 * `Mcp-Param-*` headers (SEP-2243, `x-mcp-header`), and a one-shot process has no `tools/list`
 * of its own to take it from. The SDK's listing leaves out tools whose `x-mcp-header` it must
 * reject; such a tool is refused here rather than called. Undefined when there is none to find
 * (the call then says why).
 */
async function definitionForHeaders(conn: McpConnection, tool: string) {
  if (conn.era !== 'modern' || !conn.target.url) return undefined;
  try {
    const found = (await conn.client.listTools(undefined, { timeout: conn.target.timeoutMs })).tools.find(
      (t) => t.name === tool,
    );
    if (found) return found;
  } catch {
    return undefined;
  }
  const { pagedTools } = await import('../mcp/list-tools.js');
  const served = await pagedTools(conn.client, { timeoutMs: conn.target.timeoutMs }).catch(() => []);
  if (!served.some((t) => t.name === tool)) return undefined;
  throw new McptestError(
    'server_error',
    `the server's definition of tool \`${tool}\` has an invalid \`x-mcp-header\` (an empty, duplicate or malformed header name, or one on a parameter that is not a string, integer or boolean; the SDK's warning above names which); a 2026-07-28 client over HTTP must not call it (SEP-2243)`,
    { hint: `see its definition: mcptest tools ${targetFlags(conn.target)} --json` },
  );
}

/**
 * After a failed call: `not_found` naming the tools the server does have when `tool` is not
 * among them (servers answer an unknown tool with isError or a JSON-RPC error), else null.
 */
async function unknownTool(conn: McpConnection, tool: string): Promise<McptestError | null> {
  const { pagedTools } = await import('../mcp/list-tools.js');
  let names: string[];
  try {
    names = (await pagedTools(conn.client, { timeoutMs: conn.target.timeoutMs })).map((t) => t.name);
  } catch {
    return null; // cannot tell: keep the call's own error
  }
  if (names.includes(tool)) return null;
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  const target = targetFlags(conn.target);
  return new McptestError(
    'not_found',
    `the server has no tool named \`${tool}\` (${names.length ? `it has: ${shown}` : 'it lists no tools'})`,
    { hint: `mcptest tools ${target}` },
  );
}

function formatResult(res: Record<string, unknown>): string {
  const out: string[] = [];
  const content = Array.isArray(res.content) ? (res.content as Array<Record<string, any>>) : [];
  for (const item of content) {
    if (item.type === 'text') out.push(String(item.text));
    else if (item.type === 'image' || item.type === 'audio')
      out.push(`[${item.type} ${item.mimeType ?? ''}, ${String(item.data ?? '').length} base64 chars]`);
    else if (item.type === 'resource_link') out.push(`[resource link ${item.uri}]`);
    else if (item.type === 'resource') out.push(`[resource ${item.resource?.uri ?? ''}]`);
    else out.push(JSON.stringify(item));
  }
  if (res.structuredContent !== undefined) {
    out.push(`structuredContent: ${JSON.stringify(res.structuredContent, null, 2)}`);
  }
  if (res.toolResult !== undefined) out.push(JSON.stringify(res.toolResult, null, 2));
  return out.length ? `${out.join('\n')}\n` : '(empty result)\n';
}

/** True when an isError result says the arguments did not fit the tool's input schema. */
function argumentsRejected(res: object): boolean {
  const content = (res as { content?: unknown }).content;
  if (!Array.isArray(content)) return false;
  return content.some(
    (c: { type?: unknown; text?: unknown }) =>
      c?.type === 'text' &&
      typeof c.text === 'string' &&
      /-32602|invalid arguments|input validation/i.test(c.text),
  );
}
