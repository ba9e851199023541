/**
 * `mcptest conformance URL`'s run: checks the server answers with the credentials given (the
 * same connection, errors and hints as `mcptest tools`), starts the authenticating proxy
 * in-process on 127.0.0.1 with its secret URL, runs the conformance suite's server mode against
 * that URL once per requirement set (a child process), and reads the results from a private
 * temporary folder removed afterwards: the proxy's secret never leaves this process in a file
 * that stays, and no text of the suite is shown unscrubbed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { McptestError } from '../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import { withServerFromFlags } from '../connect-io.js';
import type { CliIo } from '../io.js';
import { resolveTokenSource } from '../mcp/credentials.js';
import { type TargetFlags, targetFromOptions } from '../mcp/target-options.js';
import { startProxy } from '../proxy/proxy-server.js';
import type { Progress } from './progress.js';
import {
  type ConformanceReport,
  readSuiteResults,
  revisionReport,
  type RevisionReport,
  scenarioResult,
  scrubber,
  totalsOf,
} from './report.js';
import { loadRequirementSet, type RequirementSet, type Revision } from './requirement-sets.js';
import { runSuiteProcess } from './suite-process.js';
import { locateSuite, SUITE_PACKAGE, type SuitePackage } from './suite-package.js';

export interface ConformanceOptions {
  url: string;
  revisions: Revision[];
  /** Scenario names to run (each at every chosen revision whose set holds it); all when empty. */
  scenarios: string[];
  /** Per scenario, and for the first connection's requests. */
  timeoutSeconds: number;
  /** The credential flags (`--bearer-token-env`, `--client-id`, ..., `--header`). */
  auth: TargetFlags;
}

/** Which scenarios of each set run; unknown names are a usage error listing the known ones. */
export function selectScenarios(sets: RequirementSet[], names: string[], url: string): RequirementSet[] {
  if (names.length === 0) return sets;
  const known = new Set(sets.flatMap((s) => s.scenarios.map((x) => x.name)));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    const list = [...known].sort();
    const where = sets.map((s) => s.revision).join(' and ');
    throw new McptestError(
      'invalid_request',
      `no server scenario named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in the ${where} requirement set${sets.length > 1 ? 's' : ''}; known: ${list.join(', ')}`,
      {
        hint: `mcptest conformance ${url} --scenario ${list.includes('tools-list') ? 'tools-list' : list[0]}`,
      },
    );
  }
  const wanted = new Set(names);
  return sets
    .map((s) => ({ ...s, scenarios: s.scenarios.filter((x) => wanted.has(x.name)) }))
    .filter((s) => s.scenarios.length > 0);
}

async function runSet(
  suite: SuitePackage,
  set: RequirementSet,
  ctx: {
    proxyUrl: string;
    dir: string;
    full: boolean;
    timeoutMs: number;
    io: CliIo;
    env: NodeJS.ProcessEnv;
    progress: Progress;
    scrub: (t: string) => string;
  },
): Promise<RevisionReport> {
  const { revision } = set;
  const out = path.join(ctx.dir, revision);
  const count = set.scenarios.length;
  const common = ['--url', ctx.proxyUrl, '-o', out, '--timeout', String(ctx.timeoutMs)];
  const limitMs = (count + 1) * ctx.timeoutMs + 120_000;
  const runs: { code: number | null; stderr: string; timedOut: boolean }[] = [];
  if (ctx.full) {
    let index = 0;
    const run = await runSuiteProcess(suite, ['server', '--requirements', revision, ...common], ctx.env, {
      signal: ctx.io.signal,
      limitMs,
      onLine: (line) => {
        const m = /^=== Running scenario: (\S+) ===$/.exec(line);
        if (m) ctx.progress.scenario(revision, m[1], ++index, count);
      },
    });
    runs.push(run);
  } else {
    for (const [i, scenario] of set.scenarios.entries()) {
      if (ctx.io.signal.aborted) break;
      ctx.progress.scenario(revision, scenario.name, i + 1, count);
      const args = ['server', '--scenario', scenario.name, '--spec-version', revision, '--force', ...common];
      runs.push(
        await runSuiteProcess(suite, args, ctx.env, {
          signal: ctx.io.signal,
          limitMs: ctx.timeoutMs + 120_000,
        }),
      );
    }
  }
  if (ctx.io.signal.aborted)
    throw new McptestError('cancelled', 'interrupted while the conformance suite ran');
  const results = readSuiteResults(out);
  if (results.size === 0) {
    const failed = runs.find((r) => r.code !== 0 && r.code !== 1) ?? runs[0];
    const excerpt = ctx
      .scrub(failed?.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ')
      .slice(0, 400);
    throw new McptestError(
      'conformance_unavailable',
      `the conformance suite ${suite.version} produced no results for ${revision}${failed?.timedOut ? ' (it was stopped after its time limit)' : ` (exit ${failed?.code})`}${excerpt ? `: ${excerpt}` : ''}`,
      { hint: 'run it again with a longer --timeout; docs/conformance.md says how the suite is run' },
    );
  }
  const timedOut = runs.some((r) => r.timedOut);
  return revisionReport(
    revision,
    set.scenarios.map((s) =>
      scenarioResult(
        s,
        revision,
        results.get(s.name) ?? null,
        ctx.scrub,
        timedOut
          ? 'the suite wrote no results for this scenario: it was stopped after its time limit'
          : undefined,
      ),
    ),
  );
}

export async function runConformance(
  options: ConformanceOptions,
  io: CliIo,
  progress: Progress,
): Promise<ConformanceReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const flags: TargetFlags = { ...options.auth, url: options.url, timeout: String(options.timeoutSeconds) };
  const target = targetFromOptions(flags);
  assertSecureUrl(options.url, 'server URL');
  const serverUrl = canonicalServerUrl(options.url);
  const suite = locateSuite();
  // The suite needs none of the secrets the credential flags name: its environment goes without them.
  const suiteEnv: NodeJS.ProcessEnv = { ...io.env };
  for (const name of [
    options.auth.bearerTokenEnv,
    options.auth.clientSecretEnv,
    options.auth.privateKeyEnv,
  ]) {
    if (name) delete suiteEnv[name];
  }
  const sets = selectScenarios(
    await Promise.all(options.revisions.map((r) => loadRequirementSet(suite, r, suiteEnv, io.signal))),
    options.scenarios,
    options.url,
  );

  // The server answers, with these credentials, before anything runs: the errors and hints of
  // every other command (unreachable, no login -> `mcptest login URL`, a rejected token).
  const pinned = options.revisions.length === 1 ? options.revisions[0] : undefined;
  await withServerFromFlags({ ...flags, ...(pinned ? { protocol: pinned } : {}) }, io, async () => undefined);

  const source = await resolveTokenSource(target, serverUrl, io);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptest-conformance-'));
  try {
    if (source.missing === 'env_unset') {
      throw new McptestError(
        'env_var_missing',
        `env var \`${source.envVar}\` (named by --bearer-token-env) is not set or is empty`,
        { hint: `export ${source.envVar}=<token>; then run mcptest conformance again` },
      );
    }
    if (source.missing === 'login_expired') {
      io.stderr(
        `warning: the login for ${serverUrl} needs renewing (${source.reason}): mcptest login ${serverUrl}\n`,
      );
    }
    // No credentials and the server let the first connection in: it needs none, and the proxy
    // forwards without a token.
    const proxy = await startProxy({
      upstream: new URL(options.url),
      source,
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      headers: target.headers,
    });
    try {
      const scrub = scrubber(proxy.url as string, proxy.secret as string, options.url);
      const revisions: RevisionReport[] = [];
      for (const set of sets) {
        revisions.push(
          await runSet(suite, set, {
            proxyUrl: proxy.url as string,
            dir,
            full: options.scenarios.length === 0,
            timeoutMs: Math.round(options.timeoutSeconds * 1000),
            io,
            env: suiteEnv,
            progress,
            scrub,
          }),
        );
      }
      const all = revisions.flatMap((r) => r.scenarios);
      const explicit = options.scenarios.length > 0;
      const failing = all.some((s) => s.status === 'fail' && (s.scored || explicit));
      return {
        server: options.url,
        suite: { package: SUITE_PACKAGE, version: suite.version },
        startedAt,
        durationMs: Date.now() - started,
        revisions,
        totals: totalsOf(all),
        exitCode: failing ? 1 : 0,
      };
    } finally {
      progress.done();
      await proxy.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await source.close();
  }
}
