/**
 * What a server under test asked for during a verb call (an elicitation, a sampling completion,
 * the roots), relayed to the agent as data, and the `answers` input the agent calls again with.
 * The agent server has no human of its own: an ask without an answer is refused on the wire and
 * comes back here as `status: "needs_answers"` with the question, a filled-in `answers_template`
 * to send back, and (for a question meant for a person) `ask_human`. The same answers serve the
 * 2026-07-28 era's `input_required` rounds and the 2025 era's server-to-client requests.
 * @see MCP spec 2026-07-28 "Multi round-trip requests"; 2025-11-25 "Elicitation", "Sampling", "Roots"
 */
import { z } from 'zod';
import { McptestError } from '../../shared/errors.js';
import type { Answers, Ask, ElicitationAnswer } from '../mcp/target.js';

const FormValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** The `answers` input of call_tool (the shape of `Answers` in cli/mcp/target.ts). */
export const AnswersInput = z
  .object({
    elicitation: z
      .object({
        action: z
          .enum(['accept', 'decline', 'cancel'])
          .describe('accept (with `content`), decline (the user said no) or cancel (dismissed).'),
        content: z
          .record(z.string(), FormValue)
          .optional()
          .describe(
            "The form's fields, as the ask's `requested_schema` names them; {} for a URL elicitation.",
          ),
      })
      .optional()
      .describe('The answer to an elicitation (a form, or a URL the human opened).'),
    sampling: z
      .object({
        text: z.string().describe('The "model" reply.'),
        model: z.string().optional(),
        stopReason: z.string().optional(),
      })
      .optional()
      .describe('The answer to a sampling request (an LLM completion): you may write it yourself.'),
    roots: z
      .array(z.object({ uri: z.string().describe('A file:// URI.'), name: z.string().optional() }))
      .optional()
      .describe('The answer to roots/list: the folders the server may see.'),
  })
  .optional()
  .describe(
    'Answers to what the server asks during the call. Call first without; when the result has status "needs_answers", fill in its `answers_template` and call again with the same arguments plus `answers`.',
  );
export type AnswersArgs = z.infer<typeof AnswersInput>;

export const AskOut = z.object({
  kind: z.enum(['elicitation', 'sampling', 'roots', 'other']),
  method: z.string().describe('elicitation/create, sampling/createMessage, roots/list, ...'),
  via: z
    .enum(['input_required', 'request'])
    .describe('input_required: a 2026-07-28 round; request: a 2025 server-to-client request.'),
  message: z.string().optional().describe("The elicitation's question, or the sampling request's last text."),
  mode: z.enum(['form', 'url']).optional(),
  url: z.string().optional().describe('A URL elicitation: what the human must open.'),
  requested_schema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("A form elicitation's JSON Schema of the fields."),
  answered: z
    .enum(['canned', 'human', 'refused'])
    .describe('canned: by your `answers`; refused: no answer was given for it.'),
});
export type AskOut = z.infer<typeof AskOut>;

/** The `Answers` a connection takes, from the verb's input; checks what zod cannot. */
export function toAnswers(input: AnswersArgs): Answers | undefined {
  if (!input) return undefined;
  const answers: Answers = {};
  if (input.elicitation) answers.elicitation = elicitationAnswer(input.elicitation);
  if (input.sampling) answers.sampling = input.sampling;
  if (input.roots) {
    const bad = input.roots.find((r) => !URL.canParse(r.uri) || !r.uri.startsWith('file://'));
    if (bad) {
      throw new McptestError(
        'invalid_request',
        `answers.roots takes file:// URIs, not ${JSON.stringify(bad.uri)}`,
        {
          hint: '"answers": { "roots": [{ "uri": "file:///home/me/project" }] }',
        },
      );
    }
    answers.roots = input.roots;
  }
  return answers;
}

function elicitationAnswer(e: NonNullable<NonNullable<AnswersArgs>['elicitation']>): ElicitationAnswer {
  if (e.action !== 'accept') {
    if (e.content !== undefined) {
      throw new McptestError('invalid_request', `answers.elicitation: "${e.action}" takes no content`, {
        hint: '"answers": { "elicitation": { "action": "decline" } }',
      });
    }
    return { action: e.action };
  }
  return { action: 'accept', content: e.content ?? {} };
}

export function askOut(ask: Ask): AskOut {
  const schema = ask.requestedSchema;
  return {
    kind: ask.kind,
    method: ask.method,
    via: ask.via,
    ...(ask.message !== undefined ? { message: ask.message } : {}),
    ...(ask.mode ? { mode: ask.mode } : {}),
    ...(ask.url ? { url: ask.url } : {}),
    ...(schema && typeof schema === 'object' ? { requested_schema: schema as Record<string, unknown> } : {}),
    answered: ask.answered,
  };
}

/** The asks nobody answered. */
export function unanswered(asks: readonly Ask[]): Ask[] {
  return asks.filter((a) => a.answered === 'refused');
}

/**
 * The `answers` to send back: what the agent gave already, plus a placeholder for each kind
 * asked and unanswered (a form's defaults, else empty values of each field's type).
 */
export function answersTemplate(given: Answers | undefined, asks: readonly Ask[]): Record<string, unknown> {
  const template: Record<string, unknown> = { ...(given ?? {}) };
  for (const ask of unanswered(asks)) {
    if (ask.kind === 'elicitation') {
      template.elicitation = {
        action: 'accept',
        content: ask.mode === 'url' ? {} : formPlaceholder(ask.requestedSchema),
      };
    } else if (ask.kind === 'sampling') {
      template.sampling = { text: '' };
    } else if (ask.kind === 'roots') {
      template.roots = [{ uri: 'file:///path/to/project' }];
    }
  }
  return template;
}

function formPlaceholder(schema: unknown): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, Record<string, unknown>> } | undefined)
    ?.properties;
  const content: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(properties ?? {})) {
    if (prop.default !== undefined) content[name] = prop.default;
    else if (Array.isArray(prop.enum) && prop.enum.length) content[name] = prop.enum[0];
    else if (prop.type === 'boolean') content[name] = false;
    else if (prop.type === 'number' || prop.type === 'integer') content[name] = 0;
    else if (prop.type === 'array') content[name] = [];
    else content[name] = '';
  }
  return content;
}

/** One line per unanswered ask, saying what was asked and what answers it. */
export function howToAnswer(asks: readonly Ask[], verb: string): string {
  const lines = unanswered(asks).map((ask) => {
    switch (ask.kind) {
      case 'elicitation':
        return ask.mode === 'url'
          ? `the server asks the human to open ${ask.url ?? 'a URL'}${ask.message ? ` (${JSON.stringify(ask.message)})` : ''}: once they did, answer elicitation { "action": "accept", "content": {} }`
          : `the server asks the user ${JSON.stringify(ask.message ?? '')}${fieldList(ask.requestedSchema)}: answer elicitation { "action": "accept", "content": {...} }, or "decline" / "cancel"`;
      case 'sampling':
        return `the server asks for a model completion of ${JSON.stringify(ask.message ?? '')}: answer sampling { "text": "..." } (you may write it yourself)`;
      case 'roots':
        return 'the server asks for the roots (folders it may see): answer roots [{ "uri": "file:///..." }]';
      default:
        return `the server sent ${ask.method}, which mcptest cannot answer`;
    }
  });
  return `${lines.join('; ')}. Call ${verb} again with the same arguments plus "answers" (answers_template, filled in).`;
}

function fieldList(schema: unknown): string {
  const s = schema as { properties?: Record<string, { type?: unknown }>; required?: unknown } | undefined;
  const names = Object.entries(s?.properties ?? {}).map(([name, p]) => {
    const required = Array.isArray(s?.required) && s.required.includes(name);
    return `${name}${typeof p.type === 'string' ? ` (${p.type}${required ? ', required' : ''})` : ''}`;
  });
  return names.length ? ` with the fields ${names.join(', ')}` : '';
}

/** The sentence for the human, when an unanswered ask is a question only a person can answer. */
export function askHumanFor(asks: readonly Ask[]): string | undefined {
  const question = unanswered(asks).find((a) => a.kind === 'elicitation');
  if (!question) return undefined;
  if (question.mode === 'url') {
    return `Please open ${question.url ?? 'the URL the server gave'}${question.message ? ` (${question.message})` : ''} and tell me when it is done.`;
  }
  return `The server under test asks: ${JSON.stringify(question.message ?? '')}${fieldList(question.requestedSchema)}. What should I answer (or should I decline)?`;
}
