/**
 * The report of `mcptest conformance`: per requirement set (revision), per scenario, the checks
 * the suite scored, read from the `checks.json` files it wrote. Its shape is the `--json` output.
 * Every text taken from the suite is scrubbed of the proxy's secret URL and cut to a sane length.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RequirementSet, Revision } from './requirement-sets.js';

/** A check as the suite writes it in `checks.json`. */
export interface SuiteCheck {
  id: string;
  name?: string;
  description?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED' | string;
  errorMessage?: string;
}

export type ScenarioStatus = 'pass' | 'fail' | 'warn';

export interface CheckProblem {
  id: string;
  name: string;
  status: 'failure' | 'warning';
  message: string;
}

export interface ScenarioResult {
  name: string;
  revision: Revision;
  /** Whether the requirement set scores it; extensions and pending scenarios run but are not. */
  scored: boolean;
  notScoredReason?: string;
  status: ScenarioStatus;
  checks: { passed: number; failed: number; warnings: number; skipped: number; info: number };
  /** Failed checks, then warnings. */
  failures: CheckProblem[];
  /** What the result says of the server when the proxy in front of it shapes it. */
  note?: string;
}

/**
 * Scenarios whose result is the proxy's, not the server's: the suite sees the proxy's
 * 127.0.0.1 address, and the proxy refuses a foreign Host itself, before the server is asked.
 */
export const PROXY_NOTES: Readonly<Record<string, string>> = {
  'dns-rebinding-protection':
    "answered by mcptest's proxy (it refuses a foreign Host before the server sees it): this says nothing of the server's own Host/Origin checks",
};

export interface Totals {
  scenarios: number;
  passed: number;
  failed: number;
  warned: number;
  checks: { passed: number; failed: number; warnings: number };
}

export interface RevisionReport {
  revision: Revision;
  scenarios: ScenarioResult[];
  /** Every scenario run at this revision. */
  totals: Totals;
  /** Only the scenarios the requirement set scores: what the exit code counts. */
  scoredTotals: Totals;
}

export interface ConformanceReport {
  /** The server tested (the URL given, never the proxy's). */
  server: string;
  suite: { package: string; version: string };
  startedAt: string;
  durationMs: number;
  revisions: RevisionReport[];
  totals: Totals;
  /** 0 when no scored scenario failed, 1 otherwise. */
  exitCode: number;
}

/** Failure and warning messages are cut to this many characters. */
export const MESSAGE_LIMIT = 240;

/** Replaces every appearance of the proxy's secret (and so its secret URL) with what it stands for. */
export function scrubber(proxyUrl: string, secret: string, serverUrl: string): (text: string) => string {
  const proxyBase = proxyUrl.replace(/\/+$/, '');
  return (text) => text.split(proxyBase).join(serverUrl).split(secret).join('<proxy-secret>');
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_LIMIT ? `${flat.slice(0, MESSAGE_LIMIT - 1)}…` : flat;
}

/** The scenario's result from its checks; a scenario with no checks file at all fails. */
export function scenarioResult(
  scenario: RequirementSet['scenarios'][number],
  revision: Revision,
  checks: SuiteCheck[] | null,
  scrub: (text: string) => string,
  missingReason = 'the suite wrote no results for this scenario (it crashed or timed out)',
): ScenarioResult {
  const counts = { passed: 0, failed: 0, warnings: 0, skipped: 0, info: 0 };
  const failures: CheckProblem[] = [];
  const warnings: CheckProblem[] = [];
  if (checks === null) {
    counts.failed = 1;
    failures.push({ id: 'no-results', name: 'results', status: 'failure', message: missingReason });
  }
  for (const c of checks ?? []) {
    const problem = (status: CheckProblem['status']): CheckProblem => ({
      id: scrub(String(c.id)),
      name: scrub(String(c.name ?? c.id)),
      status,
      message: cut(scrub(String(c.errorMessage || c.description || ''))),
    });
    if (c.status === 'SUCCESS') counts.passed++;
    else if (c.status === 'FAILURE') {
      counts.failed++;
      failures.push(problem('failure'));
    } else if (c.status === 'WARNING') {
      counts.warnings++;
      warnings.push(problem('warning'));
    } else if (c.status === 'SKIPPED') counts.skipped++;
    else counts.info++;
  }
  const status: ScenarioStatus = counts.failed > 0 ? 'fail' : counts.warnings > 0 ? 'warn' : 'pass';
  return {
    name: scenario.name,
    revision,
    scored: scenario.scored,
    ...(scenario.scored ? {} : { notScoredReason: scenario.reason ?? 'not scored' }),
    status,
    checks: counts,
    failures: [...failures, ...warnings],
    ...(PROXY_NOTES[scenario.name] ? { note: PROXY_NOTES[scenario.name] } : {}),
  };
}

/** `server-<scenario>-<ISO time with - for : and .>`, as the suite names a scenario's folder. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/** Reads every `checks.json` the suite wrote under `dir`, by scenario name (the newest wins). */
export function readSuiteResults(dir: string): Map<string, SuiteCheck[]> {
  const out = new Map<string, SuiteCheck[]>();
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const entry of entries) {
    const m = RESULT_DIR.exec(entry);
    if (!m) continue;
    try {
      const checks = JSON.parse(fs.readFileSync(path.join(dir, entry, 'checks.json'), 'utf8'));
      if (Array.isArray(checks)) out.set(m[1], checks as SuiteCheck[]);
    } catch {
      // A folder without a readable checks.json: the scenario is reported as having no results.
    }
  }
  return out;
}

export function totalsOf(scenarios: ScenarioResult[]): Totals {
  const t: Totals = {
    scenarios: scenarios.length,
    passed: 0,
    failed: 0,
    warned: 0,
    checks: { passed: 0, failed: 0, warnings: 0 },
  };
  for (const s of scenarios) {
    if (s.status === 'pass') t.passed++;
    else if (s.status === 'fail') t.failed++;
    else t.warned++;
    t.checks.passed += s.checks.passed;
    t.checks.failed += s.checks.failed;
    t.checks.warnings += s.checks.warnings;
  }
  return t;
}

export function revisionReport(revision: Revision, scenarios: ScenarioResult[]): RevisionReport {
  return {
    revision,
    scenarios,
    totals: totalsOf(scenarios),
    scoredTotals: totalsOf(scenarios.filter((s) => s.scored)),
  };
}

export function renderJson(report: ConformanceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
