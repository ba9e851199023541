/**
 * `mcptest mcp-server`: the agent surface. An MCP server over stdio whose tools are mcptest's
 * verbs (cli/agent/verbs/, one module each). Every verb that reaches a server takes the same
 * target fields as the CLI flags and reports failures with the same messages; errors come back
 * as `isError` results carrying the fields as data plus `ask_human`. Documented in docs/agents.md.
 * @see MCP spec 2025-11-25 "Tools" (structuredContent, outputSchema, isError)
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
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
}

/** Builds the MCP server carrying the verbs; not yet connected to a transport. */
export function buildAgentServer(io: AgentServerIo): McpServer {
  const server = new McpServer(
    { name: 'mcptest', version: VERSION },
    {
      instructions:
        'mcptest tests other MCP servers, including ones behind OAuth. Start with list_tools or doctor on a server URL; scaffold_suite writes a test suite and run_suite runs it. Tokens are never passed as values: name an env var of this server process in bearer_token_env, or rely on a cached login (login_device_start). When a result has isError, read error.ask_human: it is the one thing to ask the human for.',
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
        inputSchema: verb.input,
        outputSchema: outputShape(verb.output),
        ...(verb.annotations ? { annotations: verb.annotations } : {}),
      },
      (async (args: Record<string, unknown>, extra: RequestExtra) => {
        // The request's own signal (aborted when the agent cancels the call), not a process-wide
        // one: a long-lived server must not pile listeners onto a signal that lives forever.
        const progress = progressReporter(extra);
        const ctx: AgentContext = {
          env,
          vars,
          passEnv,
          cwd: io.cwd,
          signal: extra.signal,
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
      }) as never,
    );
  }
  return server;
}

/** What the SDK hands a tool handler besides its arguments (the parts the verbs use). */
interface RequestExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification(notification: { method: string; params: Record<string, unknown> }): Promise<void>;
}

/**
 * `notifications/progress` for the request's progress token (`report` is a no-op when it has
 * none); `sent()` settles once every notification so far has been handed to the transport.
 */
function progressReporter(extra: RequestExtra): { report: AgentContext['progress']; sent(): Promise<void> } {
  const token = extra._meta?.progressToken;
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
        extra.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined),
      );
    },
    sent: async () => {
      if (token === undefined) return;
      await pending;
      // The SDK's client handles a notification a microtask after a response read in the same
      // chunk, and by then has forgotten the request's progress token: a short pause lets the
      // last notification be read on its own before the result follows.
      await new Promise((resolve) => setTimeout(resolve, 25));
    },
  };
}

/** Serves the verbs on stdin/stdout until stdin closes or the signal aborts. */
export async function serveStdio(io: AgentServerIo): Promise<void> {
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const server = buildAgentServer(io);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => undefined);
}
