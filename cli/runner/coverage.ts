/**
 * `mcptest run --coverage`: which tools, prompts, resources and resource templates of each live
 * server the suite exercised, and `--min-coverage` thresholds. The lists are fetched once per
 * server, every page, on the pooled connection of the server's first revision that connected
 * (a protocol matrix is one surface: tests of every revision count). A tool is exercised by a
 * `tool:` test that was sent (passed or failed; not a skipped or not-run test, not a
 * `rejects_input` test, which proves validation, not behaviour); a prompt by a `prompt:` test;
 * a resource by a `resource:` test of its URI, a template by one whose URI it matches.
 * `tool_present`, `tool_absent` and `list:` exercise nothing. A kind the server does not offer
 * (no capability, -32601, an empty list) is reported as such and never fails a threshold.
 */
import { McptestError } from '../../shared/errors.js';
import { effectiveAnswers } from './answers.js';
import type { ConnectionPool } from './connection-pool.js';
import type { LoadedSuite } from './load-suite.js';
import type { PlannedRun } from './protocol-matrix.js';
import {
  COVERAGE_KINDS,
  type CoverageKind,
  type CoverageReport,
  errorInfo,
  type KindCoverage,
  type ServerCoverage,
  type TestResult,
} from './report.js';
import { fetchList, type ResultSchemas } from './run-test.js';
import type { ListKind } from './suite-schema.js';

export {
  COVERAGE_KINDS,
  type CoverageKind,
  type CoverageReport,
  type KindCoverage,
  type ServerCoverage,
} from './report.js';

/** Parses `--min-coverage`: `80` (every kind) or `tools=80,prompts=50`. */
export function parseThresholds(spec: string, first: string): Partial<Record<CoverageKind, number>> {
  const bad = (why: string) =>
    new McptestError('invalid_request', `--min-coverage ${spec}: ${why}`, {
      hint: `mcptest run ${first} --min-coverage tools=80,prompts=50`,
    });
  const percent = (text: string): number => {
    const n = Number(text.trim().replace(/%$/, ''));
    if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100)
      throw bad(`"${text}" is not a percentage from 0 to 100`);
    return n;
  };
  if (!spec.includes('=')) {
    const n = percent(spec);
    return Object.fromEntries(COVERAGE_KINDS.map((k) => [k, n]));
  }
  const out: Partial<Record<CoverageKind, number>> = {};
  for (const part of spec.split(',')) {
    const [kind, value, ...rest] = part.split('=');
    const name = kind.trim().replace(/-/g, '_');
    if (rest.length || value === undefined || !(COVERAGE_KINDS as readonly string[]).includes(name)) {
      throw bad(`expected KIND=PERCENT with KIND one of ${COVERAGE_KINDS.join(', ')}, got "${part}"`);
    }
    out[name as CoverageKind] = percent(value);
  }
  return out;
}

/** What the tests exercised, per server: names by kind, and resource URIs read. */
function exercised(runs: PlannedRun[], results: TestResult[]) {
  const by = new Map<string, { tools: Set<string>; prompts: Set<string>; uris: Set<string> }>();
  runs.forEach((run, i) => {
    const r = results[i];
    if (!r || r.status === 'skipped' || r.error?.message.startsWith('not run:')) return;
    const seen = by.get(run.server) ?? { tools: new Set(), prompts: new Set(), uris: new Set() };
    by.set(run.server, seen);
    const t = run.test;
    if (t.tool !== undefined && t.expect?.rejects_input !== true) seen.tools.add(t.tool);
    else if (t.prompt !== undefined) seen.prompts.add(t.prompt);
    else if (t.resource !== undefined) seen.uris.add(t.resource);
  });
  return by;
}

/** A regular expression matching the URIs an RFC 6570 URI template expands to (any level). */
export function templatePattern(template: string): RegExp {
  let re = '';
  let last = 0;
  for (const m of template.matchAll(/\{([+#./;?&]?)[^}]*\}/g)) {
    re += template.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const op = m[1];
    re +=
      op === '+' || op === '#'
        ? '.*'
        : op === '?' || op === '&'
          ? '(?:[?&].*)?'
          : op === '/'
            ? '(?:/[^?#]*)?'
            : op === '.' || op === ';'
              ? `(?:\\${op}[^/?#]*)?`
              : '[^/?#]*';
    last = (m.index ?? 0) + m[0].length;
  }
  re += template.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

/** A kind's coverage from the names the server listed and which of them were exercised. */
export function kindCoverage(listed: string[], isTested: (name: string) => boolean): KindCoverage {
  const names = [...new Set(listed)];
  const done = names.filter(isTested);
  return {
    offered: names.length,
    tested: done.length,
    percent: names.length ? (done.length / names.length) * 100 : null,
    exercised: done,
    untested: names.filter((n) => !isTested(n)),
  };
}

/** The list key and the name of each item of a kind. */
const ITEMS: Record<CoverageKind, { list: ListKind; items: string; name: (item: any) => unknown }> = {
  tools: { list: 'tools', items: 'tools', name: (t) => t?.name },
  prompts: { list: 'prompts', items: 'prompts', name: (p) => p?.name },
  resources: { list: 'resources', items: 'resources', name: (r) => r?.uri },
  resource_templates: { list: 'resource_templates', items: 'resourceTemplates', name: (r) => r?.uriTemplate },
};

/** The capability a kind needs, when the server declared its capabilities. */
const CAPABILITY: Record<CoverageKind, string> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resource_templates: 'resources',
};

/** Measures coverage on the run's pool, before it closes; never throws for a server's failure. */
export async function measureCoverage(
  loaded: LoadedSuite,
  pairs: ReadonlyArray<{ server: string; protocol: RunPlanProtocol }>,
  runs: PlannedRun[],
  results: TestResult[],
  pool: ConnectionPool,
  ctx: { schemas: ResultSchemas; timeoutMs: number; signal?: AbortSignal },
  thresholds: Partial<Record<CoverageKind, number>> | null,
): Promise<CoverageReport> {
  const { suite } = loaded;
  const seen = exercised(runs, results);
  const servers: ServerCoverage[] = [];
  for (const server of Object.keys(suite.servers)) {
    // Only servers the (filtered) run used: a server no test ran against has nothing to say.
    if (!runs.some((r) => r.server === server)) continue;
    const protocol = pairs.find(
      (p) => p.server === server && pool.result(server, p.protocol).connected,
    )?.protocol;
    const listedAt =
      protocol === undefined ? null : (pool.result(server, protocol).protocolVersion ?? protocol);
    const entry: ServerCoverage = { server, listedAt, kinds: {}, error: null };
    servers.push(entry);
    if (protocol === undefined) {
      entry.error = 'not measured: no revision of the server could be used';
      continue;
    }
    const used = seen.get(server) ?? {
      tools: new Set<string>(),
      prompts: new Set<string>(),
      uris: new Set<string>(),
    };
    try {
      const pc = await pool.get(
        server,
        protocol,
        effectiveAnswers(suite.answers, suite.servers[server].answers),
      );
      const hold = await pc.hold(false);
      try {
        const capabilities = pc.conn.capabilities;
        for (const kind of COVERAGE_KINDS) {
          if (capabilities && !capabilities[CAPABILITY[kind]]) continue;
          const { list, items, name } = ITEMS[kind];
          let listed: unknown[];
          try {
            const { result } = await fetchList(
              pc,
              list,
              ctx.schemas.list[list],
              { timeout: ctx.timeoutMs, signal: ctx.signal },
              [],
            );
            listed = (result[items] as unknown[]) ?? [];
          } catch (err) {
            if ((err as { code?: unknown })?.code === -32601) continue; // not offered
            throw err;
          }
          const names = listed.map(name).filter((n): n is string => typeof n === 'string');
          if (kind === 'tools') entry.kinds.tools = kindCoverage(names, (n) => used.tools.has(n));
          else if (kind === 'prompts') entry.kinds.prompts = kindCoverage(names, (n) => used.prompts.has(n));
          else if (kind === 'resources') entry.kinds.resources = kindCoverage(names, (n) => used.uris.has(n));
          else {
            entry.kinds.resource_templates = kindCoverage(names, (n) => {
              const re = templatePattern(n);
              return [...used.uris].some((uri) => re.test(uri));
            });
          }
        }
      } finally {
        hold.release();
      }
    } catch (raw) {
      entry.error = `not measured: ${errorInfo(raw).message.split('\n')[0]}`;
    }
  }
  const shortfalls = thresholds ? shortfallsOf(servers, thresholds) : [];
  return { servers, thresholds, passed: shortfalls.length === 0, shortfalls };
}

type RunPlanProtocol = PlannedRun['protocol'];

/** `tools`, `prompts`, `resources`, `resource templates`: how reports name a kind. */
export function kindLabel(kind: CoverageKind): string {
  return kind.replace('_', ' ');
}

/** `12/15 (80%)`. */
export function ratio(k: KindCoverage): string {
  return `${k.tested}/${k.offered}${k.percent === null ? '' : ` (${Math.floor(k.percent)}%)`}`;
}

/** One line per kind of a server below its threshold (and per server that could not be measured). */
export function shortfallsOf(
  servers: ServerCoverage[],
  thresholds: Partial<Record<CoverageKind, number>>,
): string[] {
  const out: string[] = [];
  for (const s of servers) {
    if (s.error) {
      out.push(`server "${s.server}": coverage ${s.error}`);
      continue;
    }
    for (const kind of COVERAGE_KINDS) {
      const min = thresholds[kind];
      const k = s.kinds[kind];
      if (min === undefined || !k || k.percent === null || k.percent >= min) continue;
      out.push(`server "${s.server}": ${kindLabel(kind)} ${ratio(k)} is below ${min}%`);
    }
  }
  return out;
}
