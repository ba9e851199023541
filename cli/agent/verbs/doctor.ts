import { z } from 'zod';
import { askHuman } from '../results.js';
import { TargetInput, toServerTarget } from '../target-input.js';
import { defineVerb } from '../verb.js';
import type { AuthErrorDetails } from '../../mcp/auth-error.js';

/** `doctor`: the layered report of `mcptest doctor` as data. */
export const doctorVerb = defineVerb({
  name: 'doctor',
  title: 'Diagnose the connection to an MCP server',
  description:
    'Walk the layers config -> DNS/TCP/TLS -> HTTP -> AUTH -> MCP connect -> server/discover -> legacy clients -> tools/list and report each as pass/warn/fail/skip with a summary, a hint and details, stopping at the first failure. `protocol` says which era and version the connection used, the versions, capabilities and extensions `server/discover` lists, and whether 2026-07-28 and 2025 clients are served (a modern-only server refuses 2025 clients; a legacy-only one speaks only the 2025 era). The AUTH layer tells apart: no credentials, env var unset, token rejected (401), lacking permission (403), cached login expired. When AUTH fails, `ask_human` says what to ask the human for. Same target fields as list_tools.',
  input: TargetInput,
  output: {
    healthy: z.boolean().describe('true when no layer failed'),
    exitCode: z.number().describe('What `mcptest doctor` would exit with: 0 ok, 3 auth, 1 other.'),
    target: z.object({ url: z.string().nullable(), command: z.string().nullable(), authSource: z.string() }),
    layers: z.array(
      z.object({
        layer: z.enum(['config', 'network', 'http', 'auth', 'initialize', 'discover', 'legacy', 'tools']),
        status: z.enum(['pass', 'warn', 'fail', 'skip']),
        summary: z.string(),
        hint: z.string().optional(),
        errorCode: z.string().optional(),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
    protocol: z
      .object({
        era: z.enum(['modern', 'legacy']),
        version: z.string().nullable(),
        transport: z.enum(['streamable-http', 'sse', 'stdio']),
        modern: z.enum(['served', 'refused', 'unknown']).describe('2026-07-28 clients.'),
        legacy: z.enum(['served', 'refused', 'unknown']).describe('2025 clients (initialize).'),
        legacyVersion: z.string().nullable(),
        supportedVersions: z.array(z.string()).nullable().describe('From server/discover.'),
        capabilities: z.record(z.string(), z.unknown()).nullable(),
        extensions: z.record(z.string(), z.unknown()).nullable(),
      })
      .nullable()
      .describe('The eras: null when doctor stopped before connecting.'),
    ask_human: z.string().optional(),
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(args, ctx) {
    const target = toServerTarget(args);
    const { runDoctor } = await import('../../doctor/run-doctor.js');
    const { formatReport } = await import('../../doctor/report.js');
    const report = await runDoctor(target, {
      env: ctx.env,
      vars: ctx.vars,
      passEnv: ctx.passEnv,
      cwd: ctx.cwd,
      signal: ctx.signal,
      interactive: false,
    });
    const auth = report.layers.find((l) => l.layer === 'auth' && l.status === 'fail');
    const details = auth?.details as AuthErrorDetails | undefined;
    const ask =
      details && typeof details.state === 'string' && typeof details.serverUrl === 'string'
        ? askHuman(details)
        : undefined;
    const data = {
      healthy: report.ok,
      exitCode: report.exitCode,
      target: report.target,
      layers: report.layers,
      protocol: report.protocol,
      ...(ask ? { ask_human: ask } : {}),
    };
    return { data, text: `${formatReport(report, false)}${ask ? `\nAsk the human: ${ask}\n` : ''}` };
  },
});
