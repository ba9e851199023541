/**
 * The request options of a tool call: a progress token goes with it, and each progress
 * notification the server sends resets the timeout, as the MCP spec allows for long-running
 * operations, up to a hard ceiling so that a server reporting progress forever still ends.
 * @see MCP specification, basic/utilities/progress and basic/lifecycle (timeouts)
 */
import type { RequestOptions } from '@modelcontextprotocol/client';

/** However often progress comes, a call ends after this many times its timeout. */
export const PROGRESS_CEILING_FACTOR = 10;

export interface CallProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** The SDK's own default request timeout, when none is set. */
const DEFAULT_TIMEOUT_MS = 60_000;

export function callOptions(
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  onProgress: (p: CallProgress) => void = () => {},
): RequestOptions {
  timeoutMs ??= DEFAULT_TIMEOUT_MS;
  return {
    timeout: timeoutMs,
    signal,
    resetTimeoutOnProgress: true,
    maxTotalTimeout: timeoutMs * PROGRESS_CEILING_FACTOR,
    onprogress: (p) => onProgress(p),
  };
}

/** One line for a terminal: `progress 3/10 (30%): indexing files`. */
export function progressLine(p: CallProgress): string {
  const of = p.total !== undefined ? `/${p.total}` : '';
  const pct = p.total ? ` (${Math.round((100 * p.progress) / p.total)}%)` : '';
  return `progress ${p.progress}${of}${pct}${p.message ? `: ${p.message}` : ''}`;
}
