/**
 * Step-up authorization: a server answers 403 `insufficient_scope` to a request made with a
 * cached login token. When a human can approve (a browser and a terminal, or `$BROWSER` set),
 * the daemon starts a fresh browser authorization for the union of the granted and the required
 * scopes (never a refresh, which keeps the old scope), the browser opens, and the connection
 * retries the request once with the new token; at most {@link MAX_STEP_UPS} times per
 * connection. Otherwise (CI, agents) the error names the exact `mcptest login --scope` command.
 * @see MCP authorization spec 2025-11-25 §"Scope Challenge Handling", RFC 6750 §3.1
 */
import fs from 'node:fs';
import path from 'node:path';
import { McptestError } from '../../shared/errors.js';
import type { CliIo } from '../io.js';
import { insufficientScope, stepUpScopes } from './scope-challenge.js';
import type { ConnectIo } from './target.js';

/** Browser approvals one connection may ask for before a server that keeps asking gets the error. */
export const MAX_STEP_UPS = 2;

/** How long a step-up waits for the human to approve in the browser. */
export const STEP_UP_TIMEOUT_SECONDS = 300;

/**
 * `step_up_required`: names the scopes the server requires, the ones granted, and the exact
 * command that asks for their union. `approvals` is how many step-ups this connection already
 * made (the bound was reached when it equals {@link MAX_STEP_UPS}).
 */
export function stepUpRequiredError(
  serverUrl: string,
  wwwAuthenticate: string | null,
  granted: string | null,
  approvals = 0,
): McptestError | null {
  const challenge = insufficientScope(wwwAuthenticate);
  if (!challenge?.required) return null;
  const required = challenge.required;
  const union = stepUpScopes(granted, required);
  const command = `mcptest login ${serverUrl} --scope "${union}"`;
  const has = granted ? ` (the cached login has \`${granted}\`)` : '';
  const after = approvals
    ? ` after ${approvals} approved step-up${approvals === 1 ? '' : 's'} on this connection (mcptest stops at ${MAX_STEP_UPS})`
    : '';
  return new McptestError(
    'step_up_required',
    `HTTP 403 from ${serverUrl}: the cached login lacks permission (insufficient_scope)${after}; the server requires scope \`${required}\`${has}. Approve the wider scope in a browser with: ${command}`,
    {
      hint: command,
      details: {
        serverUrl,
        requiredScope: required,
        grantedScope: granted,
        scope: union,
        approvals,
        wwwAuthenticate,
      },
    },
  );
}

function onPath(env: NodeJS.ProcessEnv, name: string): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** A browser can be opened: `$BROWSER` is set, or `open` (macOS) / `xdg-open` is on PATH. */
export function browserAvailable(env: NodeJS.ProcessEnv): boolean {
  if (env.BROWSER?.trim()) return true;
  return onPath(env, process.platform === 'darwin' ? 'open' : 'xdg-open');
}

/**
 * A human may be asked to approve: stdin or stderr is a terminal, or `$BROWSER` is set
 * explicitly (someone chose what approves). A browser must also be available.
 */
export function humanCanApprove(env: NodeJS.ProcessEnv, tty: { stdin: boolean; stderr: boolean }): boolean {
  const explicit = Boolean(env.BROWSER?.trim());
  return (explicit || tty.stdin || tty.stderr) && browserAvailable(env);
}

/** The connection IO of an interactive CLI command: stderr for messages, step-up allowed when a human can approve. */
export function cliConnectIo(io: CliIo): ConnectIo {
  return {
    env: io.env,
    vars: io.vars,
    cwd: io.cwd,
    signal: io.signal,
    stderr: io.stderr,
    stderrIsTTY: io.stderrIsTTY,
    interactive: humanCanApprove(io.env, { stdin: Boolean(process.stdin.isTTY), stderr: io.stderrIsTTY }),
  };
}

/**
 * Runs one step-up: the daemon starts a browser login carrying the 403's WWW-Authenticate (it
 * asks for the union of the stored scope and the required one), the browser opens, and this
 * waits (countdown on stderr, Ctrl-C cancels) until the human approved. Throws the login's error
 * (`login_denied`, `login_cancelled`, `login_pending` after the timeout) otherwise.
 */
export async function approveStepUp(
  serverUrl: string,
  wwwAuthenticate: string,
  granted: string | null,
  io: ConnectIo,
): Promise<void> {
  const stderr = io.stderr ?? (() => undefined);
  const required = insufficientScope(wwwAuthenticate)?.required ?? null;
  const union = stepUpScopes(granted, required);
  const [{ ensureDaemon }, { openBrowser }, { loginError, waitForLogin }] = await Promise.all([
    import('../../client/ensure-daemon.js'),
    import('../login/open-browser.js'),
    import('../login/wait-for-login.js'),
  ]);
  const daemon = await ensureDaemon({ env: io.env });
  try {
    const started = await daemon.startLogin({ serverUrl, kind: 'browser', wwwAuthenticate });
    const needs = required ? `scope \`${required}\`` : 'more scopes';
    const has = granted ? ` (this login has \`${granted}\`)` : '';
    stderr(
      `${serverUrl} needs ${needs}${has}; opening the browser to approve \`${started.scope ?? union}\` ...\n`,
    );
    const url = started.authorizationUrl ?? '';
    if (await openBrowser(url, io.env)) stderr(`If the browser did not appear, open:\n  ${url}\n`);
    else stderr(`Open this URL in a browser to approve:\n  ${url}\n`);
    const signal = io.signal ?? new AbortController().signal;
    const info = await waitForLogin(
      { stderr, stderrIsTTY: Boolean(io.stderrIsTTY), signal },
      daemon,
      started,
      STEP_UP_TIMEOUT_SECONDS,
    );
    if (info.status !== 'complete') throw loginError(info);
    stderr('Approved; retrying the request.\n');
  } finally {
    await daemon.close();
  }
}
