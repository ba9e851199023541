/**
 * `mcptest bridge URL`: an MCP server on stdio that forwards every JSON-RPC message unchanged to
 * a remote Streamable HTTP server (or a legacy HTTP+SSE one), and every message of the server back
 * to stdout, in whichever era the host speaks: the 2025 handshake and session, or 2026-07-28
 * requests each carrying their version (remote.ts). Raw forwarding, not a Client/Server pair:
 * requests, notifications, `input_required` results, `subscriptions/listen` streams,
 * server-initiated requests and their responses all pass through as they are.
 *
 * The remote side uses the connection layer's authenticated fetch: a token asked from the
 * daemon per request, sent to the server's origin only, and after a 401 the rejected
 * fingerprint reported and the request sent once more. Stdout carries JSON-RPC alone.
 * @see MCP spec 2025-11-25 and 2026-07-28 "Transports" (stdio; Streamable HTTP)
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import { buildAuthError } from '../mcp/auth-error.js';
import { authFailure, makeAuthFetch, type Refusal } from '../mcp/auth-fetch.js';
import { resolveTokenSource, type TokenSource } from '../mcp/credentials.js';
import { newStepUps, stepUpRequiredError, stepUpRunner } from '../mcp/step-up.js';
import { type TargetFlags, targetFromOptions } from '../mcp/target-options.js';
import type { CliIo } from '../io.js';
import { describeMessage, errorResponse, requestId } from './messages.js';
import { lateLogin } from './late-login.js';
import { Remote } from './remote.js';

export type BridgeFlags = TargetFlags & { verbose?: boolean };

/** Resolves when the host is gone: stdin ended, SIGTERM, or Ctrl-C. */
function hostGone(stdin: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => () => {
      stdin.off('end', onEnd).off('close', onEnd);
      process.off('SIGTERM', onTerm);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onEnd = done('stdin closed');
    const onTerm = done('SIGTERM');
    const onAbort = done('interrupted');
    stdin.once('end', onEnd).once('close', onEnd);
    process.once('SIGTERM', onTerm);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Why no request can go out, or null when the source has a token to send. A missing login
 * names both login commands: a host cannot open the browser for the bridge.
 */
function unusable(source: TokenSource, serverUrl: string): McptestError | null {
  if (!source.missing) return null;
  const e = buildAuthError(authFailure(source, serverUrl, null, null, null, false));
  if (source.input !== 'login' && source.input !== 'none') return e;
  return new McptestError(
    e.code,
    `${e.message} Without a browser here: \`mcptest login --device ${serverUrl}\`; an agent can relay a device login with the \`login_device_start\` tool of \`mcptest mcp-server\`. Then send the request again: the bridge picks up the login, no restart needed.`,
    {
      hint: `mcptest login ${serverUrl}`,
      details: {
        ...e.details,
        loginCommand: `mcptest login ${serverUrl}`,
        deviceLoginCommand: `mcptest login --device ${serverUrl}`,
      },
    },
  );
}

/** Runs the bridge until the host closes stdin; then ends the server's session. */
export async function runBridge(flags: BridgeFlags, io: CliIo): Promise<void> {
  const target = targetFromOptions(flags);
  const url = target.url as string;
  assertSecureUrl(url, 'server URL');
  const serverUrl = canonicalServerUrl(url);
  const endpoint = new URL(url);
  endpoint.hash = '';
  const log = (line: string) => io.stderr(`mcptest bridge: ${line}\n`);
  const trace = flags.verbose ? log : () => undefined;

  const { StdioServerTransport } = await import('@modelcontextprotocol/server/stdio');
  const host = new StdioServerTransport();
  const gone = hostGone(process.stdin, io.signal);
  const toHost = (message: JSONRPCMessage) => {
    trace(`<- ${describeMessage(message)}`);
    host.send(message).catch((err) => log(`cannot write to the host: ${(err as Error).message}`));
  };
  host.onerror = (err) => log(`unreadable message from the host: ${err.message}`);

  let source: TokenSource | null = null;
  let refused: McptestError | null = null;
  try {
    // A login made while the bridge runs is picked up: no restart of the host's server needed.
    source = lateLogin(await resolveTokenSource(target, serverUrl, io), () =>
      resolveTokenSource(target, serverUrl, io),
    );
    // Without a login the server is still asked (it may need none); its 401 gets the login
    // command. A token env var named but unset is refused at once.
    if (source.missing === 'env_unset') refused = unusable(source, serverUrl);
  } catch (err) {
    refused = toMcptestError(err);
  }

  if (refused || !source) {
    // Answer instead of hanging: every request gets the error, the host shows its message.
    const error = refused ?? new McptestError('internal', 'no token source');
    log(`${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}`);
    host.onmessage = (message) => {
      trace(`-> ${describeMessage(message)}`);
      const id = requestId(message);
      if (id !== null) toHost(errorResponse(id, error));
    };
    await host.start();
    await gone;
    await host.close();
    await source?.close();
    return;
  }

  const tokens = source;
  const state: { refusal: Refusal | null } = { refusal: null };
  const stepUps = newStepUps();
  const explain = (err: unknown): McptestError => {
    const r = state.refusal;
    if (!r) return toMcptestError(err);
    state.refusal = null;
    if (r.status === 403 && tokens.input === 'login') {
      const stepUp = stepUpRequiredError(
        serverUrl,
        r.wwwAuthenticate,
        tokens.grantedScope ?? null,
        stepUps.count,
      );
      if (stepUp) return stepUp;
    }
    const e = buildAuthError(
      authFailure(tokens, serverUrl, r.status, r.wwwAuthenticate, r.fingerprint, r.fingerprint !== null),
    );
    return unusable(tokens, serverUrl) ?? e;
  };
  // No human can approve in a browser here (the host owns the terminal): client credentials
  // re-mint with the wider scope; a login gets step_up_required naming the command.
  const stepUp = stepUpRunner(serverUrl, tokens, state, stepUps, {
    env: io.env,
    cwd: io.cwd,
    signal: io.signal,
    stderr: (text) => log(text.trimEnd()),
    interactive: false,
  });
  const remote = await Remote.start({
    endpoint,
    serverUrl,
    fetch: makeAuthFetch(endpoint, tokens, state, target.headers ?? {}),
    stepUp,
    refused: () => state.refusal !== null,
    explain,
    toHost,
    log,
    trace,
  });
  host.onmessage = (message) => {
    trace(`-> ${describeMessage(message)}`);
    void remote.forward(message);
  };
  await host.start();

  const why = await gone;
  trace(`${why}: ending the session`);
  await host.close();
  await remote.stop();
  await tokens.close();
}
