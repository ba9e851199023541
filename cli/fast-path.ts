/**
 * The verbs that other programs run many times a minute, served without building the command
 * tree: `mcptest --version`, `mcptest auth token` and `mcptest auth headers` (a host runs the
 * headers helper on every connection), `mcptest daemon run` as a client spawns it, and the plain
 * `mcptest tools --url URL --bearer-token-env VAR` against a modern server (fast-tools.ts). A token comes in one round trip
 * (`client/one-shot-token.ts`); when no daemon answers, the usual start (`ensureDaemon`) runs and
 * the request is made again.
 *
 * Only plain invocations are taken here: any flag or form this parser does not know (`--help`,
 * a bad value, a second URL) returns null and the full CLI handles it, with its messages. Output
 * and errors are those of the full commands (the same printers, the same exit codes).
 */
import fs from 'node:fs';
import { ExitCode } from '../shared/errors.js';
import type { TokenResponse } from '../shared/ipc-schemas.js';
import { VERSION } from '../shared/version.js';
import type { TokenFormat } from './commands/auth/token-output.js';

// The full commands' constants, repeated so that loading this file loads nothing of theirs
// (a test holds them equal).
/** The server URL a host names in the environment (`auth headers`' fallback). */
export const FAST_HOST_SERVER_URL_VAR = 'CLAUDE_CODE_MCP_SERVER_URL';
export const FAST_TOKEN_FORMATS: readonly string[] = ['raw', 'json', 'env', 'exec-credential'];
/** The lifetime `auth headers` asks of a token. */
export const FAST_HEADERS_MIN_TTL = 60;

interface TokenVerb {
  verb: 'token' | 'headers';
  serverUrl: string;
  minTtlSeconds: number;
  format: TokenFormat;
  envVar: string;
}

/** What the fast path does for `argv`, or null to leave it to the full CLI. */
export async function fastPath(argv: readonly string[]): Promise<number | null> {
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    writeOut(1, `${VERSION}\n`);
    return ExitCode.ok;
  }
  if (argv[2] === 'daemon' && argv[3] === 'run') return runDaemon(argv.slice(4));
  if (argv[2] === 'tools') {
    const { fastTools } = await import('./fast-tools.js');
    return fastTools(argv.slice(3));
  }
  if (argv[2] !== 'auth' || (argv[3] !== 'token' && argv[3] !== 'headers')) return null;
  const { assertSecureUrl, canonicalServerUrl } = await import('./token-path.js');
  // A URL that may not carry a token (plain http off loopback) goes to the full CLI, which refuses it.
  const secureCanonical = (url: string) => {
    assertSecureUrl(url, 'server URL');
    return canonicalServerUrl(url);
  };
  const parsed = parseTokenVerb(argv[3], argv.slice(4), process.env, secureCanonical);
  return parsed ? serveToken(parsed) : null;
}

/**
 * `mcptest daemon run` as a client spawns it (`--json-errors`) or systemd starts it (no flag):
 * the daemon starts without the command tree. Other flags go to the full command.
 */
async function runDaemon(args: readonly string[]): Promise<number | null> {
  if (args.length > 1 || (args.length === 1 && args[0] !== '--json-errors')) return null;
  const { runDaemonCommand } = await import('./commands/daemon-run.js');
  // A daemon outlives whoever read its stderr: a closed pipe there must not stop it.
  process.stderr.on('error', () => undefined);
  const stderr = (text: string) => process.stderr.write(text);
  try {
    await runDaemonCommand({ env: process.env, stderr }, { jsonErrors: args.length === 1 });
    return ExitCode.ok;
  } catch (err) {
    const { reportError, processIo } = await import('./io.js');
    return reportError(processIo(new AbortController().signal), err);
  }
}

/** The flags of `auth token` / `auth headers`, as the full commands read them; null for anything else. */
export function parseTokenVerb(
  verb: 'token' | 'headers',
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  canonicalServerUrl: (url: string) => string,
): TokenVerb | null {
  const values: Record<string, string> = {};
  const valued = verb === 'token' ? ['--url', '--min-ttl', '--format', '--env-var'] : ['--url'];
  let positional: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (valued.includes(name)) {
      const value = name === arg ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || name in values) return null;
      values[name] = value;
    } else if (!arg.startsWith('-') && positional === undefined) positional = arg;
    else return null;
  }
  const flag = values['--url'];
  if (positional !== undefined && flag !== undefined && positional !== flag) return null;
  const fallback = verb === 'headers' ? env[FAST_HOST_SERVER_URL_VAR] || undefined : undefined;
  const url = positional ?? flag ?? fallback;
  if (url === undefined) return null;
  let serverUrl: string;
  try {
    serverUrl = canonicalServerUrl(url);
  } catch {
    return null;
  }
  const minTtl = verb === 'headers' ? FAST_HEADERS_MIN_TTL : Number(values['--min-ttl'] ?? '60');
  if (!Number.isInteger(minTtl) || minTtl < 0 || minTtl > 86400) return null;
  const format = values['--format'] ?? 'raw';
  if (!FAST_TOKEN_FORMATS.includes(format)) return null;
  const envVar = values['--env-var'] ?? 'MCP_TOKEN';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envVar)) return null;
  return { verb, serverUrl, minTtlSeconds: minTtl, format: format as TokenFormat, envVar };
}

/** The token answer, or the error the full command would report; null to hand over. */
async function serveToken(opts: TokenVerb): Promise<number | null> {
  const { oneShotToken, resolvePaths } = await import('./token-path.js');
  const env = process.env;
  const paths = resolvePaths(env);
  const request = { serverUrl: opts.serverUrl, minTtlSeconds: opts.minTtlSeconds };
  // Hosts give a headers helper 10 s; `auth token` waits as long as a refresh may take.
  const timeoutMs = opts.verb === 'headers' ? 8_000 : 120_000;
  let answer = await oneShotToken(paths, paths.socketPath, request, timeoutMs);
  if (answer.kind === 'unsure' && answer.noDaemon) {
    // Nobody listens: start the daemon the usual way (one start however many processes race,
    // or the store's daemon on another socket), then ask once more.
    let socketPath: string;
    try {
      const { ensureDaemon } = await import('../client/ensure-daemon.js');
      const client = await ensureDaemon({ env });
      socketPath = client.socketPath;
      await client.close();
    } catch (err) {
      return report(opts, err);
    }
    answer = await oneShotToken(paths, socketPath, request, timeoutMs);
  }
  if (answer.kind === 'unsure') return null;
  if (answer.kind === 'refused') return report(opts, answer.error);
  await print(opts, answer.token);
  return ExitCode.ok;
}

async function print(opts: TokenVerb, token: TokenResponse): Promise<void> {
  const io = { stdout: (t: string) => writeOut(1, t), stderr: (t: string) => writeOut(2, t) };
  const { printHeaders, printToken } = await import('./token-path.js');
  if (opts.verb === 'headers') printHeaders(token, io);
  else printToken(token, opts, io);
}

/** Reports `err` as the full command does: one line for a host, or the usual message and hint. */
async function report(opts: TokenVerb, err: unknown): Promise<number> {
  const { processIo } = await import('./io.js');
  const io = processIo(new AbortController().signal);
  if (opts.verb === 'headers') {
    const { reportInOneLine } = await import('./commands/auth/headers.js');
    return reportInOneLine(io, err, opts.serverUrl);
  }
  const { reportError } = await import('./io.js');
  return reportError(io, err, false);
}

/**
 * Writes `text` to file descriptor 1 or 2 at once, without the process.stdout / process.stderr
 * streams, whose set-up on a pipe (a socket object) costs a process more than what it prints
 * here; nothing is left to flush at exit. A closed reader (`mcptest auth token | head -c 10`)
 * ends the process quietly, as in the full CLI; a non-blocking pipe that is full is waited on,
 * as a blocking one would be.
 */
function writeOut(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(ExitCode.ok);
      if (code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
