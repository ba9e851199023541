/**
 * How agent verbs answer: success as `{ ok: true, ...data }` in structuredContent (with the same
 * JSON as text), failure as `isError: true` whose text is the same actionable message the CLI
 * prints and whose structuredContent carries the fields as data plus `ask_human`, the one thing
 * to ask the human for. Never a token value: only env var names and fingerprints.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ERROR_CATALOGUE, toMcptestError } from '../../shared/errors.js';
import type { AuthErrorDetails } from '../mcp/auth-error.js';
import { withheldAskHuman } from './env-allowlist.js';

/** The `error` object of a failed verb. */
export const ErrorOut = z
  .object({
    code: z.string().describe('Stable error code (docs/errors.md).'),
    message: z.string().describe('The same message the CLI prints.'),
    hint: z.string().optional().describe('A command a human can paste.'),
    status: z.number().nullable().optional().describe('HTTP status of the refusal (401/403).'),
    server_url: z.string().optional(),
    scheme: z.string().nullable().optional().describe('Auth scheme from WWW-Authenticate, e.g. Bearer.'),
    params: z
      .record(z.string(), z.string())
      .optional()
      .describe('WWW-Authenticate parameters (realm, scope, error, resource_metadata).'),
    input: z
      .string()
      .optional()
      .describe('Which input to fix: bearer_token_env, client_credentials, login, none, or protocol.'),
    env_var: z.string().nullable().optional().describe('The env var NAME involved (never its value).'),
    state: z
      .string()
      .optional()
      .describe('no_credentials | env_unset | token_rejected | insufficient_scope | login_expired'),
    fingerprint: z.string().nullable().optional().describe('sha256 prefix of the rejected token.'),
    doctor_command: z.string().optional().describe('`mcptest doctor ...` line diagnosing it.'),
    supported_versions: z
      .array(z.string())
      .optional()
      .describe('protocol_unsupported: the versions the server speaks; retry with one as `protocol`.'),
    ask_human: z.string().optional().describe('The one thing to ask the human for, as one sentence.'),
  })
  .describe('Why the verb failed.');
export type ErrorOut = z.infer<typeof ErrorOut>;

/** The output shape of a verb: `ok`, the success fields (absent on failure) and `error`. */
export function outputShape<S extends z.ZodRawShape>(success: S) {
  const optional = Object.fromEntries(
    Object.entries(success).map(([k, v]) => [k, (v as z.ZodType).optional()]),
  ) as unknown as { [K in keyof S]: z.ZodOptional<S[K]> };
  return {
    ok: z.boolean().describe('true on success; false with `error` (and isError: true) on failure'),
    ...optional,
    error: ErrorOut.optional(),
  };
}

export function okResult(data: Record<string, unknown>, text?: string): CallToolResult {
  const structuredContent = { ok: true, ...data };
  return {
    content: [{ type: 'text', text: text ?? JSON.stringify(structuredContent, null, 2) }],
    structuredContent,
  };
}

/** The one sentence an agent should say to its human, by auth state and input. */
export function askHuman(d: AuthErrorDetails): string {
  const url = d.serverUrl;
  const login = `mcptest login ${url}`;
  const scope = d.params?.scope;
  switch (d.state) {
    case 'env_unset':
      return d.input === 'client_credentials'
        ? `Please set the environment variable ${d.envVar} to the client secret in the environment of the mcptest mcp-server process (the "env" of its MCP server config), then restart it.`
        : `Please set the environment variable ${d.envVar} to a valid access token for ${url} in the environment of the mcptest mcp-server process (the "env" of its MCP server config), then restart it.`;
    case 'no_credentials':
      return `Please log in to ${url} by running \`${login}\` in a terminal on this machine (or let me start a device login you approve in a browser).`;
    case 'token_rejected':
      if (d.input === 'bearer_token_env')
        return `Please put a fresh, valid access token for ${url} into the environment variable ${d.envVar} of the mcptest mcp-server process and restart it; the current one${d.fingerprint ? ` (fingerprint ${d.fingerprint})` : ''} was rejected.`;
      if (d.input === 'client_credentials')
        return `Please check that the OAuth client's token URL and audience belong to ${url}; the server rejects the tokens it mints.`;
      return `Please run \`${login}\` to log in again; the cached login for ${url} was rejected.`;
    case 'insufficient_scope':
      if (d.input === 'bearer_token_env')
        return `Please put a token for ${url} that carries the scope ${scope ?? 'the server requires'} into the environment variable ${d.envVar} of the mcptest mcp-server process.`;
      if (d.input === 'client_credentials')
        return `Please allow the OAuth client to request the scope ${scope ?? 'the server requires'} for ${url}, then tell me to retry with that scope.`;
      return `Please grant the scope ${scope ?? 'the server requires'} by running \`${login}${scope ? ` --scope "${scope}"` : ''}\`.`;
    case 'login_expired':
      return `Please run \`${login}\` to renew the expired login for ${url}.`;
  }
}

/** Converts any error (or an IPC/report error object) to the `error` field. */
export function errorOut(err: unknown): ErrorOut {
  const e = toMcptestError(err);
  return errorInfoOut(e.toJSON());
}

/** Same, from the `{ code, message, hint, details }` shape the runner and IPC use. */
export function errorInfoOut(info: {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}): ErrorOut {
  const out: ErrorOut = { code: info.code, message: info.message };
  if (info.hint) out.hint = info.hint;
  const d = info.details as AuthErrorDetails | undefined;
  if (info.code === 'auth_failed' && d && typeof d.state === 'string') {
    out.status = d.status;
    out.server_url = d.serverUrl;
    out.scheme = d.scheme;
    out.params = d.params;
    out.input = d.input;
    out.env_var = d.envVar;
    out.state = d.state;
    out.fingerprint = d.fingerprint;
    out.doctor_command = d.doctorCommand;
    out.ask_human = askHuman(d);
  } else if (info.code === 'protocol_unsupported') {
    // The CLI's hint names --protocol; an agent sets the `protocol` input instead.
    const supported = info.details?.supported;
    out.input = 'protocol';
    if (Array.isArray(supported)) out.supported_versions = supported.filter((v) => typeof v === 'string');
  } else if (info.code === 'invalid_scope') {
    const wanted = typeof info.details?.requiredScope === 'string' ? info.details.requiredScope : null;
    out.ask_human = `Please allow the OAuth client to request the scope ${wanted ?? 'this server requires'} at the authorization server, then tell me to retry.`;
  } else if (
    info.hint &&
    (Object.hasOwn(ERROR_CATALOGUE, info.code)
      ? ERROR_CATALOGUE[info.code as keyof typeof ERROR_CATALOGUE].exit === 'auth'
      : false)
  ) {
    out.ask_human = `Please run \`${info.hint}\` and tell me when it is done.`;
  }
  // A verb that knows better what the human must do says it (login_device_start).
  if (typeof info.details?.askHuman === 'string') out.ask_human = info.details.askHuman;
  return out;
}

/**
 * The failure answer: the CLI's message as text, the fields as data. `withheld` holds the env
 * vars an `--allow-env` server keeps from its verbs: a failure naming one of them says so.
 */
export function errorResult(err: unknown, withheld?: ReadonlySet<string>): CallToolResult {
  const error = errorOut(err);
  const envVar = toMcptestError(err).details?.envVar;
  const named = error.env_var ?? (typeof envVar === 'string' ? envVar : undefined);
  if (named && withheld?.has(named)) {
    error.message = `${error.message} (this mcp-server may not read ${named}: it is not in --allow-env)`;
    error.ask_human = withheldAskHuman(named);
  }
  const lines = [error.message];
  if (error.hint && !error.message.includes(error.hint)) lines.push(`hint: ${error.hint}`);
  const content: CallToolResult['content'] = [{ type: 'text', text: lines.join('\n') }];
  if (error.ask_human) content.push({ type: 'text', text: `Ask the human: ${error.ask_human}` });
  return { content, structuredContent: { ok: false, error }, isError: true };
}
