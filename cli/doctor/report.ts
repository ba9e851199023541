/**
 * The shape of a doctor report and its human rendering. One entry per layer, in order; each
 * says pass, warn, fail or skip, with one hint when something needs doing.
 */
import { ERROR_CATALOGUE, ExitCode, isErrorCode } from '../../shared/errors.js';
import { printable } from '../format.js';
import type { McpConnection } from '../mcp/connect.js';

/** Whether one era's clients are served: `unknown` when the check itself could not run. */
export type Served = 'served' | 'refused' | 'unknown';

/** The report's `protocol`: what the main connection spoke, and what each era gets. */
export interface EraFindings {
  era: McpConnection['era'];
  version: string | null;
  transport: McpConnection['transport'];
  /** 2026-07-28 clients. */
  modern: Served;
  /** 2025 clients (`initialize`), checked at `legacyVersion`. */
  legacy: Served;
  legacyVersion: string | null;
  /** From `server/discover`; null when the server has none. */
  supportedVersions: string[] | null;
  capabilities: Record<string, unknown> | null;
  extensions: Record<string, unknown> | null;
}

export type LayerName =
  | 'config'
  | 'network'
  | 'http'
  | 'auth'
  | 'initialize'
  | 'discover'
  | 'legacy'
  | 'tools';
export type LayerStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface LayerResult {
  layer: LayerName;
  status: LayerStatus;
  /** One line saying what was found. */
  summary: string;
  /** One thing to do, preferably a command to paste. */
  hint?: string;
  /** The McptestError code behind a failure, when there is one. */
  errorCode?: string;
  /** Facts for machines (never secrets). */
  details?: Record<string, unknown>;
}

export interface DoctorReport {
  target: { url: string | null; command: string | null; authSource: string };
  ok: boolean;
  /** 0 all passed (warnings allowed), 3 the AUTH layer failed, 1 any other failure. */
  exitCode: number;
  layers: LayerResult[];
  /** The era and version connected with, and what each era's clients get; null before connecting. */
  protocol: EraFindings | null;
}

export const LAYER_TITLES: Record<LayerName, string> = {
  config: 'config',
  network: 'DNS/TCP/TLS',
  http: 'HTTP',
  auth: 'AUTH',
  initialize: 'MCP connect',
  discover: 'server/discover',
  legacy: 'legacy clients',
  tools: 'tools/list',
};

/** Fills ok and exitCode from the layers. */
export function finishReport(
  target: DoctorReport['target'],
  layers: LayerResult[],
  protocol: EraFindings | null = null,
): DoctorReport {
  const failed = layers.filter((l) => l.status === 'fail');
  const authFailed = failed.some((l) =>
    l.errorCode === undefined
      ? l.layer === 'auth'
      : isErrorCode(l.errorCode) && ERROR_CATALOGUE[l.errorCode].exit === 'auth',
  );
  const exitCode = failed.length === 0 ? ExitCode.ok : authFailed ? ExitCode.auth : ExitCode.error;
  return { target, ok: failed.length === 0, exitCode, layers, protocol };
}

const MARKS: Record<LayerStatus, { unicode: string; ascii: string }> = {
  pass: { unicode: '✓', ascii: '[ok]  ' },
  warn: { unicode: '!', ascii: '[warn]' },
  fail: { unicode: '✗', ascii: '[FAIL]' },
  skip: { unicode: '-', ascii: '[skip]' },
};

/** The human report: one line per layer, the hint indented under it. */
export function formatReport(report: DoctorReport, unicode: boolean): string {
  const width = Math.max(...report.layers.map((l) => LAYER_TITLES[l.layer].length));
  const lines = [`mcptest doctor: ${report.target.url ?? report.target.command}`];
  for (const l of report.layers) {
    const mark = unicode ? MARKS[l.status].unicode : MARKS[l.status].ascii;
    lines.push(`${mark} ${LAYER_TITLES[l.layer].padEnd(width)}  ${l.summary}`);
    if (l.hint) {
      for (const [i, hintLine] of l.hint.split('\n').entries()) {
        lines.push(
          `${' '.repeat(unicode ? 2 : 7)}${' '.repeat(width + 2)}${i === 0 ? 'hint: ' : '      '}${hintLine}`,
        );
      }
    }
  }
  lines.push(report.ok ? 'All layers passed.' : 'Fix the first failing layer, then run doctor again.');
  return printable(`${lines.join('\n')}\n`);
}
