/**
 * The command line's side of a connection to an MCP server: the `ConnectIo` of an interactive
 * command (stderr for messages, a browser approval of a wider scope when a human can give one,
 * the answers and the human to ask for what a server asks), and `withServerFromFlags`, the
 * connect-run-close every server-talking verb uses. The connection layer (cli/mcp/) gets these
 * as callbacks and imports nothing of the command line.
 */
import type { McpConnection } from './mcp/connect.js';
import type { TargetFlags } from './mcp/target-options.js';
import type { ConnectIo } from './mcp/target.js';
import type { CliIo } from './io.js';
import { approveStepUp, humanCanApprove } from './login/approve-step-up.js';

/**
 * The connection IO of an interactive CLI command: stderr for messages, step-up allowed when a
 * human can approve. `extra` adds what one command brings (`call`'s answers and human prompts).
 */
export function cliConnectIo(io: CliIo, extra: Partial<ConnectIo> = {}): ConnectIo {
  return {
    env: io.env,
    vars: io.vars,
    cwd: io.cwd,
    signal: io.signal,
    stderr: io.stderr,
    stderrIsTTY: io.stderrIsTTY,
    interactive: humanCanApprove(io.env, { stdin: Boolean(process.stdin.isTTY), stderr: io.stderrIsTTY }),
    approveInBrowser: (request) =>
      approveStepUp(request, {
        env: io.env,
        stderr: io.stderr,
        stderrIsTTY: io.stderrIsTTY,
        signal: io.signal,
      }),
    ...extra,
  };
}

/**
 * Connects to the server the flags name, as a command does from a terminal (a wider scope is
 * approved in a browser when a human is there), runs `fn` and closes the connection.
 */
export async function withServerFromFlags<T>(
  flags: TargetFlags,
  io: CliIo,
  fn: (conn: McpConnection) => Promise<T>,
  extra: Partial<ConnectIo> = {},
): Promise<T> {
  const [{ connectToServer }, { targetFromOptions }] = await Promise.all([
    import('./mcp/connect.js'),
    import('./mcp/target-options.js'),
  ]);
  const conn = await connectToServer(targetFromOptions(flags), cliConnectIo(io, extra));
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}
