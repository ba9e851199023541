import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, hideForwarderOptions, type TargetFlags } from '../mcp/target-options.js';

/** `mcptest proxy`: a local reverse proxy that adds the daemon's token to every request. */
export function registerProxy(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('proxy')
    .argument('[url]', 'the MCP server endpoint (or --url)')
    .description(
      'a local authenticating reverse proxy: programs that speak plain HTTP (curl, test suites) reach the MCP server with the token the daemon holds',
    );
  addTargetOptions(cmd);
  hideForwarderOptions(cmd);
  cmd
    .option(
      '--listen <address>',
      'unix:PATH or 127.0.0.1:PORT (default: a private Unix socket, printed at start)',
    )
    .option('--verbose', 'log one line per request to stderr: method, path, status, ms (never a token)')
    .option('--json', 'print where the proxy listens as JSON')
    .addHelpText(
      'after',
      `
Every request goes to the origin of --url with a token asked from the daemon for that request
(a cached login, --client-id, or --bearer-token-env); the client's own Authorization and Cookie
headers are dropped. After a 401 the token is renewed and the request sent once more. Redirects
come back to the client; the proxy never follows them.

By default it listens on a Unix socket in mcptest's private folder (0700, socket 0600):

  mcptest proxy --url https://mcp.example.com/mcp
  curl --unix-socket PATH http://mcp/mcp -H 'content-type: application/json' \\
    -H 'accept: application/json, text/event-stream' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'

On TCP it binds 127.0.0.1 only, and every request must carry the proxy's random secret, as a
path prefix (the printed URL) or the x-mcptest-proxy-secret header:

  mcptest proxy --url https://mcp.example.com/mcp --listen 127.0.0.1:8080
  # prints http://127.0.0.1:8080/<secret>/mcp: give that URL to the program

Ctrl-C (or SIGTERM) stops it and removes the socket. Docs: docs/hosts.md`,
    )
    .action(async (url: string | undefined, opts: ProxyFlags) => {
      const flags = proxyArgs(url, opts, cmd.getOptionValueSource('timeout') === 'cli');
      const { runProxy } = await import('../proxy/run-proxy.js');
      await runProxy(flags, io);
      result.exitCode = 0;
    });
}

type ProxyFlags = TargetFlags & { listen?: string; verbose?: boolean; json?: boolean };

/**
 * The flags with the URL from the argument or --url; refuses --command, a pinned --protocol, a
 * --timeout and two different URLs.
 */
function proxyArgs(url: string | undefined, opts: ProxyFlags, timeoutGiven: boolean): ProxyFlags {
  if (opts.command) {
    throw new McptestError('invalid_request', 'mcptest proxy forwards to HTTP servers only, not --command', {
      hint: 'mcptest proxy --url https://mcp.example.com/mcp',
    });
  }
  const chosen = url ?? opts.url;
  if (!chosen) {
    throw new McptestError('invalid_request', 'mcptest proxy needs the server URL', {
      hint: 'mcptest proxy --url https://mcp.example.com/mcp',
    });
  }
  if (url && opts.url && url !== opts.url) {
    throw new McptestError('invalid_request', `two server URLs given: ${url} and --url ${opts.url}`);
  }
  if (opts.protocol && opts.protocol !== 'auto') {
    throw new McptestError(
      'invalid_request',
      `mcptest proxy forwards whichever MCP era its client speaks; --protocol ${opts.protocol} would not change it`,
      { hint: 'pin the revision in the client that talks to the proxy' },
    );
  }
  if (timeoutGiven) {
    throw new McptestError(
      'invalid_request',
      'mcptest proxy waits for each answer as long as its client does; --timeout does not apply to it',
      { hint: 'set the timeout in the client that talks to the proxy (curl --max-time 30)' },
    );
  }
  return { ...opts, url: chosen };
}
