/**
 * The JSON reporter: one suite's {@link SuiteReport} as is; several suites as
 * `{ version, suites: [SuiteReport, ...], summary, durationMs, exitCode }` (shape documented in
 * docs/suite-format.md; `version` changes when a field is removed or changes meaning).
 */
import { combinedExitCode, combinedSummary, type SuiteReport } from '../run-suite.js';

export function renderJson(reports: SuiteReport | SuiteReport[], notRun: string[] = []): string {
  if (!Array.isArray(reports) || (reports.length === 1 && notRun.length === 0)) {
    return `${JSON.stringify(Array.isArray(reports) ? reports[0] : reports, null, 2)}\n`;
  }
  const combined = {
    version: 1,
    suites: reports,
    summary: combinedSummary(reports),
    durationMs: reports.reduce((sum, r) => sum + r.durationMs, 0),
    exitCode: combinedExitCode(reports),
    // The suite files --bail kept from running after a failure.
    ...(notRun.length > 0 ? { notRun } : {}),
  };
  return `${JSON.stringify(combined, null, 2)}\n`;
}
