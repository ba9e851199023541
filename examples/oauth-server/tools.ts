/**
 * The example MCP server on `@modelcontextprotocol/server` 2.x: every tool, the prompt and both
 * resources of catalogue.ts, plus the tools that ask the client (`ask_name` by elicitation,
 * `summarize` by sampling) and the one that changes the tool list (`change_tools`). One factory
 * serves both eras: a handler that asks returns `inputRequired(...)`; a 2026-07-28 client answers
 * by retrying with `inputResponses` and the echoed `requestState`, and on a 2025 connection the
 * SDK's legacy shim turns it into a server-to-client `elicitation/create` / `sampling/createMessage`
 * request (which needs a connection that can carry one: stdio, or an HTTP session).
 */
import { randomBytes } from 'node:crypto';
import {
  acceptedContent,
  type CacheHint,
  createRequestStateCodec,
  inputRequired,
  McpServer,
  type RequestStateCodec,
  requireScopes,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
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

export { DEFAULT_TOOL_SCOPES, PIXEL_PNG_BASE64 } from './catalogue.js';

/**
 * Cache hints of the modern era's list results (`ttlMs` / `cacheScope`). The tool list changes
 * (change_tools), so it may be kept only briefly and per user; the rest is the same for everyone.
 */
export const CACHE_HINTS: Readonly<Record<string, CacheHint>> = {
  'tools/list': { ttlMs: 5_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 60_000, cacheScope: 'public' },
  'resources/list': { ttlMs: 60_000, cacheScope: 'public' },
  'server/discover': { ttlMs: 60_000, cacheScope: 'public' },
};

/** What the asking tools keep in `requestState` between rounds (signed, so a client cannot forge it). */
interface AskState {
  tool: string;
  asked: string;
}

export interface ExampleToolOptions {
  /** The era this instance serves; `legacy` by default (what stdio and the v1-style tests get). */
  era?: 'legacy' | 'modern';
  /** The `change_tools` state; share one between the per-request instances of a server. */
  state?: ToolState;
  /** Signs `requestState`; share one between the per-request instances of a server. */
  requestState?: RequestStateCodec<AskState>;
  /**
   * Scopes every request needs and extra scopes per tool: a tool with extra scopes gets a scope
   * challenge (403 insufficient_scope naming base + extra scopes) from the SDK's HTTP entry.
   */
  requiredScopes?: string[];
  toolScopes?: Readonly<Record<string, string[]>>;
  /** Also register the interactive tools (ask_name, summarize, change_tools, bonus); default false. */
  interactive?: boolean;
  /** Called after change_tools changed the list, so the serving entry can tell other clients. */
  onToolsChanged?: (ctx: ServerContext) => void;
}

/** A `requestState` codec with a key made for this process (every round reaches this process). */
export function createAskStateCodec(): RequestStateCodec<AskState> {
  return createRequestStateCodec<AskState>({
    key: randomBytes(32),
    bind: (ctx) => `${ctx.mcpReq.method}\0${ctx.http?.authInfo?.clientId ?? ''}`,
  });
}

function callInfo(ctx: ServerContext) {
  const auth = ctx.http?.authInfo;
  return {
    signal: ctx.mcpReq.signal,
    auth: auth ? { clientId: auth.clientId, scopes: auth.scopes } : undefined,
  };
}

/** The answer to one embedded request of a retried call, whatever its kind. */
function inputResponse(ctx: ServerContext, key: string): Record<string, unknown> | undefined {
  const value = ctx.mcpReq.inputResponses?.[key];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/** Builds an MCP server named `mcptest-example` carrying the example tools, prompt and resources. */
export function createExampleMcpServer(options: ExampleToolOptions = {}): McpServer {
  const state = options.state ?? createToolState();
  const codec = options.requestState ?? createAskStateCodec();
  const base = options.requiredScopes ?? [];
  const scopeChallenge: ScopeChallengeFor = (tool) => {
    const extra = options.toolScopes?.[tool] ?? [];
    if (extra.length === 0) return undefined;
    const [first, ...rest] = [...new Set([...base, ...extra])];
    return requireScopes(first, ...rest);
  };
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: { listChanged: true } },
    cacheHints: CACHE_HINTS,
    requestState: { verify: codec.verify },
  });

  for (const tool of PLAIN_TOOLS) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        ...(tool.input ? { inputSchema: z.object(tool.input) } : {}),
        ...(tool.output ? { outputSchema: z.object(tool.output) } : {}),
        scopeChallenge: scopeChallenge(tool.name),
      },
      // Tools without input get (ctx) only, the others (args, ctx).
      (async (...params: unknown[]) => {
        const ctx = params.at(-1) as ServerContext;
        const args = params.length > 1 ? params[0] : {};
        return tool.run(args, callInfo(ctx));
      }) as never,
    );
  }

  if (options.interactive) registerInteractiveTools(server, options, { state, codec, scopeChallenge });
  registerPromptAndResources(server);
  return server;
}

type ScopeChallengeFor = (tool: string) => ReturnType<typeof requireScopes> | undefined;

/** ask_name, summarize, change_tools and bonus. */
function registerInteractiveTools(
  server: McpServer,
  options: ExampleToolOptions,
  {
    state,
    codec,
    scopeChallenge,
  }: { state: ToolState; codec: RequestStateCodec<AskState>; scopeChallenge: ScopeChallengeFor },
): void {
  server.registerTool(
    ASK_NAME.name,
    {
      description: ASK_NAME.description,
      outputSchema: z.object(ASK_NAME.output),
      scopeChallenge: scopeChallenge(ASK_NAME.name),
    },
    async (ctx): Promise<any> => {
      const asked = ctx.mcpReq.requestState<AskState>();
      const answer = inputResponse(ctx, 'name');
      if (asked?.tool === ASK_NAME.name && answer) {
        return ASK_NAME.answer(String(answer.action), acceptedContent(ctx.mcpReq.inputResponses, 'name'));
      }
      return inputRequired({
        inputRequests: {
          name: inputRequired.elicit({
            message: ASK_NAME.message,
            requestedSchema: ASK_NAME.requestedSchema,
          }),
        },
        requestState: await codec.mint({ tool: ASK_NAME.name, asked: 'name' }, ctx),
      });
    },
  );

  server.registerTool(
    SUMMARIZE.name,
    {
      description: SUMMARIZE.description,
      inputSchema: z.object(SUMMARIZE.input),
      outputSchema: z.object(SUMMARIZE.output),
      scopeChallenge: scopeChallenge(SUMMARIZE.name),
    },
    async ({ text: value }, ctx): Promise<any> => {
      const asked = ctx.mcpReq.requestState<AskState>();
      const reply = inputResponse(ctx, 'summary');
      if (asked?.tool === SUMMARIZE.name && reply) return SUMMARIZE.answer(reply);
      return inputRequired({
        inputRequests: { summary: inputRequired.createMessage(SUMMARIZE.request(value)) },
        requestState: await codec.mint({ tool: SUMMARIZE.name, asked: 'summary' }, ctx),
      });
    },
  );

  const bonus = server.registerTool(
    BONUS_TOOL.name,
    { description: BONUS_TOOL.description, scopeChallenge: scopeChallenge(BONUS_TOOL.name) },
    async (): Promise<ToolResult> => ({ content: [text('bonus')] }),
  );
  if (!state.bonus) bonus.disable();

  server.registerTool(
    CHANGE_TOOLS.name,
    {
      description: CHANGE_TOOLS.description,
      inputSchema: z.object(CHANGE_TOOLS.input),
      outputSchema: z.object(CHANGE_TOOLS.output),
      scopeChallenge: scopeChallenge(CHANGE_TOOLS.name),
    },
    async ({ bonus: wanted }, ctx): Promise<ToolResult> => {
      const result = changeTools(state, wanted);
      if (!result.structuredContent?.changed) return result;
      // On stdio this instance is the connection's: enable()/disable() send list_changed there.
      // Over HTTP each request has its own instance, so the serving entry tells the others.
      if (state.bonus) bonus.enable();
      else bonus.disable();
      if (options.era !== 'modern') {
        // The 2025 way to tell the caller at once: a notification on this call's response stream.
        await ctx.mcpReq.notify({ method: 'notifications/tools/list_changed' }).catch(() => undefined);
      }
      options.onToolsChanged?.(ctx);
      return result;
    },
  );
}

function registerPromptAndResources(server: McpServer): void {
  server.registerPrompt(
    REVIEW_PROMPT.name,
    { description: REVIEW_PROMPT.description, argsSchema: z.object(REVIEW_PROMPT.args) },
    REVIEW_PROMPT.render,
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
