/**
 * Canned answers from the command line: `--answer KIND=VALUE` (repeatable) of `mcptest call`
 * becomes the `Answers` the connection answers elicitations, sampling requests and roots with.
 * `elicitation='{"action":"accept","content":{...}}'` (or `decline`, `cancel`, or the content
 * object alone), `sampling='{"text":"...","model":"m"}'` (or plain text), `roots='[{"uri":"file:///w"}]'`.
 */
import { McptestError } from '../../shared/errors.js';
import type { Answers, ElicitationAnswer, SamplingAnswer } from './target.js';

const EXAMPLES = {
  elicitation: `--answer elicitation='{"action":"accept","content":{"name":"Ada"}}' (or elicitation=decline, elicitation=cancel)`,
  sampling: `--answer sampling='{"text":"a reply","model":"m"}' (or sampling='a reply')`,
  roots: `--answer roots='[{"uri":"file:///workspace"}]'`,
};

function bad(kind: keyof typeof EXAMPLES, why: string): McptestError {
  return new McptestError('invalid_request', `--answer ${kind}=...: ${why}`, { hint: EXAMPLES[kind] });
}

function json(kind: keyof typeof EXAMPLES, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw bad(kind, `not JSON (${(err as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An elicitation answer's form content: strings, numbers, booleans, or lists of strings. */
function content(value: unknown): ElicitationAnswer & { action: 'accept' } {
  if (!isObject(value)) throw bad('elicitation', 'content must be a JSON object of the form fields');
  for (const [field, v] of Object.entries(value)) {
    const ok =
      typeof v === 'string' ||
      typeof v === 'number' ||
      typeof v === 'boolean' ||
      (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok)
      throw bad(
        'elicitation',
        `field ${JSON.stringify(field)} must be a string, number, boolean or list of strings`,
      );
  }
  return { action: 'accept', content: value as Record<string, string | number | boolean | string[]> };
}

export function parseElicitationAnswer(value: string): ElicitationAnswer {
  const word = value.trim();
  if (word === 'decline' || word === 'cancel') return { action: word };
  const parsed = json('elicitation', word);
  if (!isObject(parsed)) throw bad('elicitation', 'expected a JSON object, decline or cancel');
  if (!('action' in parsed)) return content(parsed); // the content alone means accept
  if (parsed.action === 'decline' || parsed.action === 'cancel') return { action: parsed.action };
  if (parsed.action !== 'accept')
    throw bad(
      'elicitation',
      `action must be accept, decline or cancel, not ${JSON.stringify(parsed.action)}`,
    );
  return content(parsed.content ?? {});
}

export function parseSamplingAnswer(value: string): SamplingAnswer {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{')) {
    if (!trimmed) throw bad('sampling', 'the reply is empty');
    return { text: value };
  }
  const parsed = json('sampling', trimmed);
  if (!isObject(parsed) || typeof parsed.text !== 'string') throw bad('sampling', 'expected {"text": "..."}');
  for (const key of ['model', 'stopReason'] as const) {
    if (parsed[key] !== undefined && typeof parsed[key] !== 'string')
      throw bad('sampling', `${key} must be a string`);
  }
  return {
    text: parsed.text,
    ...(typeof parsed.model === 'string' ? { model: parsed.model } : {}),
    ...(typeof parsed.stopReason === 'string' ? { stopReason: parsed.stopReason } : {}),
  };
}

export function parseRootsAnswer(value: string): NonNullable<Answers['roots']> {
  const parsed = json('roots', value.trim());
  if (!Array.isArray(parsed)) throw bad('roots', 'expected a JSON list of roots');
  return parsed.map((r) => {
    const root = typeof r === 'string' ? { uri: r } : r;
    if (!isObject(root) || typeof root.uri !== 'string') throw bad('roots', 'each root needs a "uri" string');
    if (!URL.canParse(root.uri)) throw bad('roots', `${JSON.stringify(root.uri)} is not a URI`);
    return { uri: root.uri, ...(typeof root.name === 'string' ? { name: root.name } : {}) };
  });
}

/** The answers a list of `--answer KIND=VALUE` flags give; a later flag of a kind replaces an earlier one. */
export function parseAnswerFlags(values: readonly string[] = []): Answers {
  const answers: Answers = {};
  for (const entry of values) {
    const at = entry.indexOf('=');
    const kind = at < 0 ? entry : entry.slice(0, at);
    const value = at < 0 ? '' : entry.slice(at + 1);
    if (kind === 'elicitation') answers.elicitation = parseElicitationAnswer(value);
    else if (kind === 'sampling') answers.sampling = parseSamplingAnswer(value);
    else if (kind === 'roots') answers.roots = parseRootsAnswer(value);
    else {
      throw new McptestError(
        'invalid_request',
        `--answer takes elicitation=..., sampling=... or roots=..., not ${JSON.stringify(kind.length > 30 ? `${kind.slice(0, 30)}…` : kind)}`,
        { hint: EXAMPLES.elicitation },
      );
    }
  }
  return answers;
}
