/**
 * An opt-in limit on which env vars the agent server's verbs may read. Without it, an agent may
 * name any env var of the mcp-server process in `bearer_token_env` (or `client_secret_env`, or
 * `${VAR}` in a suite it writes) and have its value sent to a URL the agent chose. With
 * `--allow-env` (or MCPTEST_AGENT_ALLOW_ENV), verbs see the named vars plus the ones that only
 * say how to run (PATH, HOME, locale, proxies, MCPTEST_*), and nothing else.
 */
import { McptestError } from '../../shared/errors.js';

/** Env vars that say how to run, never a credential: always passed through. */
const OPERATIONAL =
  /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|LANG|LANGUAGE|TERM|TZ|TMPDIR|TEMP|TMP|NO_COLOR|FORCE_COLOR|LC_[A-Z_]+|XDG_[A-Z_]+|MCPTEST_[A-Z_]+|SSL_CERT_(FILE|DIR)|NODE_EXTRA_CA_CERTS|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$/;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The allowed names from `--allow-env` values and MCPTEST_AGENT_ALLOW_ENV, or null when neither is given. */
export function parseAllowEnv(
  flagValues: string[] | undefined,
  fromEnv: string | undefined,
): Set<string> | null {
  const given = [...(flagValues ?? []), ...(fromEnv === undefined ? [] : [fromEnv])];
  if (given.length === 0) return null;
  const names = new Set<string>();
  for (const value of given) {
    for (const name of value.split(/[\s,]+/).filter(Boolean)) {
      if (!NAME.test(name)) {
        throw new McptestError(
          'invalid_request',
          `--allow-env takes env var names, not ${JSON.stringify(name)}`,
          {
            hint: 'mcptest mcp-server --allow-env MCP_TOKEN,MCP_CLIENT_SECRET',
          },
        );
      }
      names.add(name);
    }
  }
  return names;
}

/** The env the verbs see, and the names held back from them (for messages that say why). */
export function restrictEnv(
  env: NodeJS.ProcessEnv,
  allow: ReadonlySet<string>,
): { env: NodeJS.ProcessEnv; withheld: Set<string> } {
  const visible: NodeJS.ProcessEnv = {};
  const withheld = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (allow.has(name) || OPERATIONAL.test(name)) visible[name] = value;
    else withheld.add(name);
  }
  return { env: visible, withheld };
}

/** The sentence for an agent whose verb named an env var the server may not read. */
export function withheldAskHuman(name: string): string {
  return `Please allow the mcptest mcp-server to read the environment variable ${name}: add it to --allow-env (or MCPTEST_AGENT_ALLOW_ENV) in its MCP server config, then restart it.`;
}
