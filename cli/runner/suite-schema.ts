/**
 * The suite file format (`mcptest run SUITE.yaml`), as zod schemas. Keys are snake_case as users
 * write them; every object is strict, so a misspelt key is an error with its line and column.
 * `mcptest schema` prints the JSON Schema derived from {@link Suite}. Documented in
 * docs/suite-format.md.
 */
import { z } from 'zod';

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name like MCP_TOKEN')
  .describe('The NAME of an environment variable (never its value).');

/** Client credentials exchanged by the auth daemon and shared by every parallel run. @see RFC 6749 §4.4 */
export const OAuthAuth = z
  .strictObject({
    grant: z.literal('client_credentials').describe('Only client_credentials is supported in suites.'),
    client_id: z.string().min(1),
    client_secret_env: EnvName.optional().describe('Env var holding the client secret.'),
    token_url: z.string().url().optional().describe('Token endpoint; discovered from the server when unset.'),
    scope: z.string().min(1).optional().describe('Space-separated scopes to request.'),
    resource: z.string().url().optional().describe('RFC 8707 resource; the server URL when unset.'),
    auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .optional()
      .describe('How the client authenticates at the token endpoint; client_secret_basic by default.'),
    private_key_file: z.string().min(1).optional().describe('PEM private key for private_key_jwt.'),
    private_key_env: EnvName.optional().describe('Env var holding a PEM private key for private_key_jwt.'),
  })
  .describe('OAuth client credentials (RFC 6749 §4.4).');

export const ServerAuth = z
  .strictObject({
    bearer_token_env: EnvName.optional().describe('Env var holding a bearer token sent as is.'),
    oauth: OAuthAuth.optional(),
  })
  .refine((a) => !(a.bearer_token_env && a.oauth), {
    message: 'give either bearer_token_env or oauth, not both',
  })
  .describe('How to authenticate. Omit it to use a cached login (mcptest login URL).');

export const ServerSpec = z
  .strictObject({
    url: z.string().min(1).optional().describe('Streamable HTTP endpoint of the MCP server.'),
    command: z.string().min(1).optional().describe('Command starting a stdio MCP server.'),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional().describe('Extra environment for a stdio server.'),
    cwd: z.string().optional().describe('Working folder of a stdio server, relative to the suite file.'),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe('Extra non-secret HTTP headers (Authorization is refused: use auth).'),
    timeout_ms: z.number().int().positive().optional().describe('Connect timeout in milliseconds.'),
    auth: ServerAuth.optional(),
  })
  .refine((s) => Boolean(s.url) !== Boolean(s.command), {
    message: 'a server needs exactly one of url or command',
  });

const JsonOps = z
  .strictObject({
    eq: z.unknown().optional(),
    ne: z.unknown().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    contains: z.unknown().optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
    type: z.enum(['string', 'number', 'boolean', 'object', 'array', 'null']).optional(),
    length: z.number().int().min(0).optional(),
  })
  .describe('Comparison operators applied to the value at the path.');

export const JSON_OPS = Object.keys(JsonOps.shape) as ReadonlyArray<keyof z.infer<typeof JsonOps>>;

/** The content types a matcher names: those of tool results, and `blob` of resource reads. */
export const CONTENT_TYPES = ['text', 'image', 'audio', 'resource_link', 'resource', 'blob'] as const;

export const ContentMatch = z
  .strictObject({
    type: z.enum(CONTENT_TYPES).optional().describe('The content type; `blob` is binary resource contents.'),
    mime_type: z
      .string()
      .regex(/^[\w.+-]+\/([\w.+-]+|\*)$/, 'a MIME type like image/png, or image/* for any image')
      .optional()
      .describe('The MIME type, exactly; `image/*` matches any subtype.'),
    min_bytes: z.number().int().min(0).optional().describe('At least this many bytes (decoded).'),
    max_bytes: z.number().int().min(0).optional().describe('At most this many bytes (decoded).'),
  })
  .refine((m) => Object.keys(m).length > 0, {
    message: 'a content matcher needs type, mime_type, min_bytes or max_bytes',
  })
  .refine((m) => m.min_bytes === undefined || m.max_bytes === undefined || m.min_bytes <= m.max_bytes, {
    message: 'min_bytes is more than max_bytes',
  })
  .describe(
    'A content item to find: at least one item must match every key given. Bytes are those of the decoded image, audio or blob, of the UTF-8 text, or the `size` a resource link declares.',
  );

export const Expect = z.strictObject({
  content: z
    .union([ContentMatch, z.array(ContentMatch).min(1)])
    .optional()
    .describe('Content item(s) the result must hold: each matcher matches at least one item.'),
  content_count: z.number().int().min(0).optional().describe('The number of content items, exactly.'),
  is_error: z.boolean().optional().describe('Whether the tool result has isError set.'),
  text_contains: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .describe('Substring(s) the joined text content must contain.'),
  text_matches: z.string().optional().describe('Regular expression the joined text content must match.'),
  json: z
    .record(z.string().regex(/^\$/, 'a JSON path starts with $'), z.unknown())
    .optional()
    .describe('JSON path → expected value, or an object of operators (eq, gt, matches, …).'),
  output_schema: z
    .boolean()
    .optional()
    .describe("structuredContent must validate against the tool's outputSchema."),
  max_latency_ms: z.number().positive().optional().describe('The call must answer within this time.'),
});

export const TestSpec = z
  .strictObject({
    name: z.string().min(1),
    server: z.string().min(1).optional().describe('Server name; optional when the suite has one server.'),
    tool: z.string().min(1).optional().describe('Tool to call.'),
    arguments: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Arguments of the tool or prompt (prompt arguments are strings).'),
    expect: Expect.optional(),
    tool_present: z.string().min(1).optional().describe('Passes when tools/list offers this tool.'),
    tool_absent: z.string().min(1).optional().describe('Passes when tools/list does not offer this tool.'),
    prompt: z
      .string()
      .min(1)
      .optional()
      .describe('Prompt to get (prompts/get); expect checks its message text.'),
    resource: z
      .string()
      .min(1)
      .optional()
      .describe('Resource URI to read (resources/read); expect checks its text.'),
    timeout_ms: z.number().int().positive().optional().describe('Overrides --timeout for this test.'),
  })
  .refine((t) => [t.tool, t.tool_present, t.tool_absent, t.prompt, t.resource].filter(Boolean).length === 1, {
    message: 'a test needs exactly one of tool, tool_present, tool_absent, prompt or resource',
  })
  .refine((t) => t.tool !== undefined || t.prompt !== undefined || t.arguments === undefined, {
    message: 'arguments go with tool or prompt',
  })
  .refine((t) => (t.tool_present === undefined && t.tool_absent === undefined) || t.expect === undefined, {
    message: 'expect goes with tool, prompt or resource, not with tool_present/tool_absent',
  })
  .refine(
    (t) => t.prompt === undefined || Object.values(t.arguments ?? {}).every((v) => typeof v === 'string'),
    {
      message: 'prompt arguments are strings: quote numbers and booleans ("3", "true")',
    },
  )
  .refine(
    (t) =>
      t.tool !== undefined || (t.expect?.output_schema === undefined && t.expect?.is_error === undefined),
    {
      message:
        'is_error and output_schema check tool results; a prompt or resource failing is an error of its own',
    },
  );

export const Suite = z
  .strictObject({
    name: z.string().min(1).optional().describe('Suite name used in reports; the file name by default.'),
    servers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), ServerSpec),
    tests: z.array(TestSpec).min(1),
  })
  .refine((s) => Object.keys(s.servers).length > 0, { message: 'servers must name at least one server' })
  .describe('An mcptest suite: MCP servers and the tests to run against them.');

export type Suite = z.infer<typeof Suite>;
export type ServerSpec = z.infer<typeof ServerSpec>;
export type TestSpec = z.infer<typeof TestSpec>;
export type Expect = z.infer<typeof Expect>;
export type ContentMatch = z.infer<typeof ContentMatch>;
export type JsonOps = z.infer<typeof JsonOps>;

/** The JSON Schema of the suite format, for editors (`mcptest schema`). */
export function suiteJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Suite, { target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: 'https://github.com/mcptest/mcptest/suite.schema.json',
    title: 'mcptest suite',
  };
}
