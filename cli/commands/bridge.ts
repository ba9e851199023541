import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import type { BridgeFlags } from '../bridge/run-bridge.js';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, hideForwarderOptions } from '../mcp/target-options.js';

/** `mcptest bridge URL`: a stdio MCP server forwarding every message to a remote HTTP server. */
export function registerBridge(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('bridge')
    .argument('[url]', 'the MCP server endpoint (or --url)')
    .description(
      'a stdio MCP server that forwards every message to a remote HTTP MCP server with the token the daemon holds: for hosts that take only a command',
    );
  addTargetOptions(cmd);
  hideForwarderOptions(cmd);
  cmd
    .option('--verbose', 'log one line per message to stderr: direction, method, id (never a token)')
    .addHelpText(
      'after',
      `
Every JSON-RPC message read on stdin goes unchanged to the server (Streamable HTTP, or legacy
HTTP+SSE), with a token asked from the daemon for that request (a cached login, --client-id, or
--bearer-token-env); every message of the server is written to stdout. Stdout carries JSON-RPC
only; diagnostics go to stderr. With no login, each request is answered with an error naming
\`mcptest login URL\` (a login made meanwhile is picked up by the next request). When the host
closes stdin the session is ended (DELETE) and it exits 0.

Both eras pass through as the host speaks them: a 2025 host's initialize and session, or a
2026-07-28 host's stateless requests (server/discover, input_required rounds,
subscriptions/listen), sent with the headers that era needs over HTTP, Mcp-Param-* included.

  mcptest login https://mcp.example.com/mcp
  mcptest bridge https://mcp.example.com/mcp     # the command a host runs

Host configurations: docs/hosts.md`,
    )
    .action(async (url: string | undefined, opts: BridgeFlags) => {
      const flags = runArgs(url, opts, cmd.getOptionValueSource('timeout') === 'cli');
      const { runBridge } = await import('../bridge/run-bridge.js');
      await runBridge(flags, io);
      result.exitCode = 0;
    });
}

/**
 * The flags with the URL from the argument or --url; refuses --command, a pinned --protocol, a
 * --timeout and two different URLs.
 */
function runArgs(url: string | undefined, opts: BridgeFlags, timeoutGiven: boolean): BridgeFlags {
  if (opts.command) {
    throw new McptestError('invalid_request', 'mcptest bridge forwards to HTTP servers only, not --command', {
      hint: 'mcptest bridge https://mcp.example.com/mcp',
    });
  }
  if (opts.protocol && opts.protocol !== 'auto') {
    throw new McptestError(
      'invalid_request',
      `mcptest bridge speaks whichever MCP era the host speaks; --protocol ${opts.protocol} would not change it`,
      {
        hint: 'pin the revision in the host, or test the server itself: mcptest tools --url URL --protocol VERSION',
      },
    );
  }
  if (timeoutGiven) {
    throw new McptestError(
      'invalid_request',
      'mcptest bridge waits for each answer as long as the host does; --timeout does not apply to it',
      { hint: "set the timeout in the host's configuration for this server" },
    );
  }
  if (url && opts.url && url !== opts.url) {
    throw new McptestError('invalid_request', `two server URLs given: ${url} and --url ${opts.url}`);
  }
  const chosen = url ?? opts.url;
  if (!chosen) {
    throw new McptestError('invalid_request', 'mcptest bridge needs the server URL', {
      hint: 'mcptest bridge https://mcp.example.com/mcp',
    });
  }
  return { ...opts, url: chosen };
}
