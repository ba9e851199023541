/**
 * `.env` in the working folder, kept out of the process environment. Its values fill in only the
 * variables a suite or a flag names (`bearer_token_env`, `client_secret_env`, `private_key_env`,
 * `${VAR}` in a suite, `--client-secret-env`), and never a variable that says how mcptest or the
 * runtime runs: a cloned repository's `.env` with `NODE_OPTIONS=--require ./evil.cjs` or
 * `MCPTEST_SOCKET=/tmp/fake.sock` must not run code in, or redirect, the daemon that holds every
 * refresh token. Nothing here writes to `process.env`, so nothing a CLI process spawns (the
 * daemon, a stdio server, a browser) inherits a value from `.env`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Names `.env` may never set: mcptest's own settings and those of the runtime, the loader, the
 * shell, TLS, proxies and the session (taken from the real environment only).
 */
const NEVER_FROM_FILE =
  /^(MCPTEST_\w*|NODE_\w*|NPM_\w*|UV_\w*|LD_\w*|DYLD_\w*|PATH|HOME|USER|LOGNAME|SHELL|PWD|TMPDIR|TEMP|TMP|XDG_\w*|SSL_CERT_(FILE|DIR)|OPENSSL_\w*|(HTTPS?|NO|ALL)_PROXY|BROWSER|DISPLAY|WAYLAND_DISPLAY|DBUS_\w*|LISTEN_\w*|SYSTEMD_\w*|INVOCATION_ID)$/i;

/** True when `.env` may supply `name` (it is neither mcptest's setting nor the runtime's). */
export function fileMaySet(name: string): boolean {
  return !NEVER_FROM_FILE.test(name);
}

/** The variables of `<cwd>/.env` (empty when there is none); `warn` hears why a file was not read. */
export function readEnvFile(cwd: string, warn: (text: string) => void): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cwd, '.env'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      warn(`warning: could not read .env: ${(err as Error).message}\n`);
    }
    return {};
  }
  // node:util is loaded only when there is a .env to parse: it costs every other start-up.
  const { parseEnv } = require('node:util') as typeof import('node:util');
  return parseEnv(text) as Record<string, string>;
}

/**
 * The variables a suite or flag may name: this process's environment, then `.env` for a name
 * the environment does not set and the file may set. A name only `.env` sets but may not set
 * (NODE_OPTIONS, MCPTEST_SOCKET, PATH, ...) reads as unset, and `warn` says so once, naming the
 * variable, never its value. A copy: later changes to `env` are not seen.
 */
export function namedVariables(
  env: NodeJS.ProcessEnv,
  file: Record<string, string>,
  warn: (text: string) => void,
): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = {};
  const refused = new Set<string>();
  for (const [name, value] of Object.entries(file)) {
    if (env[name] !== undefined) continue;
    if (fileMaySet(name)) vars[name] = value;
    else refused.add(name);
  }
  Object.assign(vars, env);
  if (refused.size === 0) return vars;
  const warned = new Set<string>();
  // A Proxy only so that the warning comes when a suite or flag names such a variable, not
  // whenever a .env happens to hold one (NODE_ENV is in many).
  return new Proxy(vars, {
    get(target, name) {
      if (typeof name === 'string' && refused.has(name) && !warned.has(name)) {
        warned.add(name);
        warn(
          `warning: ${name} is set in .env but not in the environment; mcptest never takes ${name} from .env (it configures mcptest or the runtime). Export it in the shell if you mean it.\n`,
        );
      }
      return Reflect.get(target, name);
    },
  });
}
