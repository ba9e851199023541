/**
 * What mcptest answers when a server asks its client for something: an elicitation, a sampling
 * completion, the roots. The same handlers serve the 2025 era's server-to-client requests and
 * the 2026-07-28 era's `input_required` rounds (SDK 2.x fulfils those through the handlers
 * registered here). Each ask is recorded on the connection (`asks`), then answered from the
 * canned answers (`--answer`, a suite's `answers:`), else by a human (`ConnectIo.askHuman`), else
 * refused with an `input_required` error that names what was asked and how to answer it.
 *
 * Capabilities are declared only for what can be answered (a canned answer, or a human to ask);
 * without either mcptest declares none, as a client without those features must; a server then
 * refuses to ask (-32021), which explain-error.ts turns into the same `input_required` error. A
 * caller that wants the question itself named (`mcptest call`) sets `ConnectIo.refuseByName`:
 * everything is declared, the server asks, and the refusal quotes what it asked.
 * @see MCP spec 2025-11-25 §"Client Features"; 2026-07-28 basic/patterns/mrtr
 */
import type { Client, ClientCapabilities } from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import type { Ask, ConnectIo, ElicitationAnswer, SamplingAnswer } from './target.js';

/** How many `input_required` rounds one request may take before mcptest gives up. */
export const MAX_INPUT_ROUNDS = 8;

const WHY: Record<string, string> = {
  'sampling/createMessage':
    'sampling (an LLM completion): mcptest has no model and declares no sampling capability',
  'elicitation/create':
    'elicitation (input from the user): mcptest shows no forms and declares no elicitation capability',
  'roots/list': 'roots: mcptest declares no roots capability',
};

type Kind = Ask['kind'];
const KINDS: Record<string, Kind> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/**
 * The capabilities to declare: only what a canned answer or a human can give, or all of them
 * when the caller wants unanswered asks refused by name (`ConnectIo.refuseByName`).
 */
export function answerCapabilities(io: ConnectIo): ClientCapabilities {
  const human = Boolean(io.askHuman) || Boolean(io.refuseByName);
  const a = io.answers ?? {};
  const caps: ClientCapabilities = {};
  // applyDefaults: the SDK fills an accepted form's omitted fields from the schema's defaults
  // (SEP-1034), so `--answer elicitation='{"action":"accept","content":{}}'` takes every default.
  const form = { applyDefaults: true };
  if (a.elicitation || human) caps.elicitation = human ? { form, url: {} } : { form };
  if (a.sampling || human) caps.sampling = {};
  if (a.roots || human) caps.roots = {};
  return caps;
}

/** The text of a sampling request's last message, for the ask and the error. */
function samplingPrompt(params: Record<string, unknown> | undefined): string | undefined {
  const messages = params?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const content = (messages.at(-1) as { content?: unknown })?.content;
  const blocks = Array.isArray(content) ? content : [content];
  const text = blocks
    .map((b) =>
      b && typeof b === 'object' && (b as { type?: unknown }).type === 'text'
        ? (b as { text?: unknown }).text
        : undefined,
    )
    .filter((t): t is string => typeof t === 'string')
    .join(' ');
  return text || undefined;
}

/** The ask a request makes, before it is answered. */
export function askOf(method: string, params: Record<string, unknown> | undefined, via: Ask['via']): Ask {
  const kind = KINDS[method] ?? 'other';
  const ask: Ask = { method, kind, via, answered: 'refused' };
  if (kind === 'elicitation') {
    if (typeof params?.message === 'string') ask.message = params.message;
    ask.mode = params?.mode === 'url' ? 'url' : 'form';
    if (ask.mode === 'url' && typeof params?.url === 'string') ask.url = params.url;
    if (params?.requestedSchema !== undefined) ask.requestedSchema = params.requestedSchema;
  } else if (kind === 'sampling') {
    const prompt = samplingPrompt(params);
    if (prompt) ask.message = prompt;
  }
  return ask;
}

function quoted(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(one.length > 200 ? `${one.slice(0, 200)}…` : one);
}

/** An example `--answer` for what `ask` wants, naming the fields of a form when it has some. */
export function exampleAnswer(ask: Ask): string {
  if (ask.kind === 'sampling') return `--answer sampling='{"text":"...","model":"m"}'`;
  if (ask.kind === 'roots') return `--answer roots='[{"uri":"file:///workspace"}]'`;
  const props = (ask.requestedSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const fields = props ? Object.keys(props).slice(0, 4) : [];
  const content = fields.length ? fields.map((f) => `${JSON.stringify(f)}:"..."`).join(',') : '...';
  return `--answer elicitation='{"action":"accept","content":{${content}}}'`;
}

/** `input_required`: what the server asked, that nobody answered, and how to answer it. */
export function refusalError(ask: Ask, where: string, reason?: string): McptestError {
  const what =
    ask.kind === 'elicitation'
      ? ask.mode === 'url'
        ? `to open ${ask.url ?? 'a URL'}${ask.message ? ` (${quoted(ask.message)})` : ''} (URL-mode elicitation)`
        : `for input: ${ask.message ? quoted(ask.message) : 'an elicitation form'}`
      : ask.kind === 'sampling'
        ? `for a sampling completion (an LLM reply)${ask.message ? ` to ${quoted(ask.message)}` : ''}`
        : ask.kind === 'roots'
          ? 'for the client roots (roots/list)'
          : `for ${ask.method}`;
  const how =
    ask.kind === 'other'
      ? 'mcptest does not answer this request'
      : ask.mode === 'url'
        ? 'open the URL yourself, or run the call on a terminal to be asked to'
        : `give an answer with ${exampleAnswer(ask)}, or run the call on a terminal to be asked`;
  return new McptestError(
    'input_required',
    `${where} asked ${what}${ask.via === 'input_required' ? ' (an input_required round)' : ''}; ${reason ?? 'no answer was given'}: ${how}`,
    {
      hint: ask.kind === 'other' || ask.mode === 'url' ? undefined : exampleAnswer(ask),
      details: { method: ask.method, kind: ask.kind, via: ask.via, message: ask.message, url: ask.url },
    },
  );
}

function elicitationResult(answer: ElicitationAnswer): Record<string, unknown> {
  return answer.action === 'accept'
    ? { action: 'accept', content: answer.content }
    : { action: answer.action };
}

function samplingResult(answer: SamplingAnswer): Record<string, unknown> {
  return {
    role: 'assistant',
    content: { type: 'text', text: answer.text },
    model: answer.model ?? 'mcptest-canned',
    stopReason: answer.stopReason ?? 'endTurn',
  };
}

/** What one connection records and answers. `era()` is read when an ask arrives. */
export interface AnswerContext {
  io: ConnectIo;
  asks: Ask[];
  /** `where` of messages: the server URL or the stdio command. */
  where: string;
  era: () => 'modern' | 'legacy' | undefined;
}

/** Answers one ask: a canned answer, else the human, else the refusal. Records it in `asks`. */
async function answer(ctx: AnswerContext, method: string, params: Record<string, unknown> | undefined) {
  const ask = askOf(method, params, ctx.era() === 'modern' ? 'input_required' : 'request');
  ctx.asks.push(ask);
  const canned = ctx.io.answers;
  if (ask.kind === 'elicitation' && canned?.elicitation && ask.mode !== 'url') {
    ask.answered = 'canned';
    return elicitationResult(canned.elicitation);
  }
  if (ask.kind === 'sampling' && canned?.sampling) {
    ask.answered = 'canned';
    return samplingResult(canned.sampling);
  }
  if (ask.kind === 'roots' && canned?.roots) {
    ask.answered = 'canned';
    return { roots: canned.roots };
  }
  if (ask.kind !== 'other' && ctx.io.askHuman) {
    const given = await ctx.io.askHuman(ask);
    if (given !== null) {
      ask.answered = 'human';
      if (ask.kind === 'elicitation') return elicitationResult(given as ElicitationAnswer);
      if (ask.kind === 'sampling') return samplingResult(given as SamplingAnswer);
      return { roots: given };
    }
    throw refusalError(ask, ctx.where, 'the human gave no answer');
  }
  throw refusalError(ask, ctx.where);
}

/**
 * Registers the answering handlers on `client` (constructed with {@link answerCapabilities}):
 * one per declared capability, and a fallback for the rest. An `input_required` round asking
 * for a kind mcptest declared no capability for is refused the same way, by name, rather than
 * with the SDK's "no handler is registered".
 */
export function answerServerRequests<C extends Client>(client: C, ctx: AnswerContext): C {
  const caps = answerCapabilities(ctx.io);
  const handle = (method: string) => async (request: { params?: Record<string, unknown> }) =>
    (await answer(ctx, method, request.params)) as never;
  if (caps.elicitation) client.setRequestHandler('elicitation/create', handle('elicitation/create'));
  if (caps.sampling) client.setRequestHandler('sampling/createMessage', handle('sampling/createMessage'));
  if (caps.roots) client.setRequestHandler('roots/list', handle('roots/list'));
  // A 2025 server request for something undeclared: JSON-RPC -32601 as the spec wants, with a
  // message that says what was asked and why nobody answers.
  client.fallbackRequestHandler = async (request) => {
    const ask = askOf(request.method, request.params as Record<string, unknown> | undefined, 'request');
    ctx.asks.push(ask);
    const why = WHY[request.method] ?? `${request.method}: mcptest does not answer this request`;
    const { ProtocolError, ProtocolErrorCode } = await import('@modelcontextprotocol/client');
    throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `the client cannot answer ${why}`);
  };
  // An input_required round for an undeclared kind: refused by name (an SDK internal; without
  // it the SDK's own "no handler" error stands).
  const host = client as unknown as { _getRequestHandler?: (method: string) => unknown };
  const lookup = host._getRequestHandler?.bind(client);
  if (lookup) {
    host._getRequestHandler = (method: string) =>
      lookup(method) ??
      (KINDS[method]
        ? async (request: { params?: Record<string, unknown> }) => answer(ctx, method, request.params)
        : undefined);
  }
  return client;
}
