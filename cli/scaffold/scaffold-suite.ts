/**
 * Scaffolds a suite from a live server: one test per tool, arguments generated from each input
 * schema, expectations proposed from several real calls with those arguments (only what held on
 * all of them, so a tool answering random values gives a suite that passes when run again).
 * Shared by `mcptest scaffold` and the agent verb `scaffold_suite`. A tool whose call is refused
 * (auth or scope), fails, or answers a tool error gets a `tool_present` test plus a comment saying
 * why (an error is never recorded as the expected answer), so the scaffolded suite passes
 * `mcptest run` unchanged and a human sees what is left to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Document, isMap, isScalar } from 'yaml';
import { McptestError } from '../../shared/errors.js';
import { callOptions } from '../mcp/call-progress.js';
import type { McpConnection } from '../mcp/connect.js';
import { listAllPrompts, listAllResources, listAllTools, pagedTools } from '../mcp/list-tools.js';
import { headersFromListing } from '../mcp/param-headers.js';
import type { ServerTarget } from '../mcp/target.js';
import { resultText, type ToolResult } from '../runner/assertions.js';
import { Suite, type ServerSpec, type TestSpec } from '../runner/suite-schema.js';
import type { Surface } from '../surface/format.js';
import { recordConnection } from '../surface/record.js';
import { negativeTests } from './negative-tests.js';
import { proposeAssertions, SAMPLE_CALLS } from './propose-assertions.js';
import { sampleArguments } from './sample-arguments.js';

export interface ScaffoldOptions {
  /** Call each tool to learn what passes (default true); otherwise expect only is_error: false. */
  call?: boolean;
  /** How many times each tool is called (default `SAMPLE_CALLS`); what varies is asserted by shape. */
  samples?: number;
  /** Also a test per prompt (prompts/get with its required arguments), when the server has prompts. */
  prompts?: boolean;
  /** Also a test per listed resource (resources/read), when the server has resources. */
  resources?: boolean;
  /** Also input-rejection tests per tool (negative-tests.ts): bad arguments, `rejects_input: true`. */
  negative?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Folder the suite will be written to: a stdio server's cwd is made relative to it. */
  suiteDir?: string;
  /**
   * The surface snapshot file of the suite's `snapshot:` test, relative to `suiteDir` (the caller
   * writes `surface` there); unset (a printed suite), there is no such test.
   */
  surfaceFile?: string;
  cwd: string;
}

/** What happened to one tool while scaffolding. */
export interface ScaffoldedTest {
  name: string;
  tool: string;
  /**
   * `call`: a tools/call test; `present`: only checks the tool is listed (see note); `prompt`,
   * `resource`: a prompts/get or resources/read test (`tool` then holds the prompt name or the
   * resource URI; one that failed gets no test, only the note); `negative`: an input-rejection
   * test (never called while scaffolding), or with outcome `none` the note saying why the tool
   * has none.
   */
  kind: 'call' | 'present' | 'prompt' | 'resource' | 'negative' | 'snapshot';
  outcome: 'ok' | 'tool_error' | 'auth_refused' | 'call_failed' | 'not_called' | 'none';
  note?: string;
}

export interface ScaffoldResult {
  yaml: string;
  suite: Suite;
  tests: ScaffoldedTest[];
  /** The server's surface as recorded now, for the `snapshot:` test's file (`surfaceFile`). */
  surface: Surface;
}

/** The surface file a suite written to `suiteFile` gets: `suite.yaml` → `suite.surface.json`. */
export function surfaceFileFor(suiteFile: string): string {
  return `${path.basename(suiteFile).replace(/\.ya?ml$/i, '')}.surface.json`;
}

/**
 * Calls a tool with a raw `tools/call` (the SDK's callTool would throw on an outputSchema
 * mismatch before we could look at the result) and times it. Errors come back explained.
 */
/** Each connection's one listing of its tools, for the `Mcp-Param-*` headers of its calls. */
const listings = new WeakMap<McpConnection, Promise<Array<{ name: string; inputSchema?: unknown }>>>();

/**
 * The `Mcp-Param-*` headers of a 2026-07-28 call over HTTP (SEP-2243), from the tool's listed
 * `x-mcp-header` declarations; none in the 2025 era or on stdio.
 */
async function callHeaders(
  conn: McpConnection,
  params: { name: string; arguments: unknown },
): Promise<Record<string, string> | undefined> {
  if (conn.era !== 'modern' || conn.transport !== 'streamable-http') return undefined;
  let listing = listings.get(conn);
  if (!listing) {
    listing = pagedTools(conn.client, { timeoutMs: conn.target.timeoutMs });
    listings.set(conn, listing);
  }
  return headersFromListing(await listing.catch(() => undefined), params);
}

export async function timedCall(
  conn: McpConnection,
  tool: string,
  args: Record<string, unknown>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ result: ToolResult & Record<string, unknown>; latencyMs: number }> {
  const { CallToolResultSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const params = { name: tool, arguments: args };
  const headers = await callHeaders(conn, params);
  const t0 = performance.now();
  try {
    const result = await conn.client.request({ method: 'tools/call', params }, CallToolResultSchema, {
      ...callOptions(options.timeoutMs ?? conn.target.timeoutMs, options.signal),
      ...(headers ? { headers } : {}),
    });
    return { result: result as ToolResult & Record<string, unknown>, latencyMs: performance.now() - t0 };
  } catch (err) {
    throw conn.explain(err);
  }
}

/**
 * The answers to `samples` calls of one tool, one after another; stops at the first tool error
 * (an error is not sampled further). A call that fails throws, explained.
 */
export async function sampleCalls(
  conn: McpConnection,
  tool: string,
  args: Record<string, unknown>,
  options: { timeoutMs?: number; signal?: AbortSignal; samples?: number } = {},
): Promise<{ results: ToolResult[]; latenciesMs: number[] }> {
  const results: ToolResult[] = [];
  const latenciesMs: number[] = [];
  for (let i = 0; i < Math.max(1, options.samples ?? SAMPLE_CALLS); i++) {
    const { result, latencyMs } = await timedCall(conn, tool, args, options);
    results.push(result);
    latenciesMs.push(latencyMs);
    if (result.isError === true) break;
  }
  return { results, latenciesMs };
}

/** The `servers:` entry naming the same server and credential input as the target. */
export function serverSpecFor(target: ServerTarget, suiteDir: string | undefined, cwd: string): ServerSpec {
  if (target.command) {
    const spec: ServerSpec = { command: target.command };
    if (target.args?.length) spec.args = target.args;
    if (suiteDir && path.resolve(suiteDir) !== path.resolve(cwd)) {
      spec.cwd = path.relative(path.resolve(suiteDir), path.resolve(cwd)) || '.';
    }
    return spec;
  }
  const spec: ServerSpec = { url: target.url as string };
  if (target.headers && Object.keys(target.headers).length) spec.headers = target.headers;
  if (target.bearerTokenEnv) spec.auth = { bearer_token_env: target.bearerTokenEnv };
  else if (target.oauth) {
    const o = target.oauth;
    spec.auth = {
      oauth: {
        grant: 'client_credentials',
        client_id: o.clientId,
        ...(o.clientSecretEnv ? { client_secret_env: o.clientSecretEnv } : {}),
        ...(o.tokenUrl ? { token_url: o.tokenUrl } : {}),
        ...(o.scope ? { scope: o.scope } : {}),
        ...(o.resource ? { resource: o.resource } : {}),
        ...(o.authMethod ? { auth_method: o.authMethod } : {}),
        ...(o.privateKeyEnv ? { private_key_env: o.privateKeyEnv } : {}),
      },
    };
  }
  return spec;
}

function serverKey(conn: McpConnection): string {
  const name = (conn.serverInfo?.name ?? '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
  return name || 'server';
}

/** Scaffolds the suite for the connected server. */
export async function scaffoldSuite(conn: McpConnection, options: ScaffoldOptions): Promise<ScaffoldResult> {
  const tools = await listAllTools(conn, options);
  if (tools.length === 0) {
    throw new McptestError(
      'server_error',
      `${describe(conn)} lists no tools, so there is nothing to scaffold`,
      {
        hint: conn.serverUrl ? `mcptest doctor --url ${conn.serverUrl}` : undefined,
      },
    );
  }
  const key = serverKey(conn);
  const tests: TestSpec[] = [];
  const comments: Array<string | undefined> = [];
  const report: ScaffoldedTest[] = [];
  // Recorded first, before any tool is called (a call may change what the server offers), and
  // the first test: a tool a later call adds is then a compatible change, not a break.
  const surface = await recordConnection(conn, options.signal);
  addSnapshotTest(options, { tests, comments, report });
  for (const tool of tools) {
    const args = sampleArguments(tool.inputSchema);
    const hasArgs = Object.keys(args).length > 0;
    if (options.call === false) {
      tests.push({
        name: `${tool.name} answers`,
        tool: tool.name,
        ...(hasArgs ? { arguments: args } : {}),
        expect: { is_error: false },
      });
      comments.push(' arguments generated from the input schema; not called while scaffolding');
      report.push({ name: `${tool.name} answers`, tool: tool.name, kind: 'call', outcome: 'not_called' });
      continue;
    }
    if (tool.annotations?.destructiveHint === true && tool.annotations?.readOnlyHint !== true) {
      const note = `${tool.name} is annotated destructive, so scaffolding did not call it; write its call test by hand (sample arguments: ${JSON.stringify(args)})`;
      tests.push({ name: `${tool.name} is listed`, tool_present: tool.name });
      comments.push(` ${note}`);
      report.push({
        name: `${tool.name} is listed`,
        tool: tool.name,
        kind: 'present',
        outcome: 'not_called',
        note,
      });
      continue;
    }
    try {
      const { results } = await sampleCalls(conn, tool.name, args, options);
      const failed = results.findIndex((r) => r.isError === true);
      if (failed >= 0) {
        const which = results.length > 1 ? ` on call ${failed + 1} of ${results.length}` : '';
        const note = `calling ${tool.name} with the generated arguments ${JSON.stringify(args)} answered a tool error${which} ("${firstLine(resultText(results[failed])).slice(0, 160)}"); an error is not recorded as the expected answer, so the test only checks the tool is listed: fix the arguments (or what the tool asks of the client) and turn this into a call test`;
        tests.push({ name: `${tool.name} is listed`, tool_present: tool.name });
        comments.push(` ${note}`);
        report.push({
          name: `${tool.name} is listed`,
          tool: tool.name,
          kind: 'present',
          outcome: 'tool_error',
          note,
        });
        continue;
      }
      const proposal = proposeAssertions({
        results,
        outputSchema: tool.outputSchema as Record<string, unknown> | undefined,
      });
      const name = `${tool.name} answers`;
      tests.push({ name, tool: tool.name, ...(hasArgs ? { arguments: args } : {}), expect: proposal.expect });
      const from = `${results.length} real call${results.length > 1 ? 's' : ''}`;
      comments.push(
        hasArgs
          ? ` arguments generated from the input schema; expectations from what held on ${from}`
          : ` expectations from what held on ${from}`,
      );
      report.push({ name, tool: tool.name, kind: 'call', outcome: 'ok' });
    } catch (err) {
      const e = err instanceof McptestError ? err : conn.explain(err);
      const auth = e.code === 'auth_failed';
      const note = auth
        ? refusalNote(tool.name, e)
        : `calling ${tool.name} with the generated arguments ${JSON.stringify(args)} failed (${e.code}: ${firstLine(e.message)}); an error is not recorded as the expected answer, so the test only checks the tool is listed: fix the arguments and turn this into a call test`;
      tests.push({ name: `${tool.name} is listed`, tool_present: tool.name });
      comments.push(` ${note}`);
      report.push({
        name: `${tool.name} is listed`,
        tool: tool.name,
        kind: 'present',
        outcome: auth ? 'auth_refused' : 'call_failed',
        note,
      });
    }
  }
  if (options.negative) addNegativeTests(tools, { tests, comments, report });
  if (options.prompts && options.call !== false && conn.capabilities?.prompts) {
    await scaffoldPrompts(conn, options, { tests, comments, report });
  }
  if (options.resources && options.call !== false && conn.capabilities?.resources) {
    await scaffoldResources(conn, options, { tests, comments, report });
  }
  const suite: Suite = {
    name: conn.serverInfo?.name ?? key,
    // The default, written out so the suite shows its guard and keeps it if the default changes.
    schema_checks: 'error',
    servers: { [key]: serverSpecFor(conn.target, options.suiteDir, options.cwd) },
    tests,
  };
  const checked = Suite.safeParse(suite);
  if (!checked.success) {
    throw new McptestError(
      'internal',
      `the scaffolded suite does not match the suite schema: ${checked.error.message}`,
    );
  }
  return { yaml: renderSuite(suite, comments, describe(conn)), suite, tests: report, surface };
}

/**
 * The suite's guard against breaking changes: a `snapshot:` test of the server's surface as it is
 * now (tools with their schemas, prompts, resources, capabilities), failing on every breaking
 * change (cli/surface/diff.ts), when the suite goes to a file and its surface file beside it.
 * A suite printed instead gets none (it must pass as written; no file holds the surface), only a
 * note saying how. Schema checks of every call are on by default besides.
 */
function addSnapshotTest(options: ScaffoldOptions, out: Collected): void {
  const name = 'the surface has no breaking change';
  const file = options.surfaceFile;
  if (!file) {
    out.report.push({
      name,
      tool: 'surface.json',
      kind: 'snapshot',
      outcome: 'none',
      note: 'a printed suite gets no surface snapshot test: with --output FILE (scaffold_suite: path) the surface is recorded to FILE.surface.json beside it, and a snapshot: test fails the suite on breaking changes',
    });
    return;
  }
  out.tests.push({ name, snapshot: file });
  out.comments.push(
    ` ${file}: the surface recorded while scaffolding, before any call; fails on breaking changes (accept intended ones with mcptest run SUITE --update-snapshots)`,
  );
  out.report.push({ name, tool: file, kind: 'snapshot', outcome: 'ok' });
}

/** How many prompts or resources a scaffold gets or reads at most. */
const MAX_SCAFFOLDED = 20;

interface Collected {
  tests: TestSpec[];
  comments: Array<string | undefined>;
  report: ScaffoldedTest[];
}

/** Expectations for a prompt or resource: those of tool results, less the tool-only keys. */
function textExpectations(results: ToolResult[]): TestSpec['expect'] {
  const { is_error: _e, output_schema: _o, ...expect } = proposeAssertions({ results }).expect;
  return expect;
}

/** `samples` answers of `get`, one after another. */
async function sampled<T>(options: ScaffoldOptions, get: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < Math.max(1, options.samples ?? SAMPLE_CALLS); i++) out.push(await get());
  return out;
}

/**
 * The input-rejection tests of every tool, after the others. A destructive tool gets none: a
 * server that accepts garbage would run it.
 */
function addNegativeTests(
  tools: Array<{
    name: string;
    inputSchema?: unknown;
    annotations?: { destructiveHint?: boolean; readOnlyHint?: boolean };
  }>,
  out: Collected,
): void {
  let first = true;
  for (const tool of tools) {
    const none = (note: string) =>
      out.report.push({
        name: `${tool.name} has no input-rejection test`,
        tool: tool.name,
        kind: 'negative',
        outcome: 'none',
        note,
      });
    if (tool.annotations?.destructiveHint === true && tool.annotations?.readOnlyHint !== true) {
      none('annotated destructive: not called with bad arguments, a server that accepts them would run it');
      continue;
    }
    const { tests, note } = negativeTests(tool);
    for (const test of tests) {
      out.tests.push(test);
      out.comments.push(
        first
          ? ' input-rejection tests: each call breaks the inputSchema on purpose; the server must refuse it with a tool error or JSON-RPC -32602, never a success or a crash'
          : undefined,
      );
      first = false;
      out.report.push({
        name: test.name,
        tool: tool.name,
        kind: 'negative',
        outcome: 'not_called',
        ...(note ? { note } : {}),
      });
    }
    if (tests.length === 0 && note) none(note);
  }
}

function failureNote(what: string, e: McptestError): { outcome: ScaffoldedTest['outcome']; note: string } {
  const auth = e.code === 'auth_failed';
  return {
    outcome: auth ? 'auth_refused' : 'call_failed',
    note: `${what} failed (${e.code}: ${firstLine(e.message)}), so the suite has no test for it`,
  };
}

async function scaffoldPrompts(conn: McpConnection, options: ScaffoldOptions, out: Collected): Promise<void> {
  const { promptAsResult } = await import('../runner/run-suite.js');
  const request = { timeout: options.timeoutMs ?? conn.target.timeoutMs, signal: options.signal };
  const prompts = (await listAllPrompts(conn, options)).slice(0, MAX_SCAFFOLDED);
  for (const prompt of prompts) {
    // Required arguments get a dull value; prompts take strings only.
    const args = Object.fromEntries(
      (prompt.arguments ?? []).filter((a) => a.required).map((a) => [a.name, 'example']),
    );
    const hasArgs = Object.keys(args).length > 0;
    const name = `${prompt.name} prompt answers`;
    try {
      const answers = await sampled(options, () =>
        conn.client.getPrompt({ name: prompt.name, arguments: args }, request),
      );
      const expect = textExpectations(answers.map(promptAsResult));
      out.tests.push({ name, prompt: prompt.name, ...(hasArgs ? { arguments: args } : {}), expect });
      out.comments.push(
        hasArgs
          ? ` required arguments filled with "example"; expectations from what held on ${answers.length} real gets`
          : ` expectations from what held on ${answers.length} real gets`,
      );
      out.report.push({ name, tool: prompt.name, kind: 'prompt', outcome: 'ok' });
    } catch (err) {
      const failed = failureNote(
        `getting prompt ${prompt.name} with ${JSON.stringify(args)}`,
        conn.explain(err),
      );
      out.report.push({ name, tool: prompt.name, kind: 'prompt', ...failed });
    }
  }
}

async function scaffoldResources(
  conn: McpConnection,
  options: ScaffoldOptions,
  out: Collected,
): Promise<void> {
  const { resourceAsResult } = await import('../runner/run-suite.js');
  const request = { timeout: options.timeoutMs ?? conn.target.timeoutMs, signal: options.signal };
  const resources = (await listAllResources(conn, options)).slice(0, MAX_SCAFFOLDED);
  for (const resource of resources) {
    const name = `${resource.name || resource.uri} resource reads`;
    try {
      const answers = await sampled(options, () => conn.client.readResource({ uri: resource.uri }, request));
      const expect = textExpectations(answers.map(resourceAsResult));
      out.tests.push({ name, resource: resource.uri, expect });
      out.comments.push(` expectations from what held on ${answers.length} real reads`);
      out.report.push({ name, tool: resource.uri, kind: 'resource', outcome: 'ok' });
    } catch (err) {
      const failed = failureNote(`reading ${resource.uri}`, conn.explain(err));
      out.report.push({ name, tool: resource.uri, kind: 'resource', ...failed });
    }
  }
}

function refusalNote(tool: string, e: McptestError): string {
  const d = (e.details ?? {}) as { status?: number | null; state?: string; params?: Record<string, string> };
  const scope = d.params?.scope;
  if (d.state === 'insufficient_scope') {
    return `calling ${tool} was refused with HTTP ${d.status ?? 403} insufficient_scope${scope ? ` (the server asks for scope ${scope})` : ''}: these credentials may not use it, so the test only checks it is listed. Once the credentials carry that scope, replace it with a \`tool: ${tool}\` test`;
  }
  return `calling ${tool} was refused (HTTP ${d.status ?? '?'}, ${d.state ?? 'auth failed'}), so the test only checks it is listed; fix the credentials (${e.hint ?? 'see mcptest doctor'}) and replace it with a \`tool: ${tool}\` test`;
}

function describe(conn: McpConnection): string {
  return conn.serverUrl ?? `stdio server \`${[conn.target.command, ...(conn.target.args ?? [])].join(' ')}\``;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

const SCHEMA_CHECKS_COMMENT =
  "every tool result is checked against its tool's outputSchema: a structuredContent that breaks it, or is missing, fails the test (warn: only reported; off: not checked)";

/** YAML with a header and one comment above each test saying where it came from. */
export function renderSuite(
  suite: Suite,
  comments: Array<string | undefined>,
  from: string,
  header = `Scaffolded by mcptest from ${from}: one test per tool, arguments generated from each input schema, expectations proposed from what held on ${SAMPLE_CALLS} real calls.`,
): string {
  const doc = new Document(suite);
  doc.commentBefore = [
    wrapComment(header),
    ' Review it, then run: mcptest run <this file>',
    ' Format: docs/suite-format.md. Secrets are named by env var only, never written here.',
  ].join('\n');
  comments.forEach((comment, i) => {
    const node = doc.getIn(['tests', i], true) as { commentBefore?: string } | undefined;
    if (node && comment) node.commentBefore = wrapComment(comment);
  });
  if (suite.schema_checks !== undefined && isMap(doc.contents)) {
    const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'schema_checks');
    if (pair && isScalar(pair.key)) pair.key.commentBefore = wrapComment(SCHEMA_CHECKS_COMMENT);
  }
  return doc.toString({ lineWidth: 100 });
}

function wrapComment(text: string, width = 92): string {
  const words = text.trim().split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(` ${line}`);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(` ${line}`);
  return lines.join('\n');
}

/** Throws `file_exists` when `file` exists and `overwrite` is not set (checked before any tool is called). */
export function assertWritable(file: string, overwrite: boolean, hint: string): void {
  if (!overwrite && fs.existsSync(path.resolve(file))) {
    throw new McptestError('file_exists', `${file} already exists; not overwriting it`, { hint });
  }
}

/** Writes the suite, refusing to replace an existing file unless `overwrite`. */
export function writeSuiteFile(file: string, yaml: string, overwrite: boolean, hint: string): string {
  const target = path.resolve(file);
  assertWritable(target, overwrite, hint);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, yaml);
  } catch (err) {
    throw new McptestError(
      'invalid_request',
      `cannot write the suite to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { hint },
    );
  }
  return target;
}
