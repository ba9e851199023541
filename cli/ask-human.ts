/**
 * Asking the human at the terminal for what a server asks (`mcptest call` with stdin and stderr
 * on a terminal and no canned `--answer` of that kind): a form elicitation shows its message and
 * asks each field of its schema, a URL-mode elicitation prints the URL and waits for Enter (as a
 * device login does), sampling shows the prompt and reads the reply, roots reads a list of URIs.
 * End of input (Ctrl-D) gives no answer; the connection then refuses the ask by name.
 */
import { createInterface } from 'node:readline/promises';
import { printable } from './format.js';
import type { Answers, Ask, ElicitationAnswer, SamplingAnswer } from './mcp/target.js';

type Field = {
  type?: string;
  description?: string;
  title?: string;
  enum?: unknown[];
  items?: { enum?: unknown[] };
};

export interface HumanIo {
  input: NodeJS.ReadableStream;
  stderr: (text: string) => void;
  signal?: AbortSignal;
}

/** One line from the human; null at end of input. */
async function line(io: HumanIo, prompt: string): Promise<string | null> {
  const rl = createInterface({ input: io.input, terminal: false });
  io.stderr(prompt);
  try {
    const got = await new Promise<string | null>((resolve) => {
      rl.once('line', (l) => resolve(l));
      rl.once('close', () => resolve(null));
      io.signal?.addEventListener('abort', () => resolve(null), { once: true });
    });
    return got;
  } finally {
    rl.close();
  }
}

function fieldValue(field: Field, raw: string): string | number | boolean | string[] {
  if (field.type === 'number' || field.type === 'integer') {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  if (field.type === 'boolean') return /^(y|yes|true|1)$/i.test(raw.trim());
  if (field.type === 'array')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

async function elicit(io: HumanIo, ask: Ask): Promise<ElicitationAnswer | null> {
  if (ask.mode === 'url') {
    io.stderr(
      `The server asks you to open this URL${ask.message ? ` (${printable(ask.message)})` : ''}:\n  ${printable(ask.url ?? '')}\nPress Enter when done (Ctrl-D to refuse) `,
    );
    const done = await line(io, '');
    return done === null ? null : { action: 'accept', content: {} };
  }
  io.stderr(`The server asks: ${printable(ask.message ?? '(no message)')}\n`);
  const schema = ask.requestedSchema as
    | { properties?: Record<string, Field>; required?: string[] }
    | undefined;
  const props = Object.entries(schema?.properties ?? {});
  const required = new Set(schema?.required ?? []);
  const content: Record<string, string | number | boolean | string[]> = {};
  for (const [name, field] of props) {
    const choices = field.enum ?? field.items?.enum;
    const hint = [
      field.type ?? 'string',
      required.has(name) ? 'required' : 'optional',
      choices ? `one of ${choices.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const about = field.description ?? field.title;
    for (;;) {
      const raw = await line(io, `  ${name}${about ? ` (${printable(about)})` : ''} [${hint}]: `);
      if (raw === null) return null;
      if (raw === '' && !required.has(name)) break;
      if (raw === '') continue;
      content[name] = fieldValue(field, raw);
      break;
    }
  }
  if (props.length === 0) {
    const ok = await line(io, '  accept? [Y/n] ');
    if (ok === null) return null;
    if (/^n/i.test(ok.trim())) return { action: 'decline' };
  }
  return { action: 'accept', content };
}

async function sample(io: HumanIo, ask: Ask): Promise<SamplingAnswer | null> {
  io.stderr(`The server asks for an LLM completion of: ${printable(ask.message ?? '(no text)')}\n`);
  const reply = await line(io, '  your reply: ');
  return reply === null ? null : { text: reply, model: 'human' };
}

async function roots(io: HumanIo): Promise<Answers['roots'] | null> {
  const raw = await line(
    io,
    'The server asks for the client roots; give URIs, comma-separated (file:///...): ',
  );
  if (raw === null) return null;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((uri) => ({ uri }));
}

/** The `ConnectIo.askHuman` of a terminal: asks one thing at a time. */
export function terminalAskHuman(
  io: HumanIo,
): (ask: Ask) => Promise<ElicitationAnswer | SamplingAnswer | Answers['roots'] | null> {
  let queue = Promise.resolve();
  return (ask) => {
    const run = async () => {
      io.stderr('\r\x1b[2K'); // off a progress line the call may have drawn
      if (ask.kind === 'elicitation') return elicit(io, ask);
      if (ask.kind === 'sampling') return sample(io, ask);
      if (ask.kind === 'roots') return roots(io);
      return null;
    };
    const next = queue.then(run);
    queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  };
}
