#!/usr/bin/env node
/**
 * mcptest as the client of the MCP conformance suite (`conformance client --command ...`).
 * Usage: node scripts/conformance/client.mjs <server-url>
 *
 * Runs the real CLI with a private MCPTEST_HOME (its own daemon), as a user would:
 * - client-credentials scenarios: `mcptest tools --url URL --client-id ... --client-secret-env ...`
 *   (or `--auth-method private_key_jwt --private-key-file ...`);
 * - every other scenario: `mcptest login URL` with $BROWSER set to a stand-in that follows the
 *   authorization URL and delivers the redirect to the loopback listener, then `mcptest tools --url
 *   URL` and a `mcptest call` of the first tool. On a 403 insufficient_scope the call's error names
 *   the exact `mcptest login URL --scope "..."` command; the wrapper runs it (at most twice) and
 *   calls again, as a human would.
 * Reads MCP_CONFORMANCE_SCENARIO and MCP_CONFORMANCE_CONTEXT (client id/secret/key as JSON).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../dist/cli/main.js');
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const MAX_STEP_UPS = 2;

const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}');

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
};

function mcptest(args, extraEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 25_000,
  });
  process.stderr.write(`$ mcptest ${args.join(' ')} -> exit ${r.status}\n${r.stderr}`);
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function firstTool(targetArgs) {
  const tools = mcptest(['tools', ...targetArgs, '--json']);
  if (tools.code !== 0) return { code: tools.code, tool: undefined };
  try {
    const parsed = JSON.parse(tools.stdout);
    const list = Array.isArray(parsed) ? parsed : (parsed.tools ?? []);
    return { code: 0, tool: list[0]?.name };
  } catch {
    return { code: 0, tool: undefined };
  }
}

/** The `mcptest login ... --scope "..."` command a step-up error names, split into arguments. */
function stepUpCommand(stderr) {
  const m = /mcptest (login \S+ --scope "([^"]+)")/.exec(stderr);
  return m ? ['login', serverUrl, '--scope', m[2], '--client-metadata-url', CIMD_URL] : null;
}

let code = 0;
try {
  if (scenario.startsWith('auth/client-credentials')) {
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
    code = mcptest(['tools', ...args], extra).code;
  } else {
    const loginArgs = ['login', serverUrl, '--timeout', '20', '--client-metadata-url', CIMD_URL];
    const extra = {};
    if (context.client_id) {
      loginArgs.push('--client-id', context.client_id);
      if (context.client_secret) {
        extra.CONFORMANCE_CLIENT_SECRET = context.client_secret;
        loginArgs.push('--client-secret-env', 'CONFORMANCE_CLIENT_SECRET');
      }
    }
    code = mcptest(loginArgs, extra).code;
    if (code === 0) {
      const { code: listed, tool } = firstTool(['--url', serverUrl]);
      code = listed;
      if (code === 0 && tool) {
        let call = mcptest(['call', '--url', serverUrl, tool, '--args', '{}']);
        for (let i = 0; i < MAX_STEP_UPS && call.code !== 0; i++) {
          const stepUp = stepUpCommand(call.stderr);
          if (!stepUp) break;
          if (mcptest(stepUp, extra).code !== 0) break;
          call = mcptest(['call', '--url', serverUrl, tool, '--args', '{}']);
        }
        code = call.code;
      }
    }
  }
} finally {
  mcptest(['daemon', 'stop']);
  fs.rmSync(home, { recursive: true, force: true });
}
process.exit(code);
