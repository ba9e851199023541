/**
 * One connection per verb call, closed after it: the daemon hands out the token per request
 * (well under a millisecond over the socket), so a long-lived agent server never holds a stale or
 * rotated-out token, and the cost of reconnecting is one round trip (`server/discover` or
 * `initialize`). `answers` are what the agent gave for the server's questions (call_tool).
 */
import type { McpConnection } from '../mcp/connect.js';
import type { Answers } from '../mcp/target.js';
import { type TargetArgs, toServerTarget } from './target-input.js';
import type { AgentContext } from './verb.js';

export async function withConnection<T>(
  args: TargetArgs,
  ctx: AgentContext,
  fn: (conn: McpConnection) => Promise<T>,
  options: { answers?: Answers } = {},
): Promise<T> {
  const target = toServerTarget(args);
  const { connectToServer } = await import('../mcp/connect.js');
  // An agent server never opens a browser nor asks a terminal: a 403 insufficient_scope comes
  // back as data with ask_human, and a question the server asks as `asks` (no askHuman).
  const conn = await connectToServer(target, {
    env: ctx.env,
    vars: ctx.vars,
    passEnv: ctx.passEnv,
    cwd: ctx.cwd,
    signal: ctx.signal,
    interactive: false,
    ...(options.answers ? { answers: options.answers } : {}),
  });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}
