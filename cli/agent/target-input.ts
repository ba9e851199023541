/**
 * The fields every agent verb that reaches a server takes, exactly as docs/agents.md shows them
 * (`{ "url": "...", "bearer_token_env": "MCP_TOKEN" }`), and their mapping onto the same
 * ServerTarget the CLI flags build, so both surfaces validate and connect identically. Env vars
 * are read from the mcp-server process's own environment; only their names travel.
 */
import { z } from 'zod';
import { McptestError } from '../../shared/errors.js';
import type { ServerTarget } from '../mcp/target.js';
import { targetFromOptions } from '../mcp/target-options.js';
import { ProtocolInput } from './era.js';

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable, like MCP_TOKEN');

/** Zod raw shape of the target fields, spread into each verb's input schema. */
export const TargetInput = {
  url: z
    .string()
    .min(1)
    .optional()
    .describe('The MCP server endpoint, e.g. "https://mcp.example.com/mcp". Give this or `command`.'),
  bearer_token_env: EnvName.optional().describe(
    'NAME of an env var (in the mcptest mcp-server process) holding a bearer token. Never pass the token itself. Omit to use a cached login for the URL.',
  ),
  client_id: z
    .string()
    .min(1)
    .optional()
    .describe('OAuth client credentials: the client id. The mcptest daemon mints and caches the token.'),
  client_secret_env: EnvName.optional().describe(
    'Client credentials: NAME of the env var (in the mcp-server process) holding the client secret.',
  ),
  token_url: z
    .string()
    .min(1)
    .optional()
    .describe('Client credentials: token endpoint; discovered when omitted.'),
  scope: z.string().min(1).optional().describe('Client credentials: space-separated scopes to request.'),
  resource: z
    .string()
    .min(1)
    .optional()
    .describe('Client credentials: RFC 8707 resource; the server URL by default.'),
  command: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A stdio MCP server to spawn instead of `url` (no auth). Its environment is PATH, HOME, USER, LOGNAME, SHELL, TERM, LANG/LC_*, TZ and TMPDIR of the mcp-server process plus the variables named in its --allow-env; nothing else (no MCPTEST_*, no NODE_OPTIONS, no other credentials).',
    ),
  args: z.array(z.string()).optional().describe('Arguments for `command`.'),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe('Extra non-secret HTTP headers. Authorization is refused: name an env var instead.'),
  timeout_seconds: z.number().positive().max(3600).optional().describe('Per-request limit; 30 by default.'),
  protocol: ProtocolInput,
};

export type TargetArgs = {
  url?: string;
  bearer_token_env?: string;
  client_id?: string;
  client_secret_env?: string;
  token_url?: string;
  scope?: string;
  resource?: string;
  command?: string;
  args?: string[];
  headers?: Record<string, string>;
  timeout_seconds?: number;
  protocol?: ServerTarget['protocol'];
};

/** Builds the connection target; the same checks as the CLI flags, named by field. */
export function toServerTarget(input: TargetArgs): ServerTarget {
  if (!input.url === !input.command) {
    throw new McptestError('invalid_request', 'give exactly one of `url` or `command`', {
      hint: '{ "url": "https://mcp.example.com/mcp", "bearer_token_env": "MCP_TOKEN" }',
    });
  }
  if (input.command && (input.bearer_token_env || input.client_id)) {
    throw new McptestError('invalid_request', 'stdio servers (`command`) take no credentials fields', {
      hint: 'drop bearer_token_env / client_id, or use url',
    });
  }
  if (input.bearer_token_env && input.client_id) {
    throw new McptestError(
      'invalid_request',
      '`bearer_token_env` and `client_id` are two auth sources; give one of them',
    );
  }
  return targetFromOptions({
    url: input.url,
    command: input.command,
    arg: input.args,
    bearerTokenEnv: input.bearer_token_env,
    clientId: input.client_id,
    clientSecretEnv: input.client_secret_env,
    tokenUrl: input.token_url,
    scope: input.scope,
    resource: input.resource,
    header: input.headers ? Object.entries(input.headers).map(([k, v]) => `${k}: ${v}`) : undefined,
    timeout: String(input.timeout_seconds ?? 30),
    protocol: input.protocol,
  });
}
