#!/usr/bin/env node
/**
 * mcptest as the client of the MCP conformance suite (`conformance client --command ...`).
 * Usage: node scripts/conformance/client.mjs <server-url>
 *
 * Runs the real CLI with a private MCPTEST_HOME (its own daemon), as a user would:
 * - client-credentials scenarios: `mcptest tools --url URL --client-id ... --client-secret-env ...`
 *   (or `--auth-method private_key_jwt --private-key-file ...`);
 * - other `auth/` scenarios: `mcptest login URL` with $BROWSER set to a stand-in that follows the
 *   authorization URL and delivers the redirect to the loopback listener, then `mcptest tools --url
 *   URL` and a `mcptest call` of the first tool. The CLI steps up by itself on a 403
 *   insufficient_scope (it opens $BROWSER); when a command fails with another error that names a
 *   `mcptest login URL` command (a server whose authorization server changed), the wrapper runs it
 *   (at most twice) and tries again, as a human would;
 * - every other scenario (no auth): `mcptest tools --url URL --json`, then a `mcptest call` of each
 *   tool with arguments made from its input schema (see `argsFor`), or of the calls the scenario's
 *   context names (`toolCalls`).
 * Reads MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT (client id/secret/key as JSON) and
 * MCP_CONFORMANCE_PROTOCOL_VERSION (the revision a scenario runs at, passed on as `--protocol`);
 * a form the server asks for during a call is accepted with every field at its default.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../dist/cli/main.js');
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const MAX_RELOGINS = 2;
const MAX_TOOLS = 8;
/** Each CLI command's limit: under the scenario's (run.sh: 300 s), generous for a loaded machine. */
const COMMAND_TIMEOUT_MS = 240_000;
/** How long a login waits for the stand-in browser, in seconds (`mcptest login --timeout`). */
const LOGIN_WAIT = '200';

const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}');
/** The era a scenario runs at, pinned on every command that talks to the server. */
const protocol = process.env.MCP_CONFORMANCE_PROTOCOL_VERSION
  ? ['--protocol', process.env.MCP_CONFORMANCE_PROTOCOL_VERSION]
  : [];
/** What a human answers a form the server asks for: accept, leaving each field at its default. */
const ANSWERS = ['--answer', 'elicitation={"action":"accept","content":{}}'];

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-conf-'));
const browser = path.join(home, 'browser.sh');
fs.writeFileSync(
  browser,
  `#!/bin/sh\nexec "${process.execPath}" "${path.join(here, 'browser.mjs')}" "$@"\n`,
  {
    mode: 0o755,
  },
);
const env = {
  ...process.env,
  MCPTEST_HOME: home,
  MCPTEST_SOCKET: path.join(home, 'authd.sock'),
  BROWSER: browser,
  NO_COLOR: '1',
  // The suite serves every scenario's mock servers from one process: on a loaded machine its
  // answers can take longer than the daemon's default 10 s for a request to an IdP.
  MCPTEST_IDP_TIMEOUT_MS: '60000',
};

/**
 * A connection the suite's mock servers reset or closed under load (they all run in one process):
 * not a verdict on mcptest, which reports it as it should; the command is run once more.
 */
const CONNECTION_DROPPED = /\((ECONNRESET|EPIPE|UND_ERR_SOCKET)\)|fetch failed|other side closed/;

function mcptest(args, extraEnv = {}, attempt = 1) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: COMMAND_TIMEOUT_MS,
  });
  process.stderr.write(`$ mcptest ${args.join(' ')} -> exit ${r.status}\n${r.stderr}`);
  if (r.status !== 0 && attempt === 1 && CONNECTION_DROPPED.test(r.stderr ?? '')) {
    process.stderr.write('(the connection was dropped: once more)\n');
    return mcptest(args, extraEnv, 2);
  }
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The tools `mcptest tools --json` lists (name and input schema). */
function listTools(targetArgs) {
  const tools = mcptest(['tools', ...targetArgs, ...protocol, '--json']);
  if (tools.code !== 0) return { ...tools, tools: [] };
  try {
    const parsed = JSON.parse(tools.stdout);
    const list = Array.isArray(parsed) ? parsed : (parsed.tools ?? []);
    return { ...tools, tools: list.filter((t) => typeof t?.name === 'string') };
  } catch {
    return { ...tools, tools: [] };
  }
}

/** A value a schema accepts, for a tool call a human would make from `mcptest tools`. */
function sample(schema) {
  if (!schema || typeof schema !== 'object') return 'x';
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleArgs(schema);
    default:
      return 'x';
  }
}

/** Arguments for every required property of an input schema. */
function sampleArgs(schema) {
  const args = {};
  const props = schema?.properties ?? {};
  for (const name of Array.isArray(schema?.required) ? schema.required : []) args[name] = sample(props[name]);
  return args;
}

/**
 * The `mcptest login ...` command an error names, as arguments (with the wrapper's own flags). Not
 * after a 403 insufficient_scope: with $BROWSER set the CLI steps up by itself, and its error
 * then means it reached its own limit.
 */
function loginCommand(stderr, loginExtra) {
  if (/insufficient_scope/.test(stderr)) return null;
  const m = /mcptest login (\S+)(?: --scope "([^"]+)")?/.exec(stderr);
  if (!m) return null;
  const scope = m[2] ? ['--scope', m[2]] : [];
  return [
    'login',
    serverUrl,
    ...scope,
    '--timeout',
    LOGIN_WAIT,
    '--client-metadata-url',
    CIMD_URL,
    ...loginExtra,
  ];
}

/** Runs `args`; when it fails naming a login command, runs that login and tries again. */
function withRelogin(run, loginExtra, extraEnv) {
  let result = run();
  for (let i = 0; i < MAX_RELOGINS && result.code !== 0; i++) {
    const login = loginCommand(result.stderr, loginExtra);
    if (!login || mcptest(login, extraEnv).code !== 0) break;
    result = run();
  }
  return result;
}

function clientCredentials() {
  const args = ['--url', serverUrl, '--client-id', context.client_id];
  const extra = {};
  if (context.private_key_pem) {
    const key = path.join(home, 'key.pem');
    fs.writeFileSync(key, context.private_key_pem, { mode: 0o600 });
    args.push('--auth-method', 'private_key_jwt', '--private-key-file', key);
  } else {
    extra.CONFORMANCE_CLIENT_SECRET = context.client_secret;
    args.push('--client-secret-env', 'CONFORMANCE_CLIENT_SECRET');
  }
  return mcptest(['tools', ...args, ...protocol], extra).code;
}

function loginThenCall() {
  const loginExtra = [];
  const extra = {};
  if (context.client_id) {
    loginExtra.push('--client-id', context.client_id);
    if (context.client_secret) {
      extra.CONFORMANCE_CLIENT_SECRET = context.client_secret;
      loginExtra.push('--client-secret-env', 'CONFORMANCE_CLIENT_SECRET');
    }
  }
  const login = mcptest(
    ['login', serverUrl, '--timeout', LOGIN_WAIT, '--client-metadata-url', CIMD_URL, ...loginExtra],
    extra,
  );
  if (login.code !== 0) return login.code;
  const listed = withRelogin(() => listTools(['--url', serverUrl]), loginExtra, extra);
  if (listed.code !== 0 || listed.tools.length === 0) return listed.code;
  const tool = listed.tools[0];
  const args = JSON.stringify(sampleArgs(tool.inputSchema));
  return withRelogin(
    () => mcptest(['call', '--url', serverUrl, ...protocol, tool.name, '--args', args]),
    loginExtra,
    extra,
  ).code;
}

/**
 * A tool's arguments: made from its schema; a tool that echoes a schema (json-schema-2020-12-
 * preservation) gets the input schema of the other tool exactly as `mcptest tools --json` showed it.
 */
function argsFor(tool, tools) {
  if (tool.name === 'json_schema_echo') {
    const focal = tools.find((t) => t.name !== tool.name);
    if (focal) return { schema: focal.inputSchema };
  }
  return sampleArgs(tool.inputSchema);
}

function toolsThenCalls() {
  const listed = listTools(['--url', serverUrl]);
  if (listed.code !== 0) return listed.code;
  // A scenario may name the calls to make (`toolCalls` in its context), with their arguments.
  const calls = Array.isArray(context.toolCalls)
    ? context.toolCalls.map((c) => ({ name: c.name, args: c.arguments ?? {} }))
    : listed.tools.slice(0, MAX_TOOLS).map((t) => ({ name: t.name, args: argsFor(t, listed.tools) }));
  let code = 0;
  for (const tool of calls) {
    const args = JSON.stringify(tool.args);
    const call = mcptest(['call', '--url', serverUrl, ...protocol, ...ANSWERS, tool.name, '--args', args]);
    if (call.code !== 0) code = call.code;
  }
  return code;
}

let code = 0;
try {
  if (scenario.startsWith('auth/client-credentials')) code = clientCredentials();
  else if (scenario.startsWith('auth/')) code = loginThenCall();
  else code = toolsThenCalls();
} finally {
  // Only logins and client credentials start a daemon; the others leave nothing to stop.
  if (fs.existsSync(env.MCPTEST_SOCKET)) mcptest(['daemon', 'stop']);
  fs.rmSync(home, { recursive: true, force: true });
}
process.exit(code);
