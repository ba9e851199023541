/**
 * How a client knows it talks to its own daemon before it sends anything that matters (client
 * secrets travel in `POST /v1/token`):
 *
 * 1. The socket's place: the socket and its folder belong to this user, the folder is 0700 and
 *    the socket 0600, and no folder above them is writable by all without the sticky bit, as
 *    ssh-agent users rely on. Another user can then neither have created the socket nor swap
 *    the folder under it for one of their own unnoticed.
 * 2. The peer's identity: Node cannot read SO_PEERCRED, so the daemon proves it can read a key
 *    that only this user can read (`<home>/auth/daemon.key`, 0600 in a 0700 folder): it answers
 *    the health request's random challenge with HMAC-SHA256(key, challenge). A process of
 *    another user, or a daemon of another store, cannot.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { McptestError } from './errors.js';
import { privateFolderHint } from './paths.js';

/** Request header: a fresh random challenge (base64url, 32 bytes). */
export const CHALLENGE_HEADER = 'x-mcptest-challenge';
/** Response header of `GET /v1/health`: the daemon's answer to the challenge. */
export const PROOF_HEADER = 'x-mcptest-proof';
/** Request header: the client's `MCPTEST_HOME`, so a daemon of another store refuses it. */
export const HOME_HEADER = 'x-mcptest-home';
/**
 * Request header of `POST /v1/token`: the client's `versionTag()`. A daemon of another version
 * refuses the request (`daemon_version_mismatch`), so a client that asks for a token in one
 * round trip, without the health handshake first, never takes one from an outdated daemon.
 */
export const CLIENT_VERSION_HEADER = 'x-mcptest-client';
/** Response header of `POST /v1/token`: the daemon's `versionTag()`. */
export const DAEMON_VERSION_HEADER = 'x-mcptest-daemon';

const KEY_BYTES = 32;

export function daemonKeyFile(authDir: string): string {
  return path.join(authDir, 'daemon.key');
}

export function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

export function daemonProof(key: Buffer, challenge: string): string {
  return createHmac('sha256', key).update(`mcptest-authd-proof/1\n${challenge}`).digest('base64url');
}

export function proofMatches(key: Buffer, challenge: string, proof: string | undefined): boolean {
  if (typeof proof !== 'string') return false;
  const want = Buffer.from(daemonProof(key, challenge));
  const got = Buffer.from(proof);
  return got.length === want.length && timingSafeEqual(got, want);
}

function uid(): number | undefined {
  return process.getuid?.();
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Reads the daemon key (the daemon creates it; see `loadOrCreateDaemonKey`). Refuses a key that
 * is a symbolic link, not this user's, or readable by others: such a key proves nothing.
 * Null when there is none yet.
 */
export function readDaemonKey(file: string): Buffer | null {
  const st = lstatOrNull(file);
  if (!st) return null;
  const me = uid();
  if (!st.isFile() || (me !== undefined && st.uid !== me) || (st.mode & 0o077) !== 0) {
    throw new McptestError(
      'daemon_untrusted',
      `the daemon key ${file} is not a private file of yours (${describeMode(st)}), so it proves nothing`,
      { hint: `remove it; the daemon writes a new one when it starts: rm ${file}; mcptest daemon stop` },
    );
  }
  const key = fs.readFileSync(file);
  return key.length === KEY_BYTES ? key : null;
}

/** The daemon's key, made (0600, exclusively) on first start. The caller made the folder private. */
export function loadOrCreateDaemonKey(file: string): Buffer {
  const existing = readDaemonKey(file);
  if (existing) return existing;
  const key = randomBytes(KEY_BYTES);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, key, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
  return key;
}

function describeMode(st: fs.Stats): string {
  const kind = st.isSymbolicLink() ? 'a symbolic link' : st.isFile() ? 'a file' : 'not a file';
  return `${kind}, owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}`;
}

/**
 * Refuses a socket path another user could have prepared or could swap: see the module comment.
 * A missing socket (or folder) passes: nothing listens there yet, and the daemon that will
 * creates the folder 0700 itself.
 */
export function checkSocketPlace(socketPath: string): void {
  const me = uid();
  if (me === undefined) return; // no uids (Windows): the named-pipe ACLs decide
  const dir = path.dirname(socketPath);
  const dirSt = lstatOrNull(dir);
  if (dirSt) {
    if (!dirSt.isDirectory()) {
      throw unsafe(
        `the socket folder ${dir} is ${dirSt.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}`,
        dir,
      );
    }
    if (dirSt.uid !== me) {
      throw unsafe(`the socket folder ${dir} is owned by uid ${dirSt.uid}, not by you (uid ${me})`, dir);
    }
    if ((dirSt.mode & 0o077) !== 0) {
      throw new McptestError(
        'socket_unsafe',
        `the socket folder ${dir} is open to other users (mode ${(dirSt.mode & 0o777).toString(8)}); it must be 700`,
        { hint: privateFolderHint(dir) },
      );
    }
    checkAncestors(dir, me);
  } else {
    checkAncestors(dir, me);
    return;
  }
  const st = lstatOrNull(socketPath);
  if (!st) return;
  if (st.isSymbolicLink()) {
    let target = '';
    try {
      target = ` to ${fs.readlinkSync(socketPath)}`;
    } catch {
      // unreadable link
    }
    throw new McptestError('socket_unsafe', `the daemon socket ${socketPath} is a symbolic link${target}`, {
      hint: `remove it and run the command again: rm ${socketPath}`,
    });
  }
  if (!st.isSocket()) {
    throw new McptestError('socket_unsafe', `${socketPath} is not a socket`, {
      hint: `move it aside, or point MCPTEST_SOCKET elsewhere: mv ${socketPath} ${socketPath}.old`,
    });
  }
  if (st.uid !== me) {
    throw unsafe(`the daemon socket ${socketPath} is owned by uid ${st.uid}, not by you (uid ${me})`, dir);
  }
  // Connecting takes write permission on the socket: that is what others must not have.
  if ((st.mode & 0o022) !== 0) {
    throw new McptestError(
      'socket_unsafe',
      `the daemon socket ${socketPath} is open to other users (mode ${(st.mode & 0o777).toString(8)}); it must be 600`,
      { hint: `stop that daemon and start it again: mcptest daemon stop; rm ${socketPath}` },
    );
  }
}

/**
 * No folder above `dir` (on its real path, and on the way through every symbolic link) may be
 * writable by all without the sticky bit (in a sticky folder such as /tmp another user cannot
 * rename what is yours). A folder above owned by another user is allowed: containers mount
 * homes owned by the host's user, and whatever that user could swap in would belong to them,
 * which the checks of the socket folder and the daemon's key proof refuse.
 */
export function checkAncestors(dir: string, me: number | undefined = uid()): void {
  if (me === undefined) return;
  const seen = new Set<string>();
  const visit = (p: string) => {
    for (let cur = path.resolve(p); ; cur = path.dirname(cur)) {
      if (!seen.has(cur)) {
        seen.add(cur);
        const st = lstatOrNull(cur);
        if (st) {
          if (st.isSymbolicLink()) {
            visit(path.resolve(path.dirname(cur), fs.readlinkSync(cur)));
          } else if (st.isDirectory() && (st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
            throw unsafe(
              `${cur}, above the socket, can be changed by every user (mode ${(st.mode & 0o7777).toString(8)}, no sticky bit)`,
              dir,
            );
          }
        }
      }
      if (cur === path.dirname(cur)) break;
    }
  };
  visit(path.dirname(path.resolve(dir)));
}

function unsafe(message: string, dir: string): McptestError {
  return new McptestError('socket_unsafe', message, {
    hint: `use a folder of your own: export MCPTEST_SOCKET=$HOME/.mcptest/run/authd.sock (or unset MCPTEST_SOCKET; now: ${dir})`,
  });
}
