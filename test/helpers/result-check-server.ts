/**
 * A stdio MCP server for the result checks, serving both eras (SDK 2.x `serveStdio` on a
 * low-level `Server`: `McpServer` would refuse to send a result that breaks its outputSchema).
 * `node dist/test/helpers/result-check-server.js`. Tools:
 *
 * - `good`: `{ sum: number }` declared, `{ sum: 3 }` answered.
 * - `wrong_type`: `{ sum: number }` declared, `{ sum: "three" }` answered.
 * - `missing`: declares an outputSchema, answers text only (no structuredContent).
 * - `failing`: declares an outputSchema, answers `isError: true` without structuredContent
 *   (the spec exempts tool errors).
 * - `refs`: an outputSchema with `$defs` and a same-document `$ref`; `{ item: { id: "x" } }`
 *   breaks it (`id` must be an integer), `{ item: { id: 1 } }` with `arguments.ok`.
 * - `tuple`: an outputSchema with no `$schema` using `prefixItems` (JSON Schema 2020-12 only:
 *   draft-07 has no such keyword), `{ pair: ["a", "b"] }` breaks it (the second item must be an
 *   integer), `{ pair: ["a", 1] }` with `arguments.ok`.
 * - `plain`: no outputSchema, a JSON text answer.
 * - `picture`: an image and a text item.
 * - `volatile`: a fresh UUID, RFC 3339 timestamp, epoch-ms number and JWT-shaped string on every
 *   call, in structuredContent and text, beside `arguments.text` and a random `nonce`.
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

const SUM = {
  type: 'object',
  properties: { sum: { type: 'number' } },
  required: ['sum'],
  additionalProperties: false,
};

const REFS = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    item: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
  },
  properties: { item: { $ref: '#/$defs/item' } },
  required: ['item'],
};

/** No `$schema`: validated as 2020-12, the MCP default (SEP-2106), where `prefixItems` holds. */
const TUPLE = {
  type: 'object',
  properties: {
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
  },
  required: ['pair'],
};

const TOOLS = [
  { name: 'good', description: 'Answers a sum that fits its schema.', outputSchema: SUM },
  { name: 'wrong_type', description: 'Answers a sum of the wrong type.', outputSchema: SUM },
  { name: 'missing', description: 'Declares an outputSchema but answers text only.', outputSchema: SUM },
  { name: 'failing', description: 'Answers a tool error.', outputSchema: SUM },
  { name: 'refs', description: 'An outputSchema with $defs and $ref.', outputSchema: REFS },
  { name: 'tuple', description: 'A 2020-12 outputSchema without $schema.', outputSchema: TUPLE },
  { name: 'plain', description: 'No outputSchema; JSON text.' },
  { name: 'picture', description: 'An image and a caption.' },
  { name: 'volatile', description: 'Values that change on every call.' },
].map((t) => ({ ...t, inputSchema: { type: 'object' as const } }));

function text(value: string) {
  return { type: 'text' as const, text: value };
}

const PNG_1x1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function volatile(args: Record<string, unknown>): Record<string, unknown> {
  const value = {
    text: String(args.text ?? ''),
    id: randomUUID(),
    at: new Date().toISOString(),
    ms: Date.now(),
    // JWT-shaped (an unsigned token of no service), random on every call.
    jwt: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ jti: randomUUID() })}.`,
    nonce: Math.random().toString(36).slice(2),
  };
  return {
    content: [text(`request ${value.id} at ${value.at} (${value.ms}) nonce ${value.nonce}: ${value.text}`)],
    structuredContent: value,
  };
}

function answer(name: string, args: Record<string, unknown>): Record<string, unknown> {
  switch (name) {
    case 'good':
      return { content: [text('{"sum":3}')], structuredContent: { sum: 3 } };
    case 'wrong_type':
      return { content: [text('{"sum":"three"}')], structuredContent: { sum: 'three' } };
    case 'missing':
      return { content: [text('the sum is 3')] };
    case 'failing':
      return { content: [text('cannot add')], isError: true };
    case 'refs': {
      const item = args.ok ? { id: 1 } : { id: 'x' };
      return { content: [text(JSON.stringify({ item }))], structuredContent: { item } };
    }
    case 'tuple': {
      const pair = args.ok ? ['a', 1] : ['a', 'b'];
      return { content: [text(JSON.stringify({ pair }))], structuredContent: { pair } };
    }
    case 'picture':
      return { content: [{ type: 'image', data: PNG_1x1, mimeType: 'image/png' }, text('a pixel')] };
    case 'volatile':
      return volatile(args);
    default:
      return { content: [text('{"sum":3,"label":"three"}')] };
  }
}

function schemaBreakingServer(): Server {
  const server = new Server(
    { name: 'mcptest-schema-breaking', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', async () => ({ tools: TOOLS }) as any);
  server.setRequestHandler(
    'tools/call',
    async (request) => answer(request.params.name, request.params.arguments ?? {}) as any,
  );
  return server;
}

serveStdio(() => schemaBreakingServer(), { legacy: 'serve' });
