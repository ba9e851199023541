/**
 * Assertions on the exchange rather than on the content of a result: what the server asked for
 * (`asks`), the notifications it sent after the action (`notifications`), and the fields of the
 * raw result the SDK does not hand on (`result_type`, the `ttl_ms` / `cache_scope` cache hints).
 * Also the failure of a test whose server asked for something the test has no answer for.
 */
import type { Answers, Ask, ProtocolEra } from '../mcp/target.js';
import { ANSWER_EXAMPLES } from './answers.js';
import { type AssertionFailure, checkOps, show } from './assertions.js';
import type { AskMatch, Expect, JsonOps } from './suite-schema.js';

/** `notifications/` added to a short method name (`tools/list_changed`). */
export function notificationMethod(name: string): string {
  return name.startsWith('notifications/') ? name : `notifications/${name}`;
}

/** Matches text by substring (case-insensitive) or by `/regex/flags`. */
export function textMatcher(pattern: string): (text: string) => boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    const regex = new RegExp(re[1], re[2]);
    return (text) => regex.test(text);
  }
  const needle = pattern.toLowerCase();
  return (text) => text.toLowerCase().includes(needle);
}

/** An ask as a reader names it: `elicitation "What is your name?"`. */
export function describeAsk(ask: Ask): string {
  const what = ask.kind === 'other' ? ask.method : ask.kind;
  const message = ask.message ? ` ${show(ask.message)}` : '';
  const url = ask.mode === 'url' && ask.url ? ` (open ${ask.url})` : '';
  return `${what}${message}${url}`;
}

function describeMatcher(m: AskMatch): string {
  if (typeof m === 'string') return m;
  return [
    m.kind,
    m.message !== undefined ? `with a message matching ${show(m.message)}` : '',
    m.via ? `via ${m.via}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function matches(m: AskMatch, ask: Ask): boolean {
  const kind = typeof m === 'string' ? m : m.kind;
  if (ask.kind !== kind) return false;
  if (typeof m === 'string') return true;
  if (m.via !== undefined && ask.via !== m.via) return false;
  return m.message === undefined || textMatcher(m.message)(ask.message ?? '');
}

/** Failures of `asks:` against what the server asked during the test. */
export function checkAsks(expected: Expect['asks'], asks: readonly Ask[]): AssertionFailure[] {
  if (expected === undefined) return [];
  const list = Array.isArray(expected) ? expected : [expected];
  const got = asks.length ? asks.map(describeAsk).join('; ') : 'nothing';
  if (list.length === 0) {
    return asks.length
      ? [{ assertion: 'asks', message: `expected the server to ask for nothing, it asked for ${got}` }]
      : [];
  }
  return list
    .filter((m) => !asks.some((ask) => matches(m, ask)))
    .map((m) => ({
      assertion: 'asks',
      message: `expected the server to ask for ${describeMatcher(m)}, it asked for ${got}`,
    }));
}

/** One failure per ask nobody answered: it names what was asked and the answer to add. */
export function refusedAsks(asks: readonly Ask[]): AssertionFailure[] {
  return asks
    .filter((a) => a.answered === 'refused')
    .map((a) => ({
      assertion: 'answers',
      message: `the server asked for ${describeAsk(a)} and the test has no answer for it; add to the test: answers: { ${ANSWER_EXAMPLES[a.kind] ?? `${a.kind}: …`} }`,
    }));
}

/** Why a URL-mode elicitation fails a suite's test, whatever its answers. */
const URL_ELICITATION =
  'the server would ask the user to open a URL (a URL-mode elicitation), which a suite cannot answer (it needs a human at a browser), so mcptest declared form elicitation only';

/** The kinds of ask a client capability stands for. */
const CAPABILITY_ASKS: Record<string, string> = {
  elicitation: 'elicitation/create',
  sampling: 'sampling/createMessage',
  roots: 'roots/list',
};

/**
 * A 2026-07-28 server refusing a request because the client declares no capability for what it
 * would ask (-32021 `MissingRequiredClientCapability`, listing them in `requiredCapabilities`):
 * mcptest declares a capability only when the test answers that kind, so the test lacks an
 * answer (or, for a URL-mode elicitation, cannot give one). One failure per kind, naming it.
 * `errors` are the raw JSON-RPC errors of the test's requests.
 */
export function missingCapabilities(
  errors: ReadonlyArray<{ code?: number; data?: unknown } | undefined>,
): AssertionFailure[] {
  const refused = [...errors].reverse().find((e) => e?.code === -32021);
  const required = (refused?.data as { requiredCapabilities?: unknown } | undefined)?.requiredCapabilities;
  if (!required || typeof required !== 'object') return [];
  return Object.entries(required as Record<string, unknown>)
    .filter(([kind]) => Object.hasOwn(CAPABILITY_ASKS, kind))
    .map(([kind, detail]) => ({
      assertion: 'answers',
      message:
        kind === 'elicitation' && detail !== null && typeof detail === 'object' && 'url' in detail
          ? `${URL_ELICITATION} (-32021)`
          : `the server would ask for ${kind} (${CAPABILITY_ASKS[kind]}) and the test has no answer for it, so mcptest declared no ${kind} capability (-32021); add to the test: answers: { ${ANSWER_EXAMPLES[kind]} }`,
    }));
}

/** How the SDKs' servers say a client lacks a capability, by the kind of ask it stands for. */
const UNSUPPORTED: Array<[RegExp, 'elicitation' | 'sampling' | 'roots']> = [
  [/client does not support (?:form )?elicitation/i, 'elicitation'],
  [/client does not support sampling/i, 'sampling'],
  [/client does not support listing roots/i, 'roots'],
];

/**
 * A 2025-era server that would have asked for something the test has no answer for: mcptest
 * declared no capability for that kind, so the server did not ask and said so in its answer
 * ("Client does not support form elicitation."). One failure per such kind, naming the answer.
 */
export function unansweredCapabilities(texts: readonly string[], answers: Answers): AssertionFailure[] {
  const all = texts.join('\n');
  const url = /client does not support url elicitation/i.exec(all);
  if (url) return [{ assertion: 'answers', message: `${URL_ELICITATION} (the server says ${show(url[0])})` }];
  return UNSUPPORTED.filter(([re, kind]) => answers[kind] === undefined && re.test(all)).map(
    ([re, kind]) => ({
      assertion: 'answers',
      message: `the server would ask for ${kind} and the test has no answer for it, so mcptest declared no ${kind} capability (the server says ${show(re.exec(all)?.[0])}); add to the test: answers: { ${ANSWER_EXAMPLES[kind]} }`,
    }),
  );
}

/** Failures of `notifications:`: the methods that did not arrive in time. */
export function checkNotifications(
  missing: readonly string[],
  seen: readonly string[],
  waitedMs: number,
): AssertionFailure[] {
  const got = seen.length ? [...new Set(seen)].join(', ') : 'none';
  return missing.map((method) => ({
    assertion: 'notifications',
    message: `expected ${method} within ${Number((waitedMs / 1000).toFixed(1))} s of the action, got ${got}`,
  }));
}

/**
 * Failures of `result_type`, `ttl_ms` and `cache_scope` against the raw final result. A 2025-era
 * result has no resultType: it counts as complete, as the spec bridges it.
 */
export function checkRawResult(
  e: Expect | undefined,
  raw: Record<string, unknown> | undefined,
  era: ProtocolEra | null,
): AssertionFailure[] {
  if (!e || (e.result_type === undefined && e.ttl_ms === undefined && e.cache_scope === undefined)) return [];
  if (!raw) {
    return [
      {
        assertion:
          e.result_type !== undefined ? 'result_type' : e.ttl_ms !== undefined ? 'ttl_ms' : 'cache_scope',
        message: 'the raw result could not be observed on this connection',
      },
    ];
  }
  const failures: AssertionFailure[] = [];
  if (e.result_type !== undefined) {
    const got = raw.resultType ?? (era === 'modern' ? undefined : 'complete');
    if (got !== e.result_type) {
      failures.push({
        assertion: 'result_type',
        message: `expected resultType ${show(e.result_type)}, got ${got === undefined ? 'none' : show(got)}`,
      });
    }
  }
  if (e.ttl_ms !== undefined) {
    const found = Object.hasOwn(raw, 'ttlMs');
    const ops: JsonOps = typeof e.ttl_ms === 'number' ? { eq: e.ttl_ms } : e.ttl_ms;
    const why = found ? '' : era === 'legacy' ? ' (2025-era results carry no cache hints)' : '';
    for (const message of checkOps(found, raw.ttlMs, ops)) {
      failures.push({ assertion: 'ttl_ms', message: found ? message : `the result has no ttlMs${why}` });
    }
  }
  if (e.cache_scope !== undefined && raw.cacheScope !== e.cache_scope) {
    failures.push({
      assertion: 'cache_scope',
      message:
        raw.cacheScope === undefined
          ? `expected cacheScope ${show(e.cache_scope)}, the result has none${era === 'legacy' ? ' (2025-era results carry no cache hints)' : ''}`
          : `expected cacheScope ${show(e.cache_scope)}, got ${show(raw.cacheScope)}`,
    });
  }
  return failures;
}
