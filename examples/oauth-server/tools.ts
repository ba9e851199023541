/**
 * The example tools (and one prompt, a text resource and a binary one), registered on every
 * example MCP server (HTTP and stdio) from this one place.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Scopes a tool needs beyond the server's base scopes (checked by the HTTP server). */
export const DEFAULT_TOOL_SCOPES: Readonly<Record<string, string[]>> = { admin_reset: ['mcp:admin'] };

const WEATHER: Record<string, { temperatureC: number; conditions: string }> = {
  paris: { temperatureC: 18, conditions: 'cloudy' },
  london: { temperatureC: 14, conditions: 'rain' },
  tokyo: { temperatureC: 22, conditions: 'clear' },
};

/** A 4×4 PNG (72 bytes), the example's binary resource. */
export const PIXEL_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAD0lEQVR4nGNgaPiPQMRxAF7CF/FUdRSEAAAAAElFTkSuQmCC';

function text(value: string) {
  return { type: 'text' as const, text: value };
}

/** Builds an MCP server named `mcptest-example` carrying the example tools, prompt and resource. */
export function createExampleMcpServer(): McpServer {
  const server = new McpServer({ name: 'mcptest-example', version: '1.0.0' });

  server.registerTool(
    'echo',
    { description: 'Returns the text it was given.', inputSchema: { text: z.string() } },
    async ({ text: value }) => ({ content: [text(value)] }),
  );

  server.registerTool(
    'add',
    {
      description: 'Adds two numbers.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({ content: [text(String(a + b))], structuredContent: { sum: a + b } }),
  );

  server.registerTool(
    'get_weather',
    {
      description: 'Canned weather for a city.',
      inputSchema: { city: z.string() },
      outputSchema: { city: z.string(), temperatureC: z.number(), conditions: z.string() },
    },
    async ({ city }) => {
      const weather = WEATHER[city.toLowerCase()] ?? { temperatureC: 20, conditions: 'sunny' };
      const result = { city, ...weather };
      return { content: [text(JSON.stringify(result))], structuredContent: result };
    },
  );

  server.registerTool(
    'fail',
    {
      description: 'Always answers with a tool error carrying the message.',
      inputSchema: { message: z.string() },
    },
    async ({ message }) => ({ content: [text(message)], isError: true }),
  );

  server.registerTool(
    'slow',
    {
      description: 'Waits the given milliseconds, then answers.',
      inputSchema: { ms: z.number().int().min(0) },
    },
    async ({ ms }, extra) => {
      await sleep(ms, undefined, { signal: extra.signal });
      return { content: [text(`waited ${ms} ms`)] };
    },
  );

  server.registerTool(
    'whoami',
    {
      description: 'Who the server thinks is calling: client id and scopes of the bearer token.',
      outputSchema: {
        authenticated: z.boolean(),
        clientId: z.string().optional(),
        scopes: z.array(z.string()),
      },
    },
    async (extra) => {
      const auth = extra.authInfo;
      const result = auth
        ? { authenticated: true, clientId: auth.clientId, scopes: auth.scopes }
        : { authenticated: false, scopes: [] };
      return { content: [text(JSON.stringify(result))], structuredContent: result };
    },
  );

  server.registerTool(
    'admin_reset',
    { description: 'Pretends to reset the server; needs the mcp:admin scope over HTTP.' },
    async () => ({ content: [text('reset done')] }),
  );

  server.registerPrompt(
    'review_code',
    {
      description: 'Asks for a review of a piece of code.',
      argsSchema: { code: z.string(), language: z.string().optional() },
    },
    ({ code, language }) => ({
      messages: [
        {
          role: 'user' as const,
          content: text(`Please review this ${language ?? 'code'}:\n\n${code}`),
        },
      ],
    }),
  );

  server.registerResource(
    'cities',
    'example://weather/cities',
    { description: 'The cities get_weather knows, as JSON.', mimeType: 'application/json' },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ cities: Object.keys(WEATHER).sort() }),
        },
      ],
    }),
  );

  server.registerResource(
    'pixel',
    'example://images/pixel.png',
    { description: 'A 4×4 PNG image (a blob).', mimeType: 'image/png' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PIXEL_PNG_BASE64 }] }),
  );

  return server;
}
