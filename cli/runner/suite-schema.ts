/**
 * The suite file format (`mcptest run SUITE.yaml`), as zod schemas. Keys are snake_case as users
 * write them; every object is strict, so a misspelt key is an error with its line and column.
 * `mcptest schema` prints the JSON Schema derived from {@link Suite}. Documented in
 * docs/suite-format.md.
 */
import { z } from 'zod';
import { PROTOCOL_CHOICES } from '../mcp/target-options.js';

/** How the automatic schema checks of tool results count (`schema_checks:`, `--schema-checks`; schema-checks.ts). */
export const SCHEMA_CHECK_MODES = ['error', 'warn', 'off'] as const;
export type SchemaCheckMode = (typeof SCHEMA_CHECK_MODES)[number];

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

const PROTOCOL_MESSAGE = `expected one of ${PROTOCOL_CHOICES.join(', ')} (auto: 2026-07-28 when the server offers it)`;

export const Protocol = z
  .enum(PROTOCOL_CHOICES, { error: PROTOCOL_MESSAGE })
  .describe(
    'The MCP revision to speak: auto (2026-07-28 when the server offers it, else the 2025 handshake), or one revision exactly.',
  );

export const Protocols = z
  .array(Protocol, { error: `expected a list of revisions, each one of ${PROTOCOL_CHOICES.join(', ')}` })
  .min(1, 'a protocol matrix needs at least one revision')
  .refine((list) => new Set(list).size === list.length, { message: 'a revision appears twice in the matrix' })
  .describe('A protocol matrix: every test of the server runs once per revision, reported apart.');

/** A form value of an accepted elicitation. */
const FormValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

export const ELICITATION_MESSAGE =
  "expected accept, decline, cancel, or { accept: { field: value, … } } with the form's answers";

export const ElicitationAnswerSpec = z
  .union([
    z.enum(['accept', 'decline', 'cancel']),
    z.strictObject({ accept: z.record(z.string(), FormValue).describe("The form's answers, by field.") }),
  ])
  .describe(
    'How the "user" answers an elicitation: decline, cancel, or accept with the form content (accept alone: an empty form).',
  );

export const SAMPLING_MESSAGE = 'expected the reply text, or { text, model?, stop_reason? }';

export const SamplingAnswerSpec = z
  .union([
    z.string().min(1),
    z.strictObject({
      text: z.string().describe('The "model"\'s reply.'),
      model: z.string().min(1).optional().describe('The model name reported; mcptest-canned by default.'),
      stop_reason: z.string().min(1).optional().describe('endTurn by default.'),
    }),
  ])
  .describe(
    'The canned result of a sampling request: the reply text, or an object with model and stop_reason.',
  );

export const ROOT_MESSAGE = 'expected a URI like file:///work/project, or { uri, name? }';

const RootUri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:/, 'a root is a URI like file:///work/project');

export const RootSpec = z.union([
  RootUri,
  z.strictObject({ uri: RootUri, name: z.string().min(1).optional() }),
]);

export const AnswersSpec = z
  .strictObject({
    elicitation: ElicitationAnswerSpec.optional(),
    sampling: SamplingAnswerSpec.optional(),
    roots: z.array(RootSpec).optional().describe('The roots the client offers (roots/list).'),
  })
  .describe(
    'Canned answers to what the server asks (2026-07-28 input_required rounds and 2025 server requests alike). A kind without an answer is refused, and the test fails naming what was asked.',
  );

export const SchemaChecks = z
  .enum(SCHEMA_CHECK_MODES, { error: `expected ${SCHEMA_CHECK_MODES.join(', ')}` })
  .describe(
    "How a tool result that breaks the tool's own outputSchema counts: error (the test fails; the default), warn (a warning in the report), off (not checked).",
  );

/** A JSON Pointer (RFC 6901) into the snapshot document; `*` stands for any one key or index. */
const SnapshotPointer = z
  .string()
  .regex(/^(\/.*)?$/, 'a JSON pointer like /structuredContent/id or /content/*/text')
  .describe(
    'A JSON pointer into { content, structuredContent, isError }; a `*` segment matches any key or index.',
  );

export const Sanitizer = z
  .union([
    z.strictObject({
      pattern: z
        .string()
        .min(1)
        .describe('A regular expression; every match in every string value is replaced.'),
      flags: z
        .string()
        .regex(/^[imsu]*$/, 'flags are some of i, m, s, u (every match is replaced: g is implied)')
        .optional(),
      replace: z.string().optional().describe('What a match becomes; <SANITIZED> by default.'),
    }),
    z.strictObject({
      pointer: SnapshotPointer,
      replace: z.unknown().optional().describe('What the value becomes; "<SANITIZED>" by default.'),
    }),
  ])
  .describe(
    'A sanitizer of result snapshots, besides the built-in ones (UUIDs, timestamps, JWTs, epoch milliseconds): a regex over string values, or a JSON pointer whose value is replaced.',
  );

export const SANITIZER_MESSAGE =
  'expected { pattern: REGEX, replace?: TEXT, flags? } or { pointer: /structuredContent/id, replace? }';

const Sanitizers = z.array(Sanitizer).describe('Sanitizers of result snapshots (see expect.snapshot).');

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
    protocol: Protocol.optional(),
    protocols: Protocols.optional(),
    answers: AnswersSpec.optional().describe("Default answers of this server's tests."),
    schema_checks: SchemaChecks.optional().describe("This server's schema checks (over the suite's)."),
    sanitize: Sanitizers.optional(),
  })
  .refine((s) => Boolean(s.url) !== Boolean(s.command), {
    message: 'a server needs exactly one of url or command',
  })
  .refine((s) => s.protocol === undefined || s.protocols === undefined, {
    message: 'give protocol (one revision) or protocols (a matrix), not both',
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

/** The content types of tool results (`content_type:`). */
export const TOOL_CONTENT_TYPES = ['text', 'image', 'audio', 'resource_link', 'resource'] as const;

/** The result types a test can require (`result_type:`). */
export const RESULT_TYPES = ['complete'] as const;

/** The cache scopes of list and read results (`cache_scope:`). */
export const CACHE_SCOPES = ['public', 'private'] as const;

/** The kinds of things a server asks its client for. */
export const ASK_KINDS = ['elicitation', 'sampling', 'roots'] as const;

export const ASK_MESSAGE = `expected ${ASK_KINDS.join(', ')}, or { kind, message?, via? }`;

export const AskMatch = z
  .union([
    z.enum(ASK_KINDS),
    z.strictObject({
      kind: z.enum(ASK_KINDS, { error: `expected ${ASK_KINDS.join(', ')}` }),
      message: z
        .string()
        .min(1)
        .optional()
        .describe("Text the ask's message contains (case-insensitive), or /regex/flags it matches."),
      via: z
        .enum(['input_required', 'request'], { error: 'expected input_required or request' })
        .optional()
        .describe('input_required: a 2026-07-28 round; request: a 2025 server request.'),
    }),
  ])
  .describe('An ask to find: its kind, optionally its message and how it came.');

/** The lists a `list:` test can fetch. */
export const LIST_KINDS = ['tools', 'prompts', 'resources', 'resource_templates'] as const;

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
    .describe(
      'true: the tool must declare an outputSchema and its structuredContent must match it, whatever schema_checks says; false: this test skips the automatic schema check.',
    ),
  max_latency_ms: z.number().positive().optional().describe('The call must answer within this time.'),
  result_type: z
    .enum(RESULT_TYPES, { error: `expected ${RESULT_TYPES.join(', ')}` })
    .optional()
    .describe(
      "The final result's resultType (2026-07-28); a 2025-era result carries none and counts as complete.",
    ),
  ttl_ms: z
    .union([z.number().int().min(0), JsonOps])
    .optional()
    .describe('The ttlMs cache hint of a list or read result: a number, or operators (gte, exists, …).'),
  cache_scope: z
    .enum(CACHE_SCOPES, { error: `expected ${CACHE_SCOPES.join(' or ')}` })
    .optional()
    .describe('The cacheScope of a list or read result.'),
  asks: z
    .union([AskMatch, z.array(AskMatch)])
    .optional()
    .describe(
      'What the server must ask for during this test (each matcher finds its ask); [] means it asks for nothing.',
    ),
  schema: z
    .union([
      z.string().regex(/\.(json|ya?ml)$/i, 'a JSON Schema file ending in .json, .yaml or .yml'),
      z.record(z.string(), z.unknown()),
    ])
    .optional()
    .describe(
      'A JSON Schema (2020-12 unless $schema says otherwise) the structuredContent must match (the JSON text when there is none): inline, or a .json/.yaml file relative to the suite.',
    ),
  content_type: z
    .union([
      z.enum(TOOL_CONTENT_TYPES, { error: `expected ${TOOL_CONTENT_TYPES.join(', ')}` }),
      z.array(z.enum(TOOL_CONTENT_TYPES, { error: `expected ${TOOL_CONTENT_TYPES.join(', ')}` })).min(1),
    ])
    .optional()
    .describe('The type of every content item (one of the types listed), with at least one item.'),
  snapshot: z
    .string()
    .regex(/\.json$/i, 'a snapshot file ending in .json')
    .optional()
    .describe(
      'A JSON file, relative to the suite, holding the sanitized { content, structuredContent, isError } the result must equal; --update-snapshots writes it.',
    ),
  notifications: z
    .array(z.string().regex(/^[a-z][\w/-]*$/i, 'a notification method like notifications/tools/list_changed'))
    .min(1, 'list the notifications to wait for, like [notifications/tools/list_changed]')
    .optional()
    .describe(
      'Notifications that must arrive after the action (subscriptions/listen in 2026-07-28, the GET stream or the response stream in 2025), within the time limit.',
    ),
  rejects_input: z
    .boolean()
    .optional()
    .describe(
      'true: the arguments are deliberately bad, and the server must refuse them with a tool error (isError) or JSON-RPC -32602 (invalid params, also in an HTTP 400 body); a success, another JSON-RPC error or a crash fails the test, naming the server and tool.',
    ),
});

/** The classes of change a `snapshot:` test can fail on (cli/surface/diff.ts). */
export const SNAPSHOT_FAIL_ON = ['breaking', 'risky', 'compatible'] as const;

export const SNAPSHOT_MESSAGE = `expected a surface file (from mcptest snapshot), or { file, fail_on: ${SNAPSHOT_FAIL_ON.join(' | ')} }`;

export const SnapshotSpec = z
  .union([
    z.string().min(1),
    z.strictObject({
      file: z.string().min(1).describe('The surface file, relative to the suite file.'),
      fail_on: z
        .enum(SNAPSHOT_FAIL_ON, { error: `expected ${SNAPSHOT_FAIL_ON.join(', ')}` })
        .optional()
        .describe('The least severe change that fails the test; breaking by default.'),
    }),
  ])
  .describe(
    'A surface snapshot (mcptest snapshot) the server must still match: the file, relative to the suite, or { file, fail_on }. The test fails on every change at or above fail_on (breaking by default); `mcptest run --update-snapshots` rewrites the file.',
  );

export type SnapshotSpec = z.infer<typeof SnapshotSpec>;

/** A duration as suites write it: `500ms`, `10s`, `2m`. */
const Duration = z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m)$/, 'a duration like 500ms, 10s or 2m');

export const LoadSpec = z
  .strictObject({
    tool: z.string().min(1).describe('The tool to call.'),
    arguments: z.record(z.string(), z.unknown()).optional().describe('Its arguments.'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Callers at the same time; 10 by default.'),
    requests: z.number().int().min(1).optional().describe('Stop after this many calls.'),
    duration: Duration.optional().describe('Stop sending after this long (10s, 2m).'),
    rate: z
      .number()
      .positive()
      .optional()
      .describe('A fixed offered load, calls per second over all callers.'),
    max_p50_ms: z.number().positive().optional().describe('Fail when the median latency is above this.'),
    max_p95_ms: z.number().positive().optional(),
    max_p99_ms: z.number().positive().optional().describe('Fail when the 99th percentile is above this.'),
    max_error_rate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Fail when more than this share of the calls failed (0.01 = 1 %); 0 by default: any failed call fails.',
      ),
  })
  .refine((l) => l.requests !== undefined || l.duration !== undefined, {
    message: 'a load test is bounded: give requests, duration, or both',
  })
  .describe(
    "Many concurrent calls of one tool on the server's connection, as `mcptest load` makes them; the test fails on a threshold it misses.",
  );

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
    list: z
      .enum(LIST_KINDS, { error: `expected ${LIST_KINDS.join(', ')}` })
      .optional()
      .describe('List to fetch (every page); expect checks it with json, ttl_ms, cache_scope, result_type.'),
    timeout_ms: z.number().int().positive().optional().describe('Overrides --timeout for this test.'),
    answers: AnswersSpec.optional().describe("This test's answers (over the server's and the suite's)."),
    sanitize: Sanitizers.optional().describe(
      "This test's snapshot sanitizers (after the suite's and the server's).",
    ),
    snapshot: SnapshotSpec.optional(),
    load: LoadSpec.optional(),
    serial: z
      .boolean()
      .optional()
      .describe(
        'Run this test alone: no other test runs while it does (whatever --jobs says). A load test runs alone unless serial: false.',
      ),
  })
  .refine((t) => t.snapshot === undefined || [t.tool, t.prompt, t.resource].every((k) => k === undefined), {
    message:
      'snapshot: beside tool, prompt or resource: a snapshot of the result goes under expect (expect: { snapshot: FILE.json }); snapshot: on its own is a surface snapshot test (mcptest snapshot)',
  })
  .refine(
    (t) =>
      [t.tool, t.tool_present, t.tool_absent, t.prompt, t.resource, t.list, t.snapshot, t.load].filter(
        Boolean,
      ).length === 1,
    {
      message:
        'a test needs exactly one of tool, tool_present, tool_absent, prompt, resource, list, snapshot or load',
    },
  )
  .refine((t) => t.load === undefined || t.expect === undefined, {
    message:
      'a load test has no expect: it fails on the thresholds of its load block (max_p99_ms, max_error_rate)',
  })
  .refine((t) => t.snapshot === undefined || t.expect === undefined, {
    message: 'a snapshot test has no expect: it fails on the changes its fail_on names',
  })
  .refine((t) => t.tool !== undefined || t.prompt !== undefined || t.arguments === undefined, {
    message: 'arguments go with tool or prompt',
  })
  .refine((t) => (t.tool_present === undefined && t.tool_absent === undefined) || t.expect === undefined, {
    message: 'expect goes with tool, prompt, resource or list, not with tool_present/tool_absent',
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
        'is_error and output_schema check tool results; a prompt, resource or list failing is an error of its own',
    },
  )
  .refine((t) => t.tool !== undefined || t.expect?.rejects_input === undefined, {
    message: 'rejects_input checks a tool call: it goes with tool',
  })
  .refine((t) => !(t.expect?.rejects_input === true && t.expect.is_error !== undefined), {
    message: 'rejects_input: true already expects a refusal (a tool error or -32602): drop is_error',
  })
  .refine((t) => !(t.expect?.rejects_input === true && t.expect.output_schema !== undefined), {
    message: 'rejects_input: true expects a refusal, which has no structuredContent: drop output_schema',
  })
  .refine(
    (t) =>
      t.list === undefined ||
      (['text_contains', 'text_matches', 'content', 'content_count', 'content_type'] as const).every(
        (k) => t.expect?.[k] === undefined,
      ),
    {
      message:
        'a list has no text or content: check it with json paths ($.tools[0].name), ttl_ms, cache_scope',
    },
  )
  .refine(
    (t) =>
      t.resource !== undefined ||
      t.list !== undefined ||
      (t.expect?.ttl_ms === undefined && t.expect?.cache_scope === undefined),
    {
      message:
        'ttl_ms and cache_scope are cache hints of list and resource results: they go with list or resource',
    },
  )

  .refine((t) => t.list === undefined || t.expect?.snapshot === undefined, {
    message: 'snapshot compares a tool, prompt or resource result; a list is not one',
  })
  .refine((t) => t.expect?.snapshot !== undefined || t.sanitize === undefined, {
    message: 'sanitize goes with expect.snapshot: it cleans the snapshot of volatile values',
  });

export const Suite = z
  .strictObject({
    name: z.string().min(1).optional().describe('Suite name used in reports; the file name by default.'),
    protocol: Protocol.optional().describe('The revision of every server that names none.'),
    protocols: Protocols.optional().describe(
      'A protocol matrix for every server that names no protocol of its own.',
    ),
    answers: AnswersSpec.optional().describe('Default answers of every test.'),
    schema_checks: SchemaChecks.optional().describe(
      "Whether every tool result is checked against the tool's outputSchema: error (default), warn or off.",
    ),
    sanitize: Sanitizers.optional().describe('Snapshot sanitizers of every test.'),
    serial: z
      .boolean()
      .optional()
      .describe('Run every test of the suite one after another (as --jobs 1 would).'),
    servers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), ServerSpec),
    tests: z.array(TestSpec).min(1),
  })
  .refine((s) => s.protocol === undefined || s.protocols === undefined, {
    message: 'give protocol (one revision) or protocols (a matrix), not both',
  })
  .refine((s) => Object.keys(s.servers).length > 0, { message: 'servers must name at least one server' })
  .describe('An mcptest suite: MCP servers and the tests to run against them.');

export type Suite = z.infer<typeof Suite>;
export type ServerSpec = z.infer<typeof ServerSpec>;
export type TestSpec = z.infer<typeof TestSpec>;
export type Expect = z.infer<typeof Expect>;
export type ContentMatch = z.infer<typeof ContentMatch>;
export type JsonOps = z.infer<typeof JsonOps>;
export type AnswersSpec = z.infer<typeof AnswersSpec>;
export type AskMatch = z.infer<typeof AskMatch>;
export type ListKind = (typeof LIST_KINDS)[number];
export type LoadSpec = z.infer<typeof LoadSpec>;
export type Sanitizer = z.infer<typeof Sanitizer>;

/** The JSON Schema of the suite format, for editors (`mcptest schema`). */
export function suiteJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Suite, { target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: 'https://github.com/mcptest/mcptest/suite.schema.json',
    title: 'mcptest suite',
  };
}
