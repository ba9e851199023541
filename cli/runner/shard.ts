/**
 * `run --shard i/n`: which tests a shard runs. The unit is a test of the suite (every revision of
 * a protocol matrix stays together, so a shard's report shows a test in each era side by side),
 * and the share is round-robin over the stable order of the tests that `--filter` kept, counted
 * across every suite given in turn: test k (from 0) goes to shard (k mod n) + 1. The same suite
 * files in the same order with the same flags give the same shares on every machine and every
 * run; shards differ in size by at most one test.
 */
import { McptestError } from '../../shared/errors.js';
import type { ProtocolChoice } from '../mcp/target.js';
import type { LoadedSuite } from './load-suite.js';
import { planRuns } from './protocol-matrix.js';
import type { TestSpec } from './suite-schema.js';

/** `--shard i/n`: shard `index` (from 1) of `total`. */
export interface ShardSpec {
  index: number;
  total: number;
}

/** A shard as runSuite takes it: the spec and the tests of one suite it runs. */
export interface ShardSelection extends ShardSpec {
  tests: ReadonlySet<TestSpec>;
}

/** The most shards a run can be cut into. */
export const MAX_SHARDS = 1000;

/** Reads `--shard i/n` (1 ≤ i ≤ n ≤ 1000); anything else is a usage error with a hint. */
export function parseShard(value: string, first: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = m ? Number(m[1]) : Number.NaN;
  const total = m ? Number(m[2]) : Number.NaN;
  if (!m || total < 1 || total > MAX_SHARDS || index < 1 || index > total) {
    const why = !m
      ? 'takes INDEX/TOTAL, like 1/3'
      : total < 1 || total > MAX_SHARDS
        ? `takes a TOTAL from 1 to ${MAX_SHARDS}`
        : `takes an INDEX from 1 to ${total} (shards count from 1)`;
    throw new McptestError('invalid_request', `--shard ${why}, not ${JSON.stringify(value)}`, {
      hint: `mcptest run ${first} --shard 1/${m && total >= 1 && total <= MAX_SHARDS ? total : 3} --reporter json --output results/shard-1.json`,
    });
  }
  return { index, total };
}

/** The tests of a suite that have at least one run, in suite order. */
function plannedTests(
  loaded: LoadedSuite,
  protocol: ProtocolChoice | undefined,
  keep: (name: string) => boolean,
): TestSpec[] {
  const inRuns = new Set(planRuns(loaded.suite, loaded.suite.tests, protocol, keep).map((r) => r.test));
  return loaded.suite.tests.filter((t) => inRuns.has(t));
}

/** Per suite, the tests shard `spec` runs (round-robin across the suites in turn). */
export function shareOf(
  suites: readonly LoadedSuite[],
  spec: ShardSpec,
  protocol: ProtocolChoice | undefined,
  keep: (name: string) => boolean,
): ShardSelection[] {
  let k = 0;
  return suites.map((loaded) => {
    const tests = new Set<TestSpec>();
    for (const test of plannedTests(loaded, protocol, keep)) {
      if (k % spec.total === spec.index - 1) tests.add(test);
      k++;
    }
    return { ...spec, tests };
  });
}
