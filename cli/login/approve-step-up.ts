/**
 * The CLI's browser approval of a wider scope (step-up, cli/mcp/step-up.ts): the daemon starts a
 * browser login carrying the 403's WWW-Authenticate (it asks for the union of the stored scope
 * and the required one), the browser opens, and this waits (countdown on stderr, Ctrl-C cancels)
 * until the human approved. The connection layer gets it as `ConnectIo.approveInBrowser`.
 * @see MCP authorization spec 2025-11-25 §"Scope Challenge Handling"
 */
import fs from 'node:fs';
import path from 'node:path';
import { insufficientScope, stepUpScopes } from '../mcp/scope-challenge.js';
import { STEP_UP_TIMEOUT_SECONDS } from '../mcp/step-up.js';
import type { StepUpRequest } from '../mcp/target.js';

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

export interface ApprovalIo {
  env: NodeJS.ProcessEnv;
  stderr: (text: string) => void;
  stderrIsTTY: boolean;
  signal?: AbortSignal;
}

/**
 * Runs one step-up approval. Resolves false when no browser can be opened (nothing was
 * started), true once approved; throws the login's error (`login_denied`, `login_cancelled`,
 * `login_pending` after the timeout) otherwise.
 */
export async function approveStepUp(request: StepUpRequest, io: ApprovalIo): Promise<boolean> {
  if (!browserAvailable(io.env)) return false;
  const { serverUrl, wwwAuthenticate, grantedScope: granted } = request;
  const stderr = io.stderr;
  const required = insufficientScope(wwwAuthenticate)?.required ?? null;
  const union = stepUpScopes(granted, required);
  const [{ ensureDaemon }, { openBrowser }, { loginError, waitForLogin }] = await Promise.all([
    import('../../client/ensure-daemon.js'),
    import('./open-browser.js'),
    import('./wait-for-login.js'),
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
      { stderr, stderrIsTTY: io.stderrIsTTY, signal },
      daemon,
      started,
      STEP_UP_TIMEOUT_SECONDS,
    );
    if (info.status !== 'complete') throw loginError(info);
    stderr('Approved; retrying the request.\n');
    return true;
  } finally {
    await daemon.close();
  }
}
