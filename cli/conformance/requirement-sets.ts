/**
 * Which server scenarios a requirement set holds, as the suite lists them
 * (`conformance list --requirements REVISION`): the scored ones, and those run but never scored
 * (extensions, pending, added after the revision shipped) with the reason.
 */
import { McptestError } from '../../shared/errors.js';
import { runSuiteProcess } from './suite-process.js';
import type { SuitePackage } from './suite-package.js';

/** The requirement sets `mcptest conformance` runs, newest first. */
export const REVISIONS = ['2026-07-28', '2025-11-25'] as const;
export type Revision = (typeof REVISIONS)[number];

export interface RequirementSet {
  revision: Revision;
  /** Server scenarios, in the order the suite runs them: scored first, then the others. */
  scenarios: { name: string; scored: boolean; reason?: string }[];
}

/** Parses the text of `conformance list --requirements REVISION` (server legs only). */
export function parseRequirementList(revision: Revision, text: string): RequirementSet {
  const scenarios: RequirementSet['scenarios'] = [];
  let section: 'server' | 'client' | 'unscored' | null = null;
  let reason = '';
  for (const line of text.split('\n')) {
    if (/^Server scenarios/.test(line)) section = 'server';
    else if (/^Client scenarios/.test(line)) section = 'client';
    else if (/^Run and reported, but never scored/.test(line)) section = 'unscored';
    else if (line.trim() === '') {
      if (section !== 'unscored') section = null;
    } else if (section === 'server') {
      const m = /^\s+- (\S+)\s*$/.exec(line);
      if (m) scenarios.push({ name: m[1], scored: true });
    } else if (section === 'unscored') {
      const group = /^ {2}(\S[^(]*?) \(\d+\):\s*$/.exec(line);
      if (group) reason = group[1];
      const m = /^\s+- (\S+) \[server\]\s*$/.exec(line);
      if (m) scenarios.push({ name: m[1], scored: false, reason });
    }
  }
  if (!scenarios.some((s) => s.scored)) {
    throw new McptestError(
      'conformance_unavailable',
      `the conformance suite listed no server scenario for ${revision}`,
      { hint: `node <conformance bin> list --requirements ${revision}` },
    );
  }
  return { revision, scenarios };
}

export async function loadRequirementSet(
  suite: SuitePackage,
  revision: Revision,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<RequirementSet> {
  const run = await runSuiteProcess(suite, ['list', '--requirements', revision], env, {
    signal,
    limitMs: 120_000,
  });
  if (run.code !== 0) {
    throw new McptestError(
      'conformance_unavailable',
      `the conformance suite ${suite.version} could not list the ${revision} requirement set (exit ${run.code}): ${run.stderr.trim().split('\n')[0] ?? ''}`,
      { hint: `node ${suite.bin} list --requirements ${revision}` },
    );
  }
  return parseRequirementList(revision, run.stdout);
}
