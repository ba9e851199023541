/**
 * The flags that name a server and its credentials, defined once for every command that talks
 * to a server (tools, call, doctor, run, scaffold): `--url`, `--bearer-token-env`, the client
 * credentials flags, the stdio flags and `--protocol`. Typed against the small part of a
 * commander `Command` it uses, so the connection layer does not depend on the command line.
 */
import { McptestError } from '../../shared/errors.js';
import type { ProtocolChoice, ServerTarget } from './target.js';

/** The part of commander's `Command` the flags are added with. */
export interface OptionHost {
  option(flags: string, description?: string, defaultValue?: string): this;
  option<T>(
    flags: string,
    description: string,
    parse: (value: string, previous: T) => T,
    defaultValue?: T,
  ): this;
}

/** Every `--protocol` choice, in the order `--help` lists them. */
export const PROTOCOL_CHOICES = [
  'auto',
  '2026-07-28',
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
] as const satisfies readonly ProtocolChoice[];

/** A `--protocol` value (or a suite's `protocol:`) checked against the choices. */
export function parseProtocolChoice(value: string | undefined, flag = '--protocol'): ProtocolChoice {
  if (value === undefined) return 'auto';
  if ((PROTOCOL_CHOICES as readonly string[]).includes(value)) return value as ProtocolChoice;
  throw new McptestError(
    'invalid_request',
    `${flag} takes one of ${PROTOCOL_CHOICES.join(', ')}, not ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`,
    { hint: `${flag} auto (the modern 2026-07-28 era when the server offers it, else the 2025 handshake)` },
  );
}

export interface TargetFlags {
  url?: string;
  bearerTokenEnv?: string;
  clientId?: string;
  clientSecretEnv?: string;
  tokenUrl?: string;
  scope?: string;
  resource?: string;
  authMethod?: string;
  privateKeyFile?: string;
  privateKeyEnv?: string;
  command?: string;
  arg?: string[];
  env?: string[];
  header?: string[];
  timeout?: string;
  protocol?: string;
}

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const HEADER_FLAG = '--header <name:value>';
const HEADER_HELP = 'an extra non-secret HTTP header (repeatable)';

/** Adds the server and credential flags to `cmd`. */
export function addTargetOptions<C extends OptionHost>(cmd: C): C {
  return addCredentialOptions(
    cmd.option('--url <url>', 'the MCP server endpoint (Streamable HTTP; legacy HTTP+SSE is tried too)'),
  )
    .option(
      '--command <cmd>',
      'run a stdio MCP server instead of --url (no auth): a program, or a whole command line such as "node server.js"',
    )
    .option('--arg <arg>', 'an argument for --command (repeat for several)', collect)
    .option(
      '--env <KEY[=VALUE]>',
      "a variable for the --command server (repeatable): KEY=VALUE sets it, KEY alone passes this process's KEY",
      collect,
    )
    .option(HEADER_FLAG, HEADER_HELP, collect)
    .option('--timeout <seconds>', 'give up on a request after this many seconds', '30')
    .option(
      '--protocol <version>',
      `the MCP revision to speak: ${PROTOCOL_CHOICES.join(' | ')}; auto (the default) uses 2026-07-28 when the server offers it, a version pins exactly that one`,
    );
}

/** The flags of {@link addTargetOptions} that a forwarder (`bridge`, `proxy`) cannot honour. */
const FORWARDER_UNUSED = ['--command', '--arg', '--env', '--timeout', '--protocol'];

/**
 * Hides from `--help` the stdio, timeout and era flags of {@link addTargetOptions} on a command
 * that forwards whatever its host sends to an HTTP server: they stay parsed, so the command can
 * refuse them by name, but the help no longer offers them.
 */
export function hideForwarderOptions(cmd: {
  options: readonly { long?: string; hideHelp(): unknown }[];
}): void {
  for (const option of cmd.options) if (FORWARDER_UNUSED.includes(option.long ?? '')) option.hideHelp();
}

/** The `--header` flag alone, for commands that take an HTTP server only (`conformance`). */
export function addHeaderOption<C extends OptionHost>(cmd: C): C {
  return cmd.option(HEADER_FLAG, HEADER_HELP, collect);
}

/** The credential flags alone (a bearer token's env var, client credentials). */
export function addCredentialOptions<C extends OptionHost>(cmd: C): C {
  return cmd
    .option(
      '--bearer-token-env <VAR>',
      'name of the env var holding a bearer token (the value is never printed)',
    )
    .option(
      '--client-id <id>',
      'OAuth client credentials: the client id (the daemon mints and caches tokens)',
    )
    .option('--client-secret-env <VAR>', 'client credentials: name of the env var holding the client secret')
    .option(
      '--token-url <url>',
      'client credentials: the token endpoint (discovered from the server when omitted)',
    )
    .option('--scope <scopes>', 'client credentials: space-separated scopes to request')
    .option('--resource <url>', 'client credentials: RFC 8707 resource (default: the server URL)')
    .option('--auth-method <method>', `client credentials: ${AUTH_METHODS.join(' | ')}`)
    .option('--private-key-file <path>', 'client credentials with private_key_jwt: PKCS#8 PEM key file')
    .option(
      '--private-key-env <VAR>',
      'client credentials with private_key_jwt: env var holding the PEM key',
    );
}

/**
 * Refuses flags naming no server or two (`--url` and `--command`), with `example` (the
 * command's own invocation) as the hint.
 */
export function requireOneTarget(
  flags: TargetFlags,
  example = 'mcptest tools --url https://mcp.example.com/mcp --bearer-token-env MCP_TOKEN',
): void {
  if (!flags.url === !flags.command) {
    throw new McptestError('invalid_request', 'give exactly one of --url URL or --command CMD', {
      hint: example,
    });
  }
}

/** Builds a ServerTarget from parsed flags, rejecting contradictory or malformed ones. */
export function targetFromOptions(flags: TargetFlags): ServerTarget {
  requireOneTarget(flags);
  const timeout = Number(flags.timeout ?? '30');
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) {
    throw new McptestError('invalid_request', `--timeout takes seconds from 1 to 3600, not ${flags.timeout}`);
  }
  const target: ServerTarget = { timeoutMs: Math.round(timeout * 1000) };
  const protocol = parseProtocolChoice(flags.protocol);
  if (protocol !== 'auto') target.protocol = protocol;
  if (flags.command) {
    if (flags.bearerTokenEnv || flags.clientId) {
      throw new McptestError('invalid_request', 'stdio servers (--command) take no credentials flags', {
        hint: 'drop --bearer-token-env / --client-id, or use --url',
      });
    }
    target.command = flags.command;
    target.args = flags.arg ?? [];
    for (const entry of flags.env ?? []) {
      const at = entry.indexOf('=');
      const name = at < 0 ? entry : entry.slice(0, at);
      if (!ENV_NAME.test(name)) {
        throw new McptestError(
          'invalid_request',
          `--env takes KEY=VALUE or KEY, not ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)}`,
          { hint: '--env API_BASE=http://127.0.0.1:9000 --env HOME2' },
        );
      }
      if (at < 0) target.passEnv = [...(target.passEnv ?? []), name];
      else target.env = { ...target.env, [name]: entry.slice(at + 1) };
    }
    return target;
  }
  if (flags.arg?.length) {
    throw new McptestError('invalid_request', '--arg goes with --command, not --url');
  }
  if (flags.env?.length) {
    throw new McptestError(
      'invalid_request',
      '--env goes with --command: a server at --url has its own environment',
    );
  }
  target.url = flags.url;
  if (flags.header?.length) {
    target.headers = {};
    for (const h of flags.header) {
      const at = h.indexOf(':');
      if (at <= 0)
        throw new McptestError('invalid_request', `--header takes name:value, not ${JSON.stringify(h)}`);
      const name = h.slice(0, at).trim();
      if (name.toLowerCase() === 'authorization') {
        throw new McptestError(
          'invalid_request',
          'tokens do not go in --header; name their env var instead',
          {
            hint: `mcptest tools --url ${flags.url} --bearer-token-env MCP_TOKEN`,
          },
        );
      }
      target.headers[name] = h.slice(at + 1).trim();
    }
  }
  for (const [flag, value] of [
    ['--bearer-token-env', flags.bearerTokenEnv],
    ['--client-secret-env', flags.clientSecretEnv],
    ['--private-key-env', flags.privateKeyEnv],
  ] as const) {
    if (value !== undefined && !ENV_NAME.test(value)) {
      throw new McptestError(
        'invalid_request',
        `${flag} takes the NAME of an env var, not ${describe(value)}`,
        {
          hint: `export MCP_TOKEN=...; then pass ${flag} MCP_TOKEN`,
        },
      );
    }
  }
  if (flags.bearerTokenEnv && flags.clientId) {
    throw new McptestError(
      'invalid_request',
      '--bearer-token-env and --client-id are two auth sources; pick one',
    );
  }
  if (flags.bearerTokenEnv) target.bearerTokenEnv = flags.bearerTokenEnv;
  const ccOnly = {
    clientSecretEnv: flags.clientSecretEnv,
    tokenUrl: flags.tokenUrl,
    scope: flags.scope,
    authMethod: flags.authMethod,
    privateKeyFile: flags.privateKeyFile,
    privateKeyEnv: flags.privateKeyEnv,
  };
  if (!flags.clientId) {
    const stray = Object.entries(ccOnly).find(([, v]) => v !== undefined);
    if (stray) {
      throw new McptestError(
        'invalid_request',
        `client credentials flags need --client-id (got --${kebab(stray[0])})`,
        {
          hint: `mcptest tools --url ${flags.url} --client-id ID --client-secret-env CLIENT_SECRET`,
        },
      );
    }
    return target;
  }
  if (flags.authMethod && !(AUTH_METHODS as readonly string[]).includes(flags.authMethod)) {
    throw new McptestError(
      'invalid_request',
      `--auth-method takes ${AUTH_METHODS.join(', ')}, not ${flags.authMethod}`,
    );
  }
  target.oauth = {
    grant: 'client_credentials',
    clientId: flags.clientId,
    clientSecretEnv: flags.clientSecretEnv,
    tokenUrl: flags.tokenUrl,
    scope: flags.scope,
    resource: flags.resource,
    authMethod: flags.authMethod as (typeof AUTH_METHODS)[number] | undefined,
    privateKeyFile: flags.privateKeyFile,
    privateKeyEnv: flags.privateKeyEnv,
  };
  return target;
}

/** Never echo a value that may be a secret pasted by mistake: say only its shape. */
function describe(value: string): string {
  return `a ${value.length}-character value that is no env var name (not shown, in case it is a secret)`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
