/**
 * What a connection is made to, and with which IO: the shapes every surface (CLI flags, suite
 * servers, agent verbs) builds and `connectToServer` takes. Types only.
 */

/** What to connect to and how to authenticate. Only names of env vars travel, never secrets. */
export interface ServerTarget {
  /** Streamable HTTP endpoint (legacy HTTP+SSE is tried when the server only speaks that). */
  url?: string;
  /** A stdio server to spawn (no auth). */
  command?: string;
  args?: string[];
  /** Variables a stdio server gets besides the safe set (`--env KEY=VALUE`, a suite's `env:`). */
  env?: Record<string, string>;
  /** Names a stdio server gets from mcptest's own environment (`--env KEY`); must be set. */
  passEnv?: string[];
  cwd?: string;
  /** Name of the env var holding a bearer token. */
  bearerTokenEnv?: string;
  oauth?: {
    grant: 'client_credentials';
    clientId: string;
    clientSecretEnv?: string;
    tokenUrl?: string;
    scope?: string;
    resource?: string;
    authMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
    privateKeyFile?: string;
    privateKeyEnv?: string;
  };
  /** Extra non-secret headers sent to the server. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Which MCP era to speak (`--protocol`, a suite's `protocol:`); `auto` when absent. */
  protocol?: ProtocolChoice;
}

/**
 * `auto`: the 2026-07-28 era when the server offers it (`server/discover`), else the 2025
 * `initialize` handshake. A version: exactly that one, or one clear error naming what the server
 * supports. 2026-07-28 is the modern (stateless) era; the others are legacy-era handshakes.
 */
export type ProtocolChoice = 'auto' | '2026-07-28' | '2025-11-25' | '2025-06-18' | '2025-03-26';

/** `modern`: 2026-07-28 and later (no initialize, `_meta` on every request); `legacy`: 2025. */
export type ProtocolEra = 'modern' | 'legacy';

/** A canned answer to an elicitation: a form's content, or the user's refusal. */
export type ElicitationAnswer =
  | { action: 'accept'; content: Record<string, string | number | boolean | string[]> }
  | { action: 'decline' }
  | { action: 'cancel' };

/** A canned sampling result: the "model"'s reply. */
export interface SamplingAnswer {
  text: string;
  model?: string;
  stopReason?: string;
}

/**
 * What mcptest answers when a server asks its client for something: an elicitation, a sampling
 * completion, the roots. The same answers serve the 2026-07-28 era's `input_required` rounds and
 * the 2025 era's server-to-client requests, so one suite tests both. A kind without an answer is
 * refused with an error that names what the server asked.
 */
export interface Answers {
  elicitation?: ElicitationAnswer;
  sampling?: SamplingAnswer;
  roots?: Array<{ uri: string; name?: string }>;
}

/** One thing a server asked for on a connection, in the order asked. */
export interface Ask {
  /** `elicitation/create`, `sampling/createMessage`, `roots/list`, or another method. */
  method: string;
  kind: 'elicitation' | 'sampling' | 'roots' | 'other';
  /** `input_required`: a round of a 2026-07-28 multi-round-trip result; `request`: a 2025 server request. */
  via: 'input_required' | 'request';
  /** An elicitation's message, or the text of a sampling request's last message. */
  message?: string;
  /** An elicitation's mode; a URL-mode elicitation also carries the URL to open. */
  mode?: 'form' | 'url';
  url?: string;
  /** A form elicitation's requested schema. */
  requestedSchema?: unknown;
  /** How it was answered: a canned answer, a human at the terminal, or refused. */
  answered: 'canned' | 'human' | 'refused';
}

/** What a browser approval of a wider scope is asked for. */
export interface StepUpRequest {
  serverUrl: string;
  /** The 403's WWW-Authenticate, carrying `error="insufficient_scope"` and the required scope. */
  wwwAuthenticate: string;
  /** The scope the cached login has, when known. */
  grantedScope: string | null;
}

/** The IO a connection needs: env and cwd for credentials, and where step-up progress goes. */
export interface ConnectIo {
  env: NodeJS.ProcessEnv;
  /** Where the env vars a target names are read (`CliIo.vars`); `env` when absent. */
  vars?: NodeJS.ProcessEnv;
  /**
   * Variables a spawned stdio server gets besides the safe set (stdio-env.ts): the agent
   * server's `--allow-env` names. None otherwise.
   */
  passEnv?: readonly string[];
  cwd: string;
  signal?: AbortSignal;
  /** Where step-up progress goes (the CLI's stderr); nothing is written when absent. */
  stderr?: (text: string) => void;
  /** Rewrite the step-up countdown in place. */
  stderrIsTTY?: boolean;
  /**
   * A human can approve a wider scope in a browser (see `cliConnectIo` in cli/connect-io.ts).
   * False or absent (agents, CI): a 403 `insufficient_scope` fails with `step_up_required` instead.
   */
  interactive?: boolean;
  /**
   * Runs a browser approval of a wider scope for a cached login (the CLI opens the browser and
   * waits; `cli/login/approve-step-up.ts`). Resolves true once approved, false when no browser
   * can be opened; throws the login's error when the human denies or gives up. Absent: a cached
   * login cannot step up by itself. Only used when `interactive` is true.
   */
  approveInBrowser?: (request: StepUpRequest) => Promise<boolean>;
  /**
   * Declare elicitation (form and URL), sampling and roots even without an answer or a human, so
   * a server asks and the refusal names what it asked (`mcptest call` off a terminal). Absent:
   * only what can be answered is declared, and a server that needs more says so (-32021).
   */
  refuseByName?: boolean;
  /** Canned answers for what the server asks (`--answer`, a suite test's `answers:`). */
  answers?: Answers;
  /**
   * Asks a human for an answer the canned ones lack (`mcptest call` on a terminal); resolves to
   * null when the human gives none. Absent: an unanswered ask is refused.
   */
  askHuman?: (ask: Ask) => Promise<ElicitationAnswer | SamplingAnswer | Answers['roots'] | null>;
}
