import { z } from 'zod';
import { timedCall } from '../../scaffold/scaffold-suite.js';
import {
  AnswersInput,
  AskOut,
  answersTemplate,
  askHumanFor,
  askOut,
  howToAnswer,
  toAnswers,
  unanswered,
} from '../asks.js';
import { withConnection } from '../connection.js';
import { ProtocolOut, protocolOf } from '../era.js';
import { TargetInput } from '../target-input.js';
import { defineVerb } from '../verb.js';

/**
 * `call_tool`: one tools/call, its result returned as data. What the server asks for on the way
 * (an elicitation, a sampling completion, the roots) is relayed as `asks`; without an answer the
 * result says `needs_answers` and how to call again with `answers` (asks.ts).
 */
export const callTool = defineVerb({
  name: 'call_tool',
  title: 'Call one tool of an MCP server',
  description:
    'Call one tool of an MCP server and return its result as data: `content`, `structuredContent`, `isError`, the latency, and the protocol era and version used. A tool answering isError is still a successful call of this verb (ok: true, isError: true); this verb itself fails (isError) only when the server could not be reached or refused our credentials. When the server asks for something during the call (an elicitation form or URL, a sampling completion, the roots) and `answers` does not cover it, the result has status "needs_answers", `asks` (what was asked), `answers_template` and `how_to_answer`, and `ask_human` when a person must answer: call again with the same arguments plus `answers`. Same target fields as list_tools.',
  input: {
    ...TargetInput,
    tool: z.string().min(1).describe('The tool name, as list_tools shows it.'),
    arguments: z.record(z.string(), z.unknown()).optional().describe('The tool arguments (a JSON object).'),
    answers: AnswersInput,
  },
  output: {
    tool: z.string(),
    status: z
      .enum(['complete', 'needs_answers'])
      .describe('needs_answers: the server asked for something no `answers` covered; see `asks`.'),
    content: z.array(z.record(z.string(), z.unknown())),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean(),
    latency_ms: z.number(),
    asks: z.array(AskOut).describe('What the server asked for during the call, in order.'),
    answers_template: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('The `answers` to fill in and send back with the same call (needs_answers only).'),
    how_to_answer: z.string().optional(),
    ask_human: z
      .string()
      .optional()
      .describe('The question to put to the human, when only a person can answer.'),
    protocol: ProtocolOut,
  },
  annotations: { openWorldHint: true },
  async run(args, ctx) {
    const answers = toAnswers(args.answers);
    return withConnection(
      args,
      ctx,
      async (conn) => {
        let called: Awaited<ReturnType<typeof timedCall>> | undefined;
        try {
          called = await timedCall(conn, args.tool, args.arguments ?? {}, { signal: ctx.signal });
        } catch (err) {
          // A call refused because nobody answered the server's question is an answer of its own
          // (the refusal's message speaks of --answer, the CLI's way: the data says it for agents).
          if (unanswered(conn.asks).length === 0) throw err;
        }
        const asks = conn.asks.map(askOut);
        const result = called?.result;
        const data: Record<string, unknown> = {
          tool: args.tool,
          status: unanswered(conn.asks).length ? 'needs_answers' : 'complete',
          ...(result
            ? {
                content: (result.content ?? []) as Array<Record<string, unknown>>,
                ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
                isError: result.isError === true,
                latency_ms: Math.round(called?.latencyMs ?? 0),
              }
            : {}),
          asks,
          protocol: protocolOf(conn),
        };
        if (data.status === 'complete') return { data };
        const how = howToAnswer(conn.asks, 'call_tool');
        const human = askHumanFor(conn.asks);
        Object.assign(data, {
          answers_template: answersTemplate(answers, conn.asks),
          how_to_answer: how,
          ...(human ? { ask_human: human } : {}),
        });
        const lines = [`${args.tool} needs answers: ${how}`, ...(human ? [`Ask the human: ${human}`] : [])];
        return { data, text: `${lines.join('\n')}\n\n${JSON.stringify({ ok: true, ...data }, null, 2)}` };
      },
      { answers, relay: true },
    );
  },
});
