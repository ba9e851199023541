import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';
import { addTargetOptions, type TargetFlags } from '../mcp/target-options.js';

interface ScaffoldFlags extends TargetFlags {
  output?: string;
  force?: boolean;
  call: boolean;
  json?: boolean;
  prompts?: boolean;
  resources?: boolean;
  negative?: boolean;
}

/** `mcptest scaffold`: writes a starter suite for a server, one test per tool. */
export function registerScaffold(program: Command, io: CliIo, result: CommandResult): void {
  const cmd = program
    .command('scaffold')
    .description(
      'write a starter suite for a server: one test per tool, arguments generated from its input schema, expectations from what held on three real calls',
    );
  addTargetOptions(cmd)
    .option('--output <file>', 'write the suite to FILE instead of stdout')
    .option('--force', 'replace --output FILE when it already exists')
    .option(
      '--no-call',
      'do not call the tools; every test then only expects is_error: false (review before running)',
    )
    .option('--prompts', 'also a test per prompt: prompts/get with its required arguments set to "example"')
    .option('--resources', 'also a test per listed resource: resources/read (the first 20)')
    .option(
      '--negative',
      'also input-rejection tests per tool: a required argument left out, a typed one of the wrong type, expecting rejects_input (a tool error or -32602)',
    )
    .option('--json', 'print { yaml, tests } as JSON: the suite text and what happened per tool')
    .addHelpText(
      'after',
      `
Scaffolding calls every tool three times with the generated arguments (unless --no-call, or the
tool is annotated destructive) and proposes only assertions that held on every answer: exact
values where they were the same each time, types and patterns where they changed, and no
latency bound (a loaded CI machine would break it). A tool the server refuses to these
credentials (e.g. 403 insufficient_scope), whose call fails, or that answers a tool error (an
elicitation or sampling request the client could not answer, say) gets a tool_present test and
a comment saying why; its error is never recorded as the expected answer, and stderr names it.
So the suite passes \`mcptest run\` as written, again and again. With --prompts and --resources
it also gets each prompt and reads each listed resource (20 of each at most); one that fails
gets no test, and stderr says why.

The first test guards against breaking changes: \`snapshot: SUITE.surface.json\`, the server's
surface (tools with their schemas, prompts, resources, capabilities) recorded before any call
and written beside the suite; it fails on a tool removed, a parameter made required, an output
field gone (mcptest diff's classes). Every call's result is also checked against its tool's
outputSchema (\`schema_checks: error\`, written at the top). A printed suite (no --output) gets
no snapshot test, since no file holds the surface: record one with
\`mcptest snapshot -o surface.json\`.

With --negative each tool also gets input-rejection tests: one call leaving out a required
argument, one giving a typed argument a value of another type (a number where a string goes),
each with \`expect: { rejects_input: true }\`. They pass when the server refuses the call with a
tool error or JSON-RPC -32602 (invalid params), and fail naming the tool when it accepts the
garbage, answers another error, or crashes. They are not called while scaffolding (a server
that accepts garbage must fail the suite, not shape it). A tool with nothing to break (no
typed properties) or annotated destructive gets none; --json says so per tool.

Examples:
  mcptest scaffold --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN --output suite.yaml
  mcptest scaffold --url https://mcp.example.com/mcp --client-id ci --client-secret-env CI_SECRET
  mcptest scaffold --command node --arg server.js --output tests/server.yaml --force
  mcptest scaffold --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN --negative --output suite.yaml
  mcptest run suite.yaml

Exit codes: 0 written, 2 --output exists (add --force), 3 the server refused our credentials.`,
    )
    .action(async (opts: ScaffoldFlags) => {
      const path = await import('node:path');
      const { requireOneTarget, targetFromOptions } = await import('../mcp/target-options.js');
      requireOneTarget(
        opts,
        `mcptest scaffold --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN --output ${opts.output ?? 'suite.yaml'}`,
      );
      const { connectToServer } = await import('../mcp/connect.js');
      const { assertWritable, scaffoldSuite, surfaceFileFor, writeSuiteFile } = await import(
        '../scaffold/scaffold-suite.js'
      );
      const target = targetFromOptions(opts);
      const again = `${rerunCommand(opts)} --output ${opts.output} --force`;
      const file = opts.output ? path.resolve(io.cwd, opts.output) : undefined;
      const surfaceFile = file ? surfaceFileFor(file) : undefined;
      const surfacePath = file && surfaceFile ? path.join(path.dirname(file), surfaceFile) : undefined;
      // Refuse before calling any tool, not after.
      if (file) assertWritable(file, Boolean(opts.force), again);
      if (surfacePath) assertWritable(surfacePath, Boolean(opts.force), again);
      const conn = await connectToServer(target, io);
      let scaffold: Awaited<ReturnType<typeof scaffoldSuite>>;
      try {
        scaffold = await scaffoldSuite(conn, {
          call: opts.call,
          prompts: opts.prompts,
          resources: opts.resources,
          negative: opts.negative,
          timeoutMs: target.timeoutMs,
          signal: io.signal,
          suiteDir: file ? path.dirname(file) : io.cwd,
          surfaceFile,
          cwd: io.cwd,
        });
      } finally {
        await conn.close();
      }
      if (file) {
        writeSuiteFile(file, scaffold.yaml, Boolean(opts.force), again);
        if (surfacePath) {
          const { writeSurfaceFile } = await import('../surface/file.js');
          writeSurfaceFile(scaffold.surface, surfacePath, io.cwd);
        }
      }
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ yaml: scaffold.yaml, path: file ?? null, tests: scaffold.tests }, null, 2)}\n`,
        );
      } else if (!file) {
        io.stdout(scaffold.yaml);
      }
      const pending = scaffold.tests.filter((t) => t.kind === 'present');
      const calls = scaffold.tests.filter((t) => t.kind === 'call');
      const read = scaffold.tests.filter(
        (t) => (t.kind === 'prompt' || t.kind === 'resource') && t.outcome === 'ok',
      );
      const unread = scaffold.tests.filter(
        (t) => (t.kind === 'prompt' || t.kind === 'resource') && t.outcome !== 'ok',
      );
      const negative = scaffold.tests.filter((t) => t.kind === 'negative' && t.outcome !== 'none');
      const unbroken = scaffold.tests.filter((t) => t.kind === 'negative' && t.outcome === 'none');
      const snapshot = scaffold.tests.find((t) => t.kind === 'snapshot' && t.outcome === 'ok');
      const total = calls.length + pending.length + read.length + negative.length + (snapshot ? 1 : 0);
      io.stderr(
        `${file ? `Wrote ${opts.output}: ` : ''}${total} ${total === 1 ? 'test' : 'tests'}, ${calls.length} calling a tool` +
          (read.length ? `, ${read.length} getting a prompt or reading a resource` : '') +
          (negative.length ? `, ${negative.length} expecting bad input to be rejected` : '') +
          (snapshot ? `, 1 checking the surface against ${snapshot.tool} (written beside it)` : '') +
          (pending.length
            ? `; ${pending.length} only check the tool is listed (see the comments): ${pending.map((t) => t.tool).join(', ')}`
            : '') +
          '\n',
      );
      if (!file) {
        io.stderr(
          'With --output FILE the suite also gets a surface snapshot test (FILE.surface.json, written beside it) that fails on breaking changes.\n',
        );
      }
      for (const t of pending.filter((p) => p.outcome === 'tool_error' || p.outcome === 'call_failed')) {
        io.stderr(`not a call test: ${t.tool}: ${t.note}\n`);
      }
      for (const t of unread) io.stderr(`no test for ${t.kind} ${t.tool}: ${t.note}\n`);
      if (unbroken.length) {
        io.stderr(
          `no input-rejection test for ${unbroken.map((t) => t.tool).join(', ')} (nothing to break; see --json)\n`,
        );
      }
      if (file) io.stderr(`Run it with: mcptest run ${opts.output}\n`);
      result.exitCode = 0;
    });
}

/** The command line again (names only, never secrets), for the "add --force" hint. */
function rerunCommand(opts: ScaffoldFlags): string {
  const parts = ['mcptest scaffold'];
  if (opts.url) parts.push('--url', opts.url);
  if (opts.command) parts.push('--command', opts.command, ...(opts.arg ?? []).flatMap((a) => ['--arg', a]));
  if (opts.bearerTokenEnv) parts.push('--bearer-token-env', opts.bearerTokenEnv);
  if (opts.clientId) parts.push('--client-id', opts.clientId);
  if (opts.clientSecretEnv) parts.push('--client-secret-env', opts.clientSecretEnv);
  if (opts.tokenUrl) parts.push('--token-url', opts.tokenUrl);
  if (opts.scope) parts.push('--scope', JSON.stringify(opts.scope));
  return parts.join(' ');
}
