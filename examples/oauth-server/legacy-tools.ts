/**
 * The example MCP server on the legacy SDK (`@modelcontextprotocol/sdk` 1.x), which speaks only the
 * 2025 era: the same catalogue as tools.ts, with the asking tools written the 2025 way, as
 * server-to-client requests (`elicitation/create`, `sampling/createMessage`) sent while the call is
 * open. Those need a connection that can carry them: stdio, or an HTTP session with SSE responses.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  ASK_NAME,
  BONUS_TOOL,
  CHANGE_TOOLS,
  CITIES_RESOURCE,
  changeTools,
  createToolState,
  PIXEL_RESOURCE,
  PLAIN_TOOLS,
  REVIEW_PROMPT,
  SERVER_INFO,
  SUMMARIZE,
  type ToolResult,
  type ToolState,
  text,
} from './catalogue.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface LegacyToolOptions {
  /** The `change_tools` state; share one between the instances of a server. */
  state?: ToolState;
  /** Also register the interactive tools (ask_name, summarize, change_tools, bonus); default false. */
  interactive?: boolean;
  /** Called after change_tools changed the list, so the serving entry can tell other sessions. */
  onToolsChanged?: (extra: Extra) => void;
}

/**
 * Refuses at once when the client declared no such capability on this connection, instead of
 * sending a request nobody answers: a stateless server never sees the client's `initialize`.
 */
function assertCapability(server: McpServer, capability: 'elicitation' | 'sampling'): void {
  if (server.server.getClientCapabilities()?.[capability]) return;
  throw new Error(
    `the client declared no ${capability} capability on this connection (a stateless HTTP server sees none: use sessions or stdio)`,
  );
}

function failed(tool: string, error: unknown): ToolResult {
  const reason = error instanceof Error ? error.message : String(error);
  return { content: [text(`${tool} could not ask the client: ${reason}`)], isError: true };
}

/** Builds the 2025-only MCP server named `mcptest-example` with the example tools, prompt and resources. */
export function createLegacyExampleMcpServer(options: LegacyToolOptions = {}): McpServer {
  const state = options.state ?? createToolState();
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: { listChanged: true } } });

  for (const tool of PLAIN_TOOLS) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        ...(tool.input ? { inputSchema: tool.input } : {}),
        ...(tool.output ? { outputSchema: tool.output } : {}),
      },
      (async (...params: unknown[]) => {
        const extra = params.at(-1) as Extra;
        const args = params.length > 1 ? params[0] : {};
        const auth = extra.authInfo;
        return tool.run(args, {
          signal: extra.signal,
          auth: auth ? { clientId: auth.clientId, scopes: auth.scopes } : undefined,
        });
      }) as never,
    );
  }

  if (options.interactive) registerInteractiveTools(server, state, options);
  registerPromptAndResources(server);
  return server;
}

/** ask_name, summarize, change_tools and bonus. */
function registerInteractiveTools(server: McpServer, state: ToolState, options: LegacyToolOptions): void {
  server.registerTool(
    ASK_NAME.name,
    { description: ASK_NAME.description, outputSchema: ASK_NAME.output },
    async (): Promise<any> => {
      try {
        assertCapability(server, 'elicitation');
        const result = await server.server.elicitInput({
          message: ASK_NAME.message,
          requestedSchema: ASK_NAME.requestedSchema,
        });
        return ASK_NAME.answer(result.action, result.content);
      } catch (error) {
        return failed(ASK_NAME.name, error);
      }
    },
  );

  server.registerTool(
    SUMMARIZE.name,
    { description: SUMMARIZE.description, inputSchema: SUMMARIZE.input, outputSchema: SUMMARIZE.output },
    async ({ text: value }): Promise<any> => {
      try {
        assertCapability(server, 'sampling');
        return SUMMARIZE.answer(await server.server.createMessage(SUMMARIZE.request(value)));
      } catch (error) {
        return failed(SUMMARIZE.name, error);
      }
    },
  );

  const bonus = server.registerTool(
    BONUS_TOOL.name,
    { description: BONUS_TOOL.description },
    async (): Promise<ToolResult> => ({ content: [text('bonus')] }),
  );
  if (!state.bonus) bonus.disable();

  server.registerTool(
    CHANGE_TOOLS.name,
    {
      description: CHANGE_TOOLS.description,
      inputSchema: CHANGE_TOOLS.input,
      outputSchema: CHANGE_TOOLS.output,
    },
    async ({ bonus: wanted }, extra): Promise<ToolResult> => {
      const result = changeTools(state, wanted);
      if (!result.structuredContent?.changed) return result;
      if (state.bonus) bonus.enable();
      else bonus.disable();
      // Tell the caller on this call's response stream; the entry tells the other sessions.
      await extra.sendNotification({ method: 'notifications/tools/list_changed' }).catch(() => undefined);
      options.onToolsChanged?.(extra);
      return result;
    },
  );
}

function registerPromptAndResources(server: McpServer): void {
  server.registerPrompt(
    REVIEW_PROMPT.name,
    { description: REVIEW_PROMPT.description, argsSchema: REVIEW_PROMPT.args },
    REVIEW_PROMPT.render as never,
  );
  for (const resource of [CITIES_RESOURCE, PIXEL_RESOURCE]) {
    server.registerResource(
      resource.name,
      resource.uri,
      { description: resource.description, mimeType: resource.mimeType },
      async (uri) => resource.read(uri),
    );
  }
}
