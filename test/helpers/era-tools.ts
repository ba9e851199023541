/**
 * The tools every era test server carries (test/helpers/era-servers.ts), written once per SDK:
 * `echo` (outputSchema + structuredContent), `ask_name` (a form elicitation), `ask_url` (a URL-mode
 * elicitation), `ask_model` (sampling), `ask_roots` (roots/list), `add_tool` (registers a tool:
 * tools/list_changed), and on the modern era only `ask_forever` (an `input_required` that never
 * ends, for the bound on rounds).
 * On an SDK 2.x server of the modern era the asks are `input_required` results answered by a
 * retry; on a legacy-era connection (SDK 2.x's 2025 path, or SDK 1.x) they are server requests.
 */
import { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { acceptedContent, inputRequired, inputResponse, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** The question `ask_name` asks, in both eras. */
export const ASK_NAME_MESSAGE = 'What is your name?';
/** The URL and message of `ask_url` (URL-mode elicitation). */
export const ASK_URL = 'https://example.com/connect?state=era';
export const ASK_URL_MESSAGE = 'Connect your account';
/** The prompt `ask_model` sends for sampling. */
export const ASK_MODEL_PROMPT = 'Write a haiku about tests';

const NAME_SCHEMA = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const, description: 'your name' } },
  required: ['name'],
};

const SAMPLING = {
  messages: [{ role: 'user' as const, content: { type: 'text' as const, text: ASK_MODEL_PROMPT } }],
  maxTokens: 100,
};

function text(value: string) {
  return { type: 'text' as const, text: value };
}

/** Tools added by `add_tool`, shared by every instance of one server (HTTP serves one per request). */
export interface AddedTools {
  names: string[];
  /** Called after a tool was added (publishes tools/list_changed where the server needs help). */
  changed?: () => void;
  /**
   * Also serve `regional_echo`, whose `region` argument is declared with `x-mcp-header: Region`
   * (SEP-2243): a 2026-07-28 call over HTTP must repeat it in an `Mcp-Param-Region` header.
   */
  paramHeaderTool?: boolean;
}

/** An SDK 2.x server for one era; `era` decides how the asks are made. */
export function modernEraServer(era: 'modern' | 'legacy', added: AddedTools): McpServer {
  const server = new McpServer(
    { name: `mcptest-era-${era}`, version: '1.0.0' },
    { capabilities: { tools: { listChanged: true } } },
  );
  server.registerTool(
    'echo',
    {
      description: 'Returns the text it was given, also as structuredContent.',
      inputSchema: z.object({ text: z.string() }),
      outputSchema: z.object({ text: z.string() }),
    },
    async ({ text: value }) => ({ content: [text(value)], structuredContent: { text: value } }),
  );
  server.registerTool(
    'ask_name',
    { description: 'Asks the user for their name (elicitation) and greets them.' },
    async (ctx) => {
      if (era === 'legacy') {
        const r = await ctx.mcpReq.elicitInput({ message: ASK_NAME_MESSAGE, requestedSchema: NAME_SCHEMA });
        return {
          content: [
            text(r.action === 'accept' ? `hello ${String(r.content?.name)}` : `no name (${r.action})`),
          ],
        };
      }
      const view = inputResponse(ctx.mcpReq.inputResponses, 'name');
      if (view.kind === 'elicit' && view.action !== 'accept')
        return { content: [text(`no name (${view.action})`)] };
      const got = acceptedContent(ctx.mcpReq.inputResponses, 'name');
      if (got) return { content: [text(`hello ${String(got.name)}`)] };
      return inputRequired({
        inputRequests: {
          name: inputRequired.elicit({ message: ASK_NAME_MESSAGE, requestedSchema: NAME_SCHEMA }),
        },
      });
    },
  );
  server.registerTool(
    'ask_model',
    { description: 'Asks the client for a sampling completion and returns it.' },
    async (ctx) => {
      if (era === 'legacy') {
        const r = await ctx.mcpReq.requestSampling(SAMPLING);
        const c = r.content as { type?: string; text?: string };
        return { content: [text(`model ${r.model} said: ${c.type === 'text' ? c.text : '?'}`)] };
      }
      const view = inputResponse(ctx.mcpReq.inputResponses, 'reply');
      if (view.kind === 'sampling') {
        const c = view.result.content as { type?: string; text?: string };
        return { content: [text(`model ${view.result.model} said: ${c.type === 'text' ? c.text : '?'}`)] };
      }
      return inputRequired({ inputRequests: { reply: inputRequired.createMessage(SAMPLING) } });
    },
  );
  server.registerTool(
    'ask_roots',
    { description: 'Asks the client for its roots and lists them.' },
    async (ctx) => {
      if (era === 'legacy') {
        const r = (await ctx.mcpReq.send({ method: 'roots/list' })) as { roots: Array<{ uri: string }> };
        return { content: [text(`roots: ${r.roots.map((x) => x.uri).join(', ')}`)] };
      }
      const view = inputResponse(ctx.mcpReq.inputResponses, 'roots');
      if (view.kind === 'roots')
        return { content: [text(`roots: ${view.roots.map((x) => x.uri).join(', ')}`)] };
      return inputRequired({ inputRequests: { roots: inputRequired.listRoots() } });
    },
  );
  server.registerTool(
    'ask_url',
    { description: 'Asks the user to open a URL (URL-mode elicitation).' },
    async (ctx) => {
      if (era === 'legacy') {
        const r = await ctx.mcpReq.elicitInput({
          mode: 'url',
          message: ASK_URL_MESSAGE,
          url: ASK_URL,
          elicitationId: 'era-url-1',
        });
        return { content: [text(`url ${r.action}`)] };
      }
      const view = inputResponse(ctx.mcpReq.inputResponses, 'visit');
      if (view.kind === 'elicit') return { content: [text(`url ${view.action}`)] };
      return inputRequired({
        inputRequests: { visit: inputRequired.elicitUrl({ message: ASK_URL_MESSAGE, url: ASK_URL }) },
      });
    },
  );
  if (era === 'modern') {
    server.registerTool(
      'ask_forever',
      { description: 'Asks for input again on every round (never completes).' },
      async (ctx) => {
        const round = Number(ctx.mcpReq.requestState() ?? '0') + 1;
        return inputRequired({
          inputRequests: {
            [`q${round}`]: inputRequired.elicit({
              message: `Question ${round}?`,
              requestedSchema: NAME_SCHEMA,
            }),
          },
          requestState: String(round),
        });
      },
    );
  }
  server.registerTool(
    'add_tool',
    {
      description: 'Registers a tool named by `name` (tools/list_changed follows).',
      inputSchema: z.object({ name: z.string() }),
    },
    async ({ name }) => {
      if (!added.names.includes(name)) added.names.push(name);
      registerAdded(server, name);
      added.changed?.();
      return { content: [text(`added ${name}`)] };
    },
  );
  if (added.paramHeaderTool) {
    server.registerTool(
      'regional_echo',
      {
        description: 'Returns the text with its region; the region travels in an Mcp-Param-Region header.',
        inputSchema: z.object({
          region: z.string().meta({ 'x-mcp-header': 'Region' }),
          text: z.string(),
        }),
      },
      async ({ region, text: value }) => ({ content: [text(`${region}: ${value}`)] }),
    );
  }
  for (const name of added.names) registerAdded(server, name);
  return server;
}

function registerAdded(server: McpServer, name: string): void {
  try {
    server.registerTool(name, { description: `added by add_tool` }, async () => ({ content: [text(name)] }));
  } catch {
    // already registered on this instance
  }
}

/** An SDK 1.x server (the 2025 era only), asks as server requests. */
export function legacyEraServer(added: AddedTools): LegacyMcpServer {
  const server = new LegacyMcpServer({ name: 'mcptest-era-legacy-only', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Returns the text it was given, also as structuredContent.',
      inputSchema: { text: z.string() },
      outputSchema: { text: z.string() },
    },
    async ({ text: value }) => ({ content: [text(value)], structuredContent: { text: value } }),
  );
  server.registerTool(
    'ask_name',
    { description: 'Asks the user for their name (elicitation).' },
    async () => {
      const r = await server.server.elicitInput({ message: ASK_NAME_MESSAGE, requestedSchema: NAME_SCHEMA });
      return {
        content: [text(r.action === 'accept' ? `hello ${String(r.content?.name)}` : `no name (${r.action})`)],
      };
    },
  );
  server.registerTool(
    'ask_model',
    { description: 'Asks the client for a sampling completion.' },
    async () => {
      const r = await server.server.createMessage(SAMPLING);
      const c = r.content as { type?: string; text?: string };
      return { content: [text(`model ${r.model} said: ${c.type === 'text' ? c.text : '?'}`)] };
    },
  );
  server.registerTool(
    'ask_url',
    { description: 'Asks the user to open a URL (URL-mode elicitation).' },
    async () => {
      const r = await server.server.elicitInput({
        mode: 'url',
        message: ASK_URL_MESSAGE,
        url: ASK_URL,
        elicitationId: 'era-url-1',
      });
      return { content: [text(`url ${r.action}`)] };
    },
  );
  server.registerTool('ask_roots', { description: 'Asks the client for its roots.' }, async () => {
    const r = await server.server.listRoots();
    return { content: [text(`roots: ${r.roots.map((x) => x.uri).join(', ')}`)] };
  });
  server.registerTool(
    'add_tool',
    { description: 'Registers a tool named by `name`.', inputSchema: { name: z.string() } },
    async ({ name }) => {
      if (!added.names.includes(name)) added.names.push(name);
      try {
        server.registerTool(name, { description: 'added by add_tool' }, async () => ({
          content: [text(name)],
        }));
      } catch {
        // already there
      }
      return { content: [text(`added ${name}`)] };
    },
  );
  for (const name of added.names) {
    server.registerTool(name, { description: 'added by add_tool' }, async () => ({ content: [text(name)] }));
  }
  return server;
}
