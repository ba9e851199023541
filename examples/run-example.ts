/**
 * `npm run example`: the README's main command. Starts the example IdP and OAuth-protected MCP
 * server in this process, then runs the real CLI (`mcptest run examples/suites/example.yaml`)
 * as a child process with a private MCPTEST_HOME, the server URL in EXAMPLE_MCP_URL and the
 * client secret in EXAMPLE_CLIENT_SECRET. Prints the report, stops the private daemon, cleans
 * up, and exits with the run's exit code. Extra arguments go to `mcptest run`
 * (e.g. `npm run example -- --reporter junit`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExampleEra } from './oauth-server/mcp-server.js';
import { EXAMPLE_SECRET_ENV, startExample } from './oauth-server/start-example.js';

const ERA_NOTE: Record<ExampleEra, string> = {
  dual: 'dual-era: 2026-07-28 and 2025 clients',
  modern: '2026-07-28 clients only',
  legacy: '2025 clients only',
};

const CLI = fileURLToPath(new URL('../cli/bin.cjs', import.meta.url));
/** The suite is YAML, not compiled: read it from the source tree beside dist/. */
const SUITE = fileURLToPath(new URL('../../examples/suites/example.yaml', import.meta.url));

function runCli(args: string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'ignore'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio });
    const forward = () => child.kill('SIGINT');
    process.once('SIGINT', forward);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      process.off('SIGINT', forward);
      resolve(code ?? (signal ? 130 : 1));
    });
  });
}

async function main(): Promise<number> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptest-example-'));
  // A demo secret made up for this run; CI would export a real one instead.
  const secret = process.env[EXAMPLE_SECRET_ENV] || randomBytes(24).toString('base64url');
  const example = await startExample({ clientSecret: secret });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MCPTEST_HOME: home,
    MCPTEST_SOCKET: path.join(home, 'run', 'authd.sock'),
    EXAMPLE_MCP_URL: example.mcp.url,
    EXAMPLE_TOKEN_URL: example.idp.tokenEndpoint,
    [EXAMPLE_SECRET_ENV]: secret,
  };
  process.stderr.write(
    `example IdP at ${example.idp.issuer}, MCP server at ${example.mcp.url} (${ERA_NOTE[example.mcp.era]}); ` +
      `private MCPTEST_HOME ${home}\n\n`,
  );
  try {
    return await runCli(['run', SUITE, ...process.argv.slice(2)], env, 'inherit');
  } finally {
    await runCli(['daemon', 'stop'], env, 'ignore').catch(() => undefined);
    await example.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
