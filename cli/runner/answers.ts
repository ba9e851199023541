/**
 * A suite's canned answers (`answers:` of the suite, a server and a test) as the connection
 * layer's `Answers`: the YAML shorthands (`elicitation: decline`, `sampling: "the reply"`, a root
 * as a bare URI) spelt out, and the three levels merged kind by kind (the test's over its
 * server's over the suite's). The same answers serve 2026-07-28 `input_required` rounds and 2025
 * server requests: the connection layer routes both to them.
 */
import type { Answers, ElicitationAnswer } from '../mcp/target.js';
import type { AnswersSpec } from './suite-schema.js';

/** The answers of one level, spelt out. */
export function answersOf(spec: AnswersSpec | undefined): Answers {
  if (!spec) return {};
  const out: Answers = {};
  if (spec.elicitation !== undefined) {
    const e = spec.elicitation;
    out.elicitation =
      typeof e === 'string'
        ? e === 'accept'
          ? { action: 'accept', content: {} }
          : ({ action: e } as ElicitationAnswer)
        : { action: 'accept', content: e.accept };
  }
  if (spec.sampling !== undefined) {
    const s = spec.sampling;
    out.sampling =
      typeof s === 'string'
        ? { text: s }
        : {
            text: s.text,
            ...(s.model !== undefined ? { model: s.model } : {}),
            ...(s.stop_reason !== undefined ? { stopReason: s.stop_reason } : {}),
          };
  }
  if (spec.roots !== undefined) {
    out.roots = spec.roots.map((r) =>
      typeof r === 'string' ? { uri: r } : { uri: r.uri, ...(r.name !== undefined ? { name: r.name } : {}) },
    );
  }
  return out;
}

/** The answers a test runs with: each kind from the nearest level that gives it. */
export function effectiveAnswers(...levels: Array<AnswersSpec | undefined>): Answers {
  return Object.assign({}, ...levels.map(answersOf));
}

/** A stable key of a set of answers (tests with equal answers share a connection). */
export function answersKey(answers: Answers): string {
  const kinds = (['elicitation', 'sampling', 'roots'] as const).filter((k) => answers[k] !== undefined);
  return JSON.stringify(kinds.map((k) => [k, answers[k]]));
}

/** How a suite would answer `kind`, for messages: `elicitation: { accept: {...} }`. */
export const ANSWER_EXAMPLES: Record<string, string> = {
  elicitation: 'elicitation: { accept: { field: value } } (or decline, or cancel)',
  sampling: 'sampling: "the reply text"',
  roots: 'roots: [file:///work/project]',
};
