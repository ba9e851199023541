/**
 * One token in one round trip, for processes that want nothing else of the daemon (`mcptest
 * auth token`, `mcptest auth headers`): one HTTP/1.1 request written on a node:net socket, since
 * node:http's own set-up costs a process more than the whole exchange. The request carries the
 * challenge, the client's home and its version, so the health handshake is no separate request.
 *
 * Nothing secret is sent before the daemon has proven itself: the socket's place is checked
 * first, and the request names only a server URL and a lifetime (client credentials go through
 * DaemonClient, after the handshake). The answer counts only when it carries the daemon's proof
 * of this user's key and this client's version; anything else (no daemon, an untrusted or
 * outdated one, an answer this reader does not expect) is `unsure`, and the caller takes the
 * full path (`client/ensure-daemon.ts`), which starts, replaces or names the daemon.
 */
import net from 'node:net';
import {
  CHALLENGE_HEADER,
  CLIENT_VERSION_HEADER,
  checkSocketPlace,
  DAEMON_VERSION_HEADER,
  daemonKeyFile,
  HOME_HEADER,
  newChallenge,
  PROOF_HEADER,
  proofMatches,
  readDaemonKey,
} from '../shared/daemon-identity.js';
import { errorFromBody, type McptestError } from '../shared/errors.js';
import { readTokenResponse } from '../shared/ipc-guards.js';
import type { TokenResponse } from '../shared/ipc-schemas.js';
import type { McptestPaths } from '../shared/paths.js';
import { versionTag } from '../shared/version.js';

export type OneShotAnswer =
  | { kind: 'token'; token: TokenResponse }
  /** The daemon (proven) refused: no login, the IdP down, ... */
  | { kind: 'refused'; error: McptestError }
  /** No proven answer; `noDaemon` when nothing listens on the socket. */
  | { kind: 'unsure'; noDaemon: boolean };

/** The largest answer read; a token answer is a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Asks the daemon on `socketPath` (the socket of `paths`, or the one the store names) for a
 * token for `serverUrl` valid for at least `minTtlSeconds`.
 */
export async function oneShotToken(
  paths: McptestPaths,
  socketPath: string,
  request: { serverUrl: string; minTtlSeconds: number },
  timeoutMs: number,
): Promise<OneShotAnswer> {
  try {
    checkSocketPlace(socketPath);
  } catch {
    return { kind: 'unsure', noDaemon: false }; // the full path names what is wrong
  }
  // A home that is not plain ASCII cannot travel as a header value here as written.
  if (!/^[\x20-\x7e]*$/.test(paths.home)) return { kind: 'unsure', noDaemon: false };
  const challenge = newChallenge();
  const body = JSON.stringify(request);
  const head = [
    'POST /v1/token HTTP/1.1',
    'Host: mcptest-authd',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `${HOME_HEADER}: ${paths.home}`,
    `${CHALLENGE_HEADER}: ${challenge}`,
    `${CLIENT_VERSION_HEADER}: ${versionTag()}`,
    'Connection: close',
  ];
  let raw: RawAnswer | null;
  try {
    raw = await exchange(socketPath, `${head.join('\r\n')}\r\n\r\n${body}`, timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { kind: 'unsure', noDaemon: code === 'ENOENT' || code === 'ECONNREFUSED' };
  }
  if (!raw || raw.headers.get(DAEMON_VERSION_HEADER) !== versionTag())
    return { kind: 'unsure', noDaemon: false };
  let key: Buffer | null;
  try {
    key = readDaemonKey(daemonKeyFile(paths.authDir));
  } catch {
    return { kind: 'unsure', noDaemon: false };
  }
  if (!key || !proofMatches(key, challenge, raw.headers.get(PROOF_HEADER))) {
    return { kind: 'unsure', noDaemon: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.body);
  } catch {
    return { kind: 'unsure', noDaemon: false };
  }
  if (raw.status >= 400) return { kind: 'refused', error: errorFromBody(parsed, raw.status) };
  if (raw.status !== 200) return { kind: 'unsure', noDaemon: false };
  try {
    return { kind: 'token', token: readTokenResponse(parsed, 'daemon answer to POST /v1/token') };
  } catch {
    return { kind: 'unsure', noDaemon: false };
  }
}

/** Writes `request`, reads the whole answer (the daemon closes after it); null when it is not one. */
function exchange(socketPath: string, request: string, timeoutMs: number): Promise<RawAnswer | null> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(timeoutMs, () => {
      const err = new Error('timed out') as NodeJS.ErrnoException;
      err.code = 'ETIMEDOUT';
      socket.destroy(err);
    });
    socket.once('connect', () => socket.end(request));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        socket.destroy();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    socket.once('error', reject);
    socket.once('end', () => {
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

/** An HTTP/1.1 answer with a Content-Length body; null for anything else (chunked, cut short). */
export function parseAnswer(text: string): RawAnswer | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = text.slice(0, end).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!status) return null;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.has('transfer-encoding')) return null;
  const body = text.slice(end + 4);
  if (Number(headers.get('content-length')) !== Buffer.byteLength(body)) return null;
  return { status: Number(status[1]), headers, body };
}
