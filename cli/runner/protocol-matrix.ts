/**
 * The protocol matrix: which MCP revisions each server of a suite is tested at, and the runs
 * that makes (every test once per revision of its server). A server's revisions come from, in
 * order: `--protocol` (one revision for every server), the server's `protocols:` or `protocol:`,
 * the suite's `protocols:` or `protocol:`, else `auto`. A test of a matrix server is labelled
 * with its revision (`echo works [2026-07-28]`) in every report, so the runs stay apart.
 */
import type { ProtocolChoice } from '../mcp/target.js';
import type { Suite, TestSpec } from './suite-schema.js';

/** One run of one test at one revision. */
export interface PlannedRun {
  test: TestSpec;
  server: string;
  protocol: ProtocolChoice;
  /** True when the server is tested at more than one revision. */
  matrix: boolean;
  /** The name reports show: the test's, with ` [revision]` in a matrix. */
  label: string;
}

/** The revisions `server` is tested at. */
export function serverProtocols(suite: Suite, server: string, override?: ProtocolChoice): ProtocolChoice[] {
  if (override) return [override];
  const spec = suite.servers[server];
  if (spec?.protocols) return [...spec.protocols];
  if (spec?.protocol) return [spec.protocol];
  if (suite.protocols) return [...suite.protocols];
  return [suite.protocol ?? 'auto'];
}

/** `name [revision]` for a run of a matrix, else the name. */
export function runLabel(name: string, protocol: ProtocolChoice, matrix: boolean): string {
  return matrix ? `${name} [${protocol}]` : name;
}

/**
 * Every run of `tests`, grouped by revision: the tests at each server's first revision, then at
 * its second, and so on (so a report reads era by era). `keep` filters by name or label.
 */
export function planRuns(
  suite: Suite,
  tests: readonly TestSpec[],
  override: ProtocolChoice | undefined,
  keep: (name: string) => boolean = () => true,
): PlannedRun[] {
  const first = Object.keys(suite.servers)[0];
  const withProtocols = tests.map((test) => {
    const server = test.server ?? first;
    return { test, server, protocols: serverProtocols(suite, server, override) };
  });
  const rounds = Math.max(...withProtocols.map((t) => t.protocols.length));
  const runs: PlannedRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { test, server, protocols } of withProtocols) {
      const protocol = protocols[round];
      if (protocol === undefined) continue;
      const matrix = protocols.length > 1;
      const label = runLabel(test.name, protocol, matrix);
      if (keep(test.name) || keep(label)) runs.push({ test, server, protocol, matrix, label });
    }
  }
  return runs;
}
