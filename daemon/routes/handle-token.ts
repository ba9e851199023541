import type { IpcRouter } from '../ipc-server.js';
import {
  CHALLENGE_HEADER,
  CLIENT_VERSION_HEADER,
  DAEMON_VERSION_HEADER,
  daemonProof,
  PROOF_HEADER,
} from '../../shared/daemon-identity.js';
import { McptestError } from '../../shared/errors.js';
import { namesClientCredentials, readTokenRequest, readTokenResponse } from '../../shared/ipc-guards.js';
import type { ParsedTokenRequest } from '../../shared/ipc-schemas.js';
import { IPC_API_VERSION, VERSION, versionTag } from '../../shared/version.js';
import type { DaemonContext } from '../context.js';
import { schemas } from './schemas.js';

/**
 * `POST /v1/token`: an access token for a server, valid for at least `minTtlSeconds`. With
 * `rejectedFingerprint` the caller reports that the server refused that token; the daemon then
 * refreshes once (per token generation) and answers with the new one.
 *
 * One round trip is enough for a client that asks no secret of its own (`client/one-shot-token.ts`):
 * it sends its version (a mismatch is refused before anything else) and a challenge, and the
 * answer carries the daemon's version and its proof, as the health route's does.
 */
export function registerToken(app: IpcRouter, ctx: DaemonContext): void {
  const tag = versionTag();
  app.post('/v1/token', async (req, reply) => {
    const client = req.headers[CLIENT_VERSION_HEADER];
    if (typeof client === 'string' && client !== tag) {
      throw new McptestError(
        'daemon_version_mismatch',
        `the auth daemon runs mcptest ${tag}; this client is ${client.slice(0, 64)}`,
        {
          hint: 'mcptest daemon stop, then run the command again',
          details: { version: VERSION, api: IPC_API_VERSION, pid: process.pid, managedBy: ctx.managedBy },
        },
      );
    }
    reply.header(DAEMON_VERSION_HEADER, tag);
    const challenge = req.headers[CHALLENGE_HEADER];
    if (ctx.daemonKey && typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 128) {
      reply.header(PROOF_HEADER, daemonProof(ctx.daemonKey, challenge));
    }
    // The schemas (zod) load only for a request that names client credentials.
    const body: ParsedTokenRequest = namesClientCredentials(req.body)
      ? await withSchema(req.body)
      : readTokenRequest(req.body, 'token request');
    // The hand-written reader (the one clients use) keeps exactly the answer's fields, as zod's
    // parse did, at a fraction of its cost on the hottest route.
    return readTokenResponse(await ctx.tokens.getToken(body), 'token answer');
  });
}

async function withSchema(data: unknown): Promise<ParsedTokenRequest> {
  const s = await schemas();
  return s.parseWith(s.TokenRequest, data, 'token request');
}
