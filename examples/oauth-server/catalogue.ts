/**
 * What the example MCP server offers, independent of the SDK that serves it: the plain tools (their
 * schemas and what they answer), the prompt, the two resources, the words of the asking tools
 * (`ask_name`, `summarize`) and the shared state behind `change_tools`. tools.ts registers it on
 * `@modelcontextprotocol/server` 2.x (both eras), legacy-tools.ts on `@modelcontextprotocol/sdk` 1.x.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ZodRawShape, z } from 'zod';

/** Scopes a tool needs beyond the server's base scopes (checked by the HTTP server). */
export const DEFAULT_TOOL_SCOPES: Readonly<Record<string, string[]>> = { admin_reset: ['mcp:admin'] };

export const SERVER_INFO = { name: 'mcptest-example', version: '1.0.0' } as const;

const WEATHER: Record<string, { temperatureC: number; conditions: string }> = {
  paris: { temperatureC: 18, conditions: 'cloudy' },
  london: { temperatureC: 14, conditions: 'rain' },
  tokyo: { temperatureC: 22, conditions: 'clear' },
};

/** A 4×4 PNG (72 bytes), the example's binary resource. */
export const PIXEL_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAD0lEQVR4nGNgaPiPQMRxAF7CF/FUdRSEAAAAAElFTkSuQmCC';

export function text(value: string) {
  return { type: 'text' as const, text: value };
}

/** A tool result both SDKs accept. */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** What a plain tool gets to know about its call, whichever SDK serves it. */
export interface CallInfo {
  signal: AbortSignal;
  auth?: { clientId: string; scopes: string[] };
}

/** A tool that answers from its arguments alone (no question to the client). */
export interface PlainTool {
  name: string;
  description: string;
  input?: ZodRawShape;
  output?: ZodRawShape;
  run(args: any, call: CallInfo): Promise<ToolResult>;
}

export const PLAIN_TOOLS: readonly PlainTool[] = [
  {
    name: 'echo',
    description: 'Returns the text it was given.',
    input: { text: z.string() },
    run: async ({ text: value }) => ({ content: [text(value)] }),
  },
  {
    name: 'add',
    description: 'Adds two numbers.',
    input: { a: z.number(), b: z.number() },
    output: { sum: z.number() },
    run: async ({ a, b }) => ({ content: [text(String(a + b))], structuredContent: { sum: a + b } }),
  },
  {
    name: 'get_weather',
    description: 'Canned weather for a city.',
    input: { city: z.string() },
    output: { city: z.string(), temperatureC: z.number(), conditions: z.string() },
    run: async ({ city }) => {
      const weather = WEATHER[String(city).toLowerCase()] ?? { temperatureC: 20, conditions: 'sunny' };
      const result = { city, ...weather };
      return { content: [text(JSON.stringify(result))], structuredContent: result };
    },
  },
  {
    name: 'fail',
    description: 'Always answers with a tool error carrying the message.',
    input: { message: z.string() },
    run: async ({ message }) => ({ content: [text(message)], isError: true }),
  },
  {
    name: 'slow',
    description: 'Waits the given milliseconds, then answers.',
    input: { ms: z.number().int().min(0) },
    run: async ({ ms }, call) => {
      await sleep(ms, undefined, { signal: call.signal });
      return { content: [text(`waited ${ms} ms`)] };
    },
  },
  {
    name: 'whoami',
    description: 'Who the server thinks is calling: client id and scopes of the bearer token.',
    output: { authenticated: z.boolean(), clientId: z.string().optional(), scopes: z.array(z.string()) },
    run: async (_args, call) => {
      const result = call.auth
        ? { authenticated: true, clientId: call.auth.clientId, scopes: call.auth.scopes }
        : { authenticated: false, scopes: [] };
      return { content: [text(JSON.stringify(result))], structuredContent: result };
    },
  },
  {
    name: 'admin_reset',
    description: 'Pretends to reset the server; needs the mcp:admin scope over HTTP.',
    run: async () => ({ content: [text('reset done')] }),
  },
];

export const REVIEW_PROMPT = {
  name: 'review_code',
  description: 'Asks for a review of a piece of code.',
  args: { code: z.string(), language: z.string().optional() },
  render: ({ code, language }: { code: string; language?: string }) => ({
    messages: [
      { role: 'user' as const, content: text(`Please review this ${language ?? 'code'}:\n\n${code}`) },
    ],
  }),
};

export const CITIES_RESOURCE = {
  name: 'cities',
  uri: 'example://weather/cities',
  description: 'The cities get_weather knows, as JSON.',
  mimeType: 'application/json',
  read: (uri: URL) => ({
    contents: [
      {
        uri: uri.href,
        mimeType: 'application/json',
        text: JSON.stringify({ cities: Object.keys(WEATHER).sort() }),
      },
    ],
  }),
};

export const PIXEL_RESOURCE = {
  name: 'pixel',
  uri: 'example://images/pixel.png',
  description: 'A 4×4 PNG image (a blob).',
  mimeType: 'image/png',
  read: (uri: URL) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PIXEL_PNG_BASE64 }] }),
};

/** `ask_name`: one form elicitation for a name, then a greeting. */
export const ASK_NAME = {
  name: 'ask_name',
  description:
    'Asks the user for their name (form elicitation), then greets them. Declining or cancelling is answered, not an error.',
  /** The elicitation: its message and the form's schema. */
  message: 'What is your name?',
  requestedSchema: {
    type: 'object' as const,
    properties: { name: { type: 'string' as const, title: 'Name', description: 'Your name' } },
    required: ['name'],
  },
  output: { action: z.enum(['accept', 'decline', 'cancel']), name: z.string().optional() },
  answer(action: string, content: Record<string, unknown> | undefined): ToolResult {
    if (action === 'accept' && typeof content?.name === 'string') {
      return {
        content: [text(`Hello, ${content.name}!`)],
        structuredContent: { action: 'accept', name: content.name },
      };
    }
    const refused = action === 'decline' || action === 'cancel' ? action : 'cancel';
    return { content: [text(`No name given (${refused}).`)], structuredContent: { action: refused } };
  },
};

/** `summarize`: one sampling request to the client's model, whose reply is the tool's answer. */
export const SUMMARIZE = {
  name: 'summarize',
  description: "Asks the client's model (sampling) to summarize the text in one sentence.",
  input: { text: z.string() },
  output: { summary: z.string(), model: z.string() },
  request(value: string) {
    return {
      messages: [{ role: 'user' as const, content: text(`Summarize in one sentence:\n\n${value}`) }],
      systemPrompt: 'You write one-sentence summaries.',
      maxTokens: 200,
    };
  },
  answer(result: { model?: string; content?: unknown }): ToolResult {
    const content = Array.isArray(result.content) ? result.content[0] : result.content;
    const reply =
      (content as { type?: string; text?: string } | undefined)?.type === 'text' ? content : undefined;
    const summary = String((reply as { text?: string } | undefined)?.text ?? '');
    const model = String(result.model ?? 'unknown');
    return { content: [text(summary)], structuredContent: { summary, model } };
  },
};

/** `change_tools` adds or removes `bonus`, then announces `notifications/tools/list_changed`. */
export const CHANGE_TOOLS = {
  name: 'change_tools',
  description:
    'Adds the `bonus` tool to the tool list (bonus: true, the default when it is absent) or removes it ' +
    '(bonus: false), then sends notifications/tools/list_changed.',
  input: { bonus: z.boolean().optional() },
  output: { bonus: z.boolean(), changed: z.boolean() },
};

export const BONUS_TOOL = {
  name: 'bonus',
  description: 'Listed only after change_tools added it; answers "bonus".',
};

/** The state `change_tools` changes, shared by every instance one server process makes. */
export interface ToolState {
  bonus: boolean;
}

export function createToolState(): ToolState {
  return { bonus: false };
}

/** Applies a `change_tools` call to the state; the result the tool answers with. */
export function changeTools(state: ToolState, bonus: boolean | undefined): ToolResult {
  const wanted = bonus ?? true;
  const changed = state.bonus !== wanted;
  state.bonus = wanted;
  const said = wanted ? 'bonus tool listed' : 'bonus tool removed';
  return {
    content: [text(changed ? said : `${said} (no change)`)],
    structuredContent: { bonus: wanted, changed },
  };
}
