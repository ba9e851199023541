/**
 * How many tests `mcptest run` runs at once: `--jobs N` (`--concurrency`, its older name, still
 * works), else twice the machine's cores, at least 4 and at most 16 — tests mostly wait on
 * servers, so more of them than cores keep a run busy, and 16 keeps a large machine from
 * flooding one server.
 */
import { availableParallelism } from 'node:os';
import { McptestError } from '../../shared/errors.js';

export const MIN_DEFAULT_JOBS = 4;
export const MAX_DEFAULT_JOBS = 16;
export const MAX_JOBS = 256;

/** The default of --jobs on a machine with `cores` cores. */
export function defaultJobs(cores: number = availableParallelism()): number {
  return Math.min(MAX_DEFAULT_JOBS, Math.max(MIN_DEFAULT_JOBS, 2 * cores));
}

/** `--jobs` / `--concurrency` from the command line: a whole number from 1 to 256, or the default. */
export function jobsFrom(flags: { jobs?: string; concurrency?: string }, first: string): number {
  if (flags.jobs !== undefined && flags.concurrency !== undefined && flags.jobs !== flags.concurrency) {
    throw new McptestError(
      'invalid_request',
      `--jobs ${flags.jobs} and --concurrency ${flags.concurrency} say two things: --concurrency is the older name of --jobs, give one`,
      { hint: `mcptest run ${first} --jobs ${flags.jobs}` },
    );
  }
  const flag = flags.jobs !== undefined ? '--jobs' : '--concurrency';
  const value = flags.jobs ?? flags.concurrency;
  if (value === undefined) return defaultJobs();
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < 1 || n > MAX_JOBS) {
    throw new McptestError(
      'invalid_request',
      `${flag} takes a whole number of tests from 1 to ${MAX_JOBS}, not ${value}`,
      { hint: `mcptest run ${first} --jobs 8   # or --jobs 1 for one test at a time` },
    );
  }
  return n;
}
