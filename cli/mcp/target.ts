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
   * A human can approve a wider scope in a browser (see `cliConnectIo` in step-up.ts). False or
   * absent (agents, CI): a 403 `insufficient_scope` fails with `step_up_required` instead.
   */
  interactive?: boolean;
}
