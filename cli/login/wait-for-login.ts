/**
 * Waiting for a human to approve a login the daemon started: shared by `mcptest login` and the
 * automatic step-up of the connection layer.
 */
import type { DaemonClient } from '../../client/daemon-client.js';
import { isErrorCode, McptestError } from '../../shared/errors.js';
import type { LoginInfo } from '../../shared/ipc-schemas.js';
import { duration, printable } from '../format.js';

/** Longest single long-poll the CLI asks of the daemon (the route allows 60 s). */
const LONG_POLL_SECONDS = 50;

/** Where the countdown goes, and the signal that cancels the wait (Ctrl-C). */
export interface LoginWaitIo {
  stderr: (text: string) => void;
  stderrIsTTY: boolean;
  signal: AbortSignal;
  /**
   * Reaches the daemon again (starting it) after it went away during the wait: the daemon
   * keeps pending logins in its store and resumes device polling, so the wait goes on.
   */
  reconnect?: () => Promise<DaemonClient>;
}

/** Times the wait reconnects to a daemon that went away before it gives up. */
const MAX_RECONNECTS = 3;

/** The error for a login that ended other than `complete` (denied, expired, cancelled). */
export function loginError(info: LoginInfo): McptestError {
  if (info.status === 'cancelled') {
    return new McptestError(
      'login_cancelled',
      info.error?.message ?? `the login for ${info.serverUrl} was cancelled`,
      {
        hint: info.error?.hint,
      },
    );
  }
  const code = info.error && isErrorCode(info.error.code) ? info.error.code : 'internal';
  return new McptestError(code, info.error?.message ?? `the login for ${info.serverUrl} failed`, {
    hint: info.error?.hint,
  });
}

/**
 * Waits until the login leaves `pending`: long-polls the daemon, shows a countdown on stderr (a
 * line rewritten in place on a TTY, a line every 30 s otherwise), cancels the login on Ctrl-C.
 */
export async function waitForLogin(
  io: LoginWaitIo,
  client: DaemonClient,
  start: LoginInfo,
  timeoutSeconds: number,
): Promise<LoginInfo> {
  const deadline = Math.min(Date.now() + timeoutSeconds * 1000, start.expiresAt + 5_000);
  const what = start.kind === 'device' ? `code ${printable(start.userCode ?? '')}` : 'the browser';
  const tty = io.stderrIsTTY;
  const tick = () => {
    const left = duration(Math.max(0, Math.min(deadline, start.expiresAt) - Date.now()));
    if (tty) io.stderr(`\r\x1b[2KWaiting for approval of ${what}... ${left} left (Ctrl-C cancels)`);
    else io.stderr(`Waiting for approval of ${what}... ${left} left\n`);
  };
  tick();
  const ticker = setInterval(tick, tty ? 1_000 : 30_000);
  ticker.unref();
  let info = start;
  let current = client;
  let reconnects = 0;
  try {
    while (info.status === 'pending') {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        throw new McptestError(
          'login_pending',
          `the login for ${info.serverUrl} is still waiting for approval after ${timeoutSeconds}s`,
          { hint: `mcptest login --wait ${info.id}` },
        );
      }
      try {
        info = await current.getLogin(info.id, Math.min(LONG_POLL_SECONDS, left), { signal: io.signal });
      } catch (err) {
        if (io.signal.aborted) {
          // cancelled below
        } else if (
          err instanceof McptestError &&
          err.code === 'daemon_unreachable' &&
          io.reconnect &&
          reconnects < MAX_RECONNECTS
        ) {
          reconnects++;
          if (tty) io.stderr('\r\x1b[2K');
          io.stderr('The auth daemon stopped; starting it again and resuming the wait ...\n');
          if (current !== client) await current.close();
          current = await io.reconnect();
          continue;
        } else {
          throw err;
        }
      }
      if (io.signal.aborted) {
        await current.cancelLogin(info.id).catch(() => undefined);
        throw new McptestError(
          'login_cancelled',
          `login for ${info.serverUrl} cancelled; nothing was stored`,
          {
            hint:
              info.kind === 'device'
                ? `mcptest login --device --url ${info.serverUrl}`
                : `mcptest login ${info.serverUrl}`,
          },
        );
      }
    }
  } finally {
    if (current !== client) await current.close();
    clearInterval(ticker);
    if (tty) io.stderr('\r\x1b[2K');
  }
  return info;
}
