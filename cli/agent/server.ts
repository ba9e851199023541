/**
 * `mcptest mcp-server`: the agent surface. An MCP server over stdio whose tools are mcptest's
 * verbs (cli/agent/verbs/, one module each). Every verb that reaches a server takes the same
 * target fields as the CLI flags and reports failures with the same messages; errors come back
 * as `isError` results carrying the fields as data plus `ask_human`. Documented in docs/agents.md.
 * @see MCP spec 2025-11-25 "Tools" (structuredContent, outputSchema, isError)
 */
import { McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { DaemonClient } from '../../client/daemon-client.js';
import { VERSION } from '../../shared/version.js';
import { restrictEnv } from './env-allowlist.js';
import { errorResult, okResult, outputShape } from './results.js';
import type { AgentContext, Verb } from './verb.js';
import { authStatus } from './verbs/auth-status.js';
import { callTool } from './verbs/call-tool.js';
import { doctorVerb } from './verbs/doctor.js';
import { getPrompt } from './verbs/get-prompt.js';
import { listTools } from './verbs/list-tools.js';
import { loginDeviceStart, loginStatus } from './verbs/login-device.js';
import { readResource } from './verbs/read-resource.js';
import { proposeAssertionsVerb } from './verbs/propose-assertions.js';
import { runSuiteVerb } from './verbs/run-suite.js';
import { scaffoldSuiteVerb } from './verbs/scaffold-suite.js';

/** Every verb, in the order agents see them. */
export const VERBS: ReadonlyArray<Verb<any, any>> = [
  listTools,
  callTool,
  getPrompt,
  readResource,
  scaffoldSuiteVerb,
  proposeAssertionsVerb,
  runSuiteVerb,
  doctorVerb,
  authStatus,
  loginDeviceStart,
  loginStatus,
];

export interface AgentServerIo {
  env: NodeJS.ProcessEnv;
  /** Where the env vars a verb names are read (`CliIo.vars`); `env` when absent. */
  vars?: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
  /** `--allow-env`: the only credential env vars the verbs may read (null: any). */
  allowEnv?: ReadonlySet<string> | null;
  /** Where protocol errors go with MCPTEST_DEBUG set (stdout carries only the protocol). */
  stderr?: (text: string) => void;
}

/**
 * Builds the MCP server carrying the verbs; not yet connected to a transport. The same factory
 * serves both eras: `serveStdio` calls it once per connection (and once more for a
 * `server/discover` probe it may discard).
 */
export function buildAgentServer(io: AgentServerIo): McpServer {
  const server = new McpServer(
    { name: 'mcptest', version: VERSION },
    {
      instructions:
        'mcptest tests other MCP servers, including ones behind OAuth. Start with list_tools or doctor on a server URL; scaffold_suite writes a test suite and run_suite runs it. Tokens are never passed as values: name an env var of this server process in bearer_token_env, or rely on a cached login (login_device_start). When a result has isError, read error.ask_human: it is the one thing to ask the human for. When call_tool answers with `asks`, the server asked a question (a form, a model reply, the roots): ask the human (or answer yourself) and call again with `answers`.',
    },
  );
  const { env } = io.allowEnv ? restrictEnv(io.env, io.allowEnv) : { env: io.env };
  const { env: vars, withheld } = io.allowEnv
    ? restrictEnv(io.vars ?? io.env, io.allowEnv)
    : { env: io.vars ?? io.env, withheld: undefined };
  const passEnv = io.allowEnv ? [...io.allowEnv] : [];
  const withDaemon = async <T>(fn: (client: DaemonClient) => Promise<T>): Promise<T> => {
    const { ensureDaemon } = await import('../../client/ensure-daemon.js');
    const client = await ensureDaemon({ env });
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };
  for (const verb of VERBS) {
    server.registerTool(
      verb.name,
      {
        title: verb.title,
        description: verb.description,
        inputSchema: z.object(verb.input),
        outputSchema: z.object(outputShape(verb.output)),
        ...(verb.annotations ? { annotations: verb.annotations } : {}),
      },
      async (args: Record<string, unknown>, extra: ServerContext) => {
        // The request's own signal (aborted when the agent cancels the call), not a process-wide
        // one: a long-lived server must not pile listeners onto a signal that lives forever.
        const progress = progressReporter(extra);
        const ctx: AgentContext = {
          env,
          vars,
          passEnv,
          cwd: io.cwd,
          signal: extra.mcpReq.signal,
          withDaemon,
          progress: progress.report,
        };
        try {
          const answer = await verb.run(args as never, ctx);
          return okResult(answer.data, answer.text);
        } catch (err) {
          return errorResult(err, withheld);
        } finally {
          // Progress sent after the result would be dropped by the agent: let it go out first.
          await progress.sent();
        }
      },
    );
  }
  return server;
}

/**
 * `notifications/progress` for the request's progress token (`report` is a no-op when it has
 * none); `sent()` settles once every notification so far has been handed to the transport.
 */
function progressReporter(extra: ServerContext): { report: AgentContext['progress']; sent(): Promise<void> } {
  const token = extra.mcpReq._meta?.progressToken;
  let pending: Promise<void> = Promise.resolve();
  return {
    report: (done, total, message) => {
      if (token === undefined) return;
      const params = {
        progressToken: token,
        progress: done,
        ...(total === undefined ? {} : { total }),
        message,
      };
      // In order, one after the other; the agent gone away is no error of the verb's.
      pending = pending.then(() =>
        extra.mcpReq.notify({ method: 'notifications/progress', params }).catch(() => undefined),
      );
    },
    sent: async () => {
      if (token === undefined) return;
      await pending;
      // An SDK client handles a notification a microtask after a response read in the same
      // chunk, and by then has forgotten the request's progress token: a short pause lets the
      // last notification be read on its own before the result follows.
      await new Promise((resolve) => setTimeout(resolve, 25));
    },
  };
}

/**
 * Serves the verbs on stdin/stdout until stdin closes or the signal aborts. The opening message
 * picks the era for the connection: a 2026-07-28 request (its version in `_meta`, no
 * initialize) or `server/discover` pins the modern era; `initialize` pins a 2025 session, served
 * as an SDK 1.x server served it.
 */
export async function serveStdio(io: AgentServerIo): Promise<void> {
  const { serveStdio: serve, StdioServerTransport } = await import('@modelcontextprotocol/server/stdio');
  const transport = new StdioServerTransport();
  const handle = serve(() => buildAgentServer(io), {
    transport,
    // Nothing but the protocol goes to stdout; what the SDK reports (a malformed message, a
    // refused opening) goes to stderr when debugging.
    onerror: (err) => {
      if (io.env.MCPTEST_DEBUG) io.stderr?.(`mcptest mcp-server: ${err.message}\n`);
    },
  });
  const closed = new Promise<void>((resolve) => {
    // serveStdio owns the transport's callbacks: chain onto its close handler.
    const onclose = transport.onclose;
    transport.onclose = () => {
      onclose?.();
      resolve();
    };
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await closed;
  await handle.close().catch(() => undefined);
}
