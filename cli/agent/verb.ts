/**
 * The shape of one agent verb: a name, a description written for an agent, zod input and output
 * shapes, and a run function returning the success data. Failures are thrown as McptestErrors;
 * the server turns them into error results (see results.ts).
 */
import type { z } from 'zod';
import type { DaemonClient } from '../../client/daemon-client.js';

/** What a verb may touch: the mcp-server process's env and folder, and the daemon. */
export interface AgentContext {
  env: NodeJS.ProcessEnv;
  /** The env vars a verb may name (bearer_token_env, ${VAR} in a suite): `--allow-env` applied. */
  vars: NodeJS.ProcessEnv;
  /** What a stdio server the agent names gets besides the safe set: the `--allow-env` names. */
  passEnv: readonly string[];
  cwd: string;
  signal: AbortSignal;
  /** A daemon client (started if none runs); closed by the caller of `withDaemon`. */
  withDaemon<T>(fn: (client: DaemonClient) => Promise<T>): Promise<T>;
  /**
   * Tells the agent how far a long verb has got (MCP `notifications/progress`); does nothing
   * when the request carried no progress token.
   */
  progress(done: number, total: number | undefined, message: string): void;
}

export interface VerbAnswer {
  data: Record<string, unknown>;
  /** Text content; the JSON of `data` when absent. */
  text?: string;
}

export interface Verb<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: I;
  /** Success fields (the server adds `ok` and `error`). */
  output: O;
  annotations?: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
  };
  run(args: z.infer<z.ZodObject<I>>, ctx: AgentContext): Promise<VerbAnswer>;
}

/** Identity helper keeping the input type of `run` tied to `input`. */
export function defineVerb<I extends z.ZodRawShape, O extends z.ZodRawShape>(verb: Verb<I, O>): Verb<I, O> {
  return verb;
}
