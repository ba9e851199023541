/**
 * Step-up authorization: a server answers 403 `insufficient_scope` to a request. With a cached
 * login and a human who can approve (the caller passes `ConnectIo.approveInBrowser`: the CLI
 * opens a browser for the union of the granted and the required scopes, never a refresh, which
 * keeps the old scope), or with client credentials (the daemon re-mints with the wider scope),
 * the connection sends the request again with the new token; at most {@link MAX_STEP_UPS} times
 * per connection. Otherwise (CI, agents, a bearer token) the error names the exact
 * `mcptest login --scope` command.
 *
 * The wrapper sits on the client's request funnel, so every request passes through it: each list
 * page, a tool call, `server/discover`, each retry of an `input_required` round.
 * @see MCP authorization spec 2025-11-25 §"Scope Challenge Handling", RFC 6750 §3.1
 */
import type { Client } from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import type { Refusal } from './auth-fetch.js';
import type { TokenSource } from './credentials.js';
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

/** Step-ups made on one connection, and the one in progress (concurrent requests share it). */
export interface StepUps {
  count: number;
  pending: Promise<boolean> | null;
  /** Fingerprints of tokens a step-up has replaced: a late 403 on one of them just retries. */
  replaced: Set<string>;
}

export function newStepUps(): StepUps {
  return { count: 0, pending: null, replaced: new Set() };
}

/**
 * How this connection can step up after a 403 `insufficient_scope`, or null when it cannot by
 * itself: a cached login steps up in the browser when a human can approve; client credentials
 * re-mint with the wider scope (no human needed); a bearer_token_env token cannot.
 */
function stepUpFor(
  serverUrl: string,
  source: TokenSource,
  io: ConnectIo,
): ((wwwAuthenticate: string) => Promise<boolean>) | null {
  const approve = io.approveInBrowser;
  if (source.input === 'login' && io.interactive && approve) {
    return (www) => approve({ serverUrl, wwwAuthenticate: www, grantedScope: source.grantedScope ?? null });
  }
  const widen = source.widenScope;
  if (widen) {
    return async (www) => {
      const union = await widen(www);
      if (union === null) return false;
      io.stderr?.(
        `${serverUrl} needs scope \`${insufficientScope(www)?.required}\`; minted a client-credentials token for \`${union}\`; retrying the request.\n`,
      );
      return true;
    };
  }
  return null;
}

/** A step-up retry runner for one connection: `run(send)` sends, and after a scope 403 steps up and sends again. */
export interface StepUpRunner {
  run<T>(send: () => Promise<T>): Promise<T>;
}

/**
 * The step-up policy of one connection, or null when it cannot step up. `run` calls `send`; after
 * a 403 `insufficient_scope` it runs one step-up (shared by concurrent requests) and calls `send`
 * again, at most MAX_STEP_UPS step-ups per connection. The retry is a fresh request with its own
 * timeout, so the SDK's request timeout never runs while a human approves.
 */
export function stepUpRunner(
  serverUrl: string,
  source: TokenSource,
  state: { refusal: Refusal | null },
  stepUps: StepUps,
  io: ConnectIo,
): StepUpRunner | null {
  const stepUp = stepUpFor(serverUrl, source, io);
  if (!stepUp) return null;
  return {
    async run<T>(send: () => Promise<T>): Promise<T> {
      // Bounded: each pass either starts a step-up (at most MAX_STEP_UPS) or waits for one.
      for (let pass = 0; ; pass++) {
        try {
          return await send();
        } catch (err) {
          const r = state.refusal;
          if (pass > 2 * MAX_STEP_UPS + 1) throw err;
          const canRetry =
            r?.status === 403 &&
            r.wwwAuthenticate !== null &&
            insufficientScope(r.wwwAuthenticate) !== null &&
            !io.signal?.aborted;
          if (!canRetry || !r?.wwwAuthenticate) throw err;
          if (!stepUps.pending && r.fingerprint && stepUps.replaced.has(r.fingerprint)) {
            // Refused with a token an earlier step-up already replaced: send again with the new one.
            state.refusal = null;
            continue;
          }
          if (!stepUps.pending) {
            if (stepUps.count >= MAX_STEP_UPS) throw err;
            stepUps.count++;
            const replaced = r.fingerprint;
            stepUps.pending = stepUp(r.wwwAuthenticate)
              .then((stepped) => {
                if (!stepped)
                  stepUps.count--; // nothing was approved or minted: not a step-up
                else if (replaced) stepUps.replaced.add(replaced);
                return stepped;
              })
              .finally(() => {
                stepUps.pending = null;
              });
          }
          let stepped: boolean;
          try {
            stepped = await stepUps.pending; // a denied, cancelled or timed-out approval throws its own error
          } catch (stepErr) {
            state.refusal = null;
            throw stepErr;
          }
          if (!stepped) throw err; // nothing to step up to: the 403 itself is the answer
          state.refusal = null;
        }
      }
    },
  };
}

/**
 * Puts `runner` on the client's request funnel: the one method every request goes through in
 * SDK 2.x (`request()`, `callTool()`, list pages, `server/discover`, the retries of
 * `input_required` rounds), falling back to `request()` should a later SDK rename it. A step-up
 * retry of one leg of a multi-round call re-sends that leg only, its `requestState` unchanged.
 */
export function withStepUp<C extends Client>(client: C, runner: StepUpRunner | null): C {
  if (!runner) return client;
  const target = client as unknown as Record<string, unknown>;
  const name =
    typeof target._requestWithSchemaViaCodec === 'function' ? '_requestWithSchemaViaCodec' : 'request';
  const original = (target[name] as (...args: unknown[]) => Promise<unknown>).bind(client);
  target[name] = (...args: unknown[]) => runner.run(() => original(...args));
  return client;
}
