import { z } from 'zod';
import type { RunEvent } from '../../runner/run-suite.js';
import { ProtocolInput } from '../era.js';
import { ErrorOut, errorInfoOut } from '../results.js';
import { type AgentContext, defineVerb } from '../verb.js';

/** `run_suite`: `mcptest run` as data. */
export const runSuiteVerb = defineVerb({
  name: 'run_suite',
  title: 'Run an mcptest suite',
  description:
    'Run an mcptest suite file (YAML) and return per-test results (name, status, duration, failure message) and a summary. `path` resolves from the mcp-server working folder; the env vars the suite names (bearer_token_env, client_secret_env) are read from the mcp-server process environment. A server that refused our credentials is reported in `servers[].error` with `ask_human`. Failing tests are data (ok: true); the verb fails only when the suite cannot be loaded.',
  input: {
    path: z.string().min(1).describe('The suite file.'),
    filter: z
      .string()
      .optional()
      .describe('Run only tests whose name contains this (case-insensitive), or matches /regex/.'),
    concurrency: z.number().int().min(1).max(64).optional().describe('Tests at the same time; 4 by default.'),
    timeout_ms: z
      .number()
      .int()
      .positive()
      .max(3_600_000)
      .optional()
      .describe('Per-call limit; 30000 by default.'),
    protocol: ProtocolInput.describe(
      "Every server at this MCP revision instead of the suite's `protocol:` or `protocols:` matrix (`mcptest run --protocol`).",
    ),
    bail: z
      .boolean()
      .optional()
      .describe('Stop starting tests after the first failure (`mcptest run --bail`).'),
    schema_checks: z
      .enum(['error', 'warn', 'off'])
      .optional()
      .describe(
        "How a tool result breaking its tool's outputSchema counts, over the suite's `schema_checks:`: error fails the test (default), warn reports it in `tests[].warnings`, off.",
      ),
    coverage: z
      .boolean()
      .optional()
      .describe(
        "Also report which of each server's tools, prompts, resources and templates the suite exercised.",
      ),
    min_coverage: z
      .string()
      .max(200)
      .optional()
      .describe(
        'Fail (exit_code 1) below this coverage: `80` for every kind, or `tools=80,prompts=50`. Implies coverage.',
      ),
    update_snapshots: z
      .boolean()
      .optional()
      .describe(
        'Write the snapshot files that are missing or differ instead of failing (`--update-snapshots`).',
      ),
  },
  output: {
    suite: z.object({ name: z.string(), file: z.string() }),
    summary: z.object({ total: z.number(), passed: z.number(), failed: z.number(), skipped: z.number() }),
    exit_code: z.number().describe('What `mcptest run` would exit with: 0 passed, 1 failed, 3 auth.'),
    duration_ms: z.number(),
    servers: z.array(
      z.object({
        name: z.string(),
        target: z.string(),
        connected: z.boolean(),
        protocol: z
          .string()
          .describe('The revision asked for: auto, or a version (a matrix has one entry per revision).'),
        era: z
          .enum(['modern', 'legacy'])
          .nullable()
          .describe('The era the connection spoke; null without one.'),
        protocol_version: z.string().nullable(),
        error: ErrorOut.optional(),
      }),
    ),
    tests: z.array(
      z.object({
        name: z.string(),
        label: z
          .string()
          .describe('The name reports show: with ` [revision]` when its server runs a protocol matrix.'),
        era: z.enum(['modern', 'legacy']).nullable(),
        protocol_version: z.string().nullable(),
        status: z.enum(['passed', 'failed', 'skipped']),
        duration_ms: z.number(),
        failure: z.string().nullable().describe('Why it failed: the failed assertions or the error.'),
        error_code: z.string().optional(),
        warnings: z
          .array(z.string())
          .optional()
          .describe('Findings that did not fail the test (schema checks in warn mode).'),
        notes: z
          .array(z.string())
          .optional()
          .describe('What the test wrote: snapshots under update_snapshots.'),
      }),
    ),
    coverage: z
      .object({
        servers: z.array(
          z.object({
            server: z.string(),
            listed_at: z.string().nullable(),
            kinds: z.record(
              z.string(),
              z.object({
                offered: z.number(),
                tested: z.number(),
                percent: z.number().nullable(),
                untested: z.array(z.string()),
              }),
            ),
            error: z.string().nullable(),
          }),
        ),
        passed: z.boolean(),
        shortfalls: z.array(z.string()),
      })
      .optional()
      .describe('With coverage or min_coverage: what of each live server the suite exercised.'),
  },
  annotations: { openWorldHint: true },
  async run(args, ctx) {
    const [{ loadSuite }, { runSuite }, { connectToServer }, { parseThresholds }] = await Promise.all([
      import('../../runner/load-suite.js'),
      import('../../runner/run-suite.js'),
      import('../../mcp/connect.js'),
      import('../../runner/coverage.js'),
    ]);
    const minCoverage =
      args.min_coverage === undefined ? undefined : parseThresholds(args.min_coverage, args.path);
    const loaded = loadSuite(args.path, { env: ctx.env, vars: ctx.vars, cwd: ctx.cwd });
    const report = await runSuite(
      loaded,
      {
        filter: args.filter,
        concurrency: args.concurrency ?? 4,
        timeoutMs: args.timeout_ms ?? 30_000,
        ...(args.protocol ? { protocol: args.protocol } : {}),
        ...(args.bail ? { bail: true } : {}),
        ...(args.schema_checks ? { schemaChecks: args.schema_checks } : {}),
        ...(args.coverage || minCoverage ? { coverage: true } : {}),
        ...(minCoverage ? { minCoverage } : {}),
        ...(args.update_snapshots ? { updateSnapshots: true } : {}),
      },
      {
        // Never a browser from the agent server: step-up needs come back as data.
        connect: (target, io) => connectToServer(target, { ...io, interactive: false }),
        env: ctx.env,
        vars: ctx.vars,
        passEnv: ctx.passEnv,
        signal: ctx.signal,
        onEvent: progressOf(ctx),
      },
    );
    const data = {
      suite: report.suite,
      summary: report.summary,
      exit_code: report.exitCode,
      duration_ms: report.durationMs,
      servers: report.servers.map((s) => ({
        name: s.name,
        target: s.target,
        connected: s.connected,
        protocol: s.protocol,
        era: s.era,
        protocol_version: s.protocolVersion,
        ...(s.error ? { error: errorInfoOut(s.error) } : {}),
      })),
      tests: report.tests.map((t) => ({
        name: t.name,
        label: t.label,
        era: t.era,
        protocol_version: t.protocolVersion,
        status: t.status,
        duration_ms: t.durationMs,
        failure: t.error
          ? t.error.message
          : t.failures.length
            ? t.failures.map((f) => `${f.assertion}: ${f.message}`).join('; ')
            : null,
        ...(t.error ? { error_code: t.error.code } : {}),
        ...(t.warnings?.length ? { warnings: t.warnings.map((w) => `${w.assertion}: ${w.message}`) } : {}),
        ...(t.notes?.length ? { notes: t.notes } : {}),
      })),
      ...(report.coverage
        ? {
            coverage: {
              servers: report.coverage.servers.map((c) => ({
                server: c.server,
                listed_at: c.listedAt,
                kinds: Object.fromEntries(
                  Object.entries(c.kinds).map(([kind, k]) => [
                    kind,
                    { offered: k.offered, tested: k.tested, percent: k.percent, untested: k.untested },
                  ]),
                ),
                error: c.error,
              })),
              passed: report.coverage.passed,
              shortfalls: report.coverage.shortfalls,
            },
          }
        : {}),
    };
    const s = report.summary;
    const lines = [
      `${report.suite.name}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped of ${s.total}`,
    ];
    for (const t of data.tests) if (t.status === 'failed') lines.push(`FAILED ${t.label}: ${t.failure}`);
    for (const t of data.tests) for (const w of t.warnings ?? []) lines.push(`WARNING ${t.label}: ${w}`);
    for (const short of data.coverage?.shortfalls ?? []) lines.push(`COVERAGE ${short}`);
    for (const sv of data.servers)
      if (sv.error?.ask_human) lines.push(`Ask the human: ${sv.error.ask_human}`);
    return { data, text: `${lines.join('\n')}\n\n${JSON.stringify({ ok: true, ...data }, null, 2)}` };
  },
});

/** Progress for the agent: one notification as the run starts and one per finished test. */
function progressOf(ctx: AgentContext): (event: RunEvent) => void {
  let total: number | undefined;
  let done = 0;
  return (event) => {
    if (event.type === 'start') {
      total = event.total;
      ctx.progress(0, total, `running ${total} test${total === 1 ? '' : 's'} of ${event.suite.name}`);
    } else if (event.type === 'test') {
      done += 1;
      ctx.progress(done, total, `${event.result.label}: ${event.result.status}`);
    }
  };
}
