/**
 * One connection per verb call, closed after it: the daemon hands out the token per request
 * (well under a millisecond over the socket), so a long-lived agent server never holds a stale or
 * rotated-out token, and the cost of reconnecting is one round trip (`server/discover` or
 * `initialize`). `answers` are what the agent gave for the server's questions (call_tool).
 *
 * With `relay` (call_tool), the agent stands where a human at a terminal stands for
 * `mcptest call`: the connection declares elicitation (form and URL), sampling and roots, so the
 * server asks, and every ask the answers do not cover is recorded and refused (`relayToAgent`),
 * to be relayed as data and answered on the next call. Other verbs declare only what `answers`
 * covers (nothing), as a client that cannot answer must.
 */
import type { McpConnection } from '../mcp/connect.js';
import type { Answers, Ask, ConnectIo } from '../mcp/target.js';
import { type TargetArgs, toServerTarget } from './target-input.js';
import type { AgentContext } from './verb.js';

export async function withConnection<T>(
  args: TargetArgs,
  ctx: AgentContext,
  fn: (conn: McpConnection) => Promise<T>,
  options: { answers?: Answers; relay?: boolean } = {},
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
    ...(options.relay ? { askHuman: relayToAgent(options.answers) } : {}),
  });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

/**
 * The agent's `askHuman`: a URL-mode elicitation the agent's human has opened is accepted with
 * the agent's elicitation answer (canned answers never answer URL mode by themselves); anything
 * else unanswered resolves to null, so the ask is recorded and refused.
 */
export function relayToAgent(answers: Answers | undefined): NonNullable<ConnectIo['askHuman']> {
  return async (ask: Ask) =>
    ask.kind === 'elicitation' && ask.mode === 'url' && answers?.elicitation ? answers.elicitation : null;
}
