/**
 * The JSON reporter: the {@link SuiteReport} as is (shape documented in docs/suite-format.md;
 * `version` changes when a field is removed or changes meaning).
 */
import type { SuiteReport } from '../run-suite.js';

export function renderJson(report: SuiteReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
