/**
 * The loopback redirect listener of a browser login (RFC 8252 §7.3): binds 127.0.0.1 only, on
 * port 0 (any free port) or the one asked for, serves `/callback` (or the path asked for), takes
 * exactly one valid callback and closes. A callback the handler does not accept (wrong `state`) is answered with an
 * error page and ignored, so a stray or forged request cannot end the login.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McptestError } from '../../shared/errors.js';
import { DEFAULT_CALLBACK_PATH, loopbackRedirectUri } from '../../shared/loopback-redirect.js';

export const CALLBACK_PATH = DEFAULT_CALLBACK_PATH;

/** What the handler made of one callback request. */
export type CallbackOutcome =
  /** The login is complete; the listener answers with a success page and closes. */
  | { result: 'complete' }
  /** Not ours (wrong state): an error page, and the listener keeps waiting. */
  | { result: 'ignored'; message: string }
  /** The login failed for good (denied, code refused): an error page, and the listener closes. */
  | { result: 'failed'; message: string; hint?: string };

export interface LoopbackListener {
  readonly port: number;
  /** `http://127.0.0.1:<port>/callback` (or the path asked for). */
  readonly redirectUri: string;
  /** True once a callback ended the login (listener closing or closed). */
  readonly done: boolean;
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    connection: 'close',
  });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>mcptest: ${escapeHtml(title)}</title>` +
      '<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style>' +
      `</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`,
  );
}

/**
 * Starts the listener. `onCallback` gets the query of each `/callback` request, one at a time.
 * @see RFC 8252 §7.3 (loopback redirect), §8.3 (bind the loopback interface only)
 */
export async function startLoopbackListener(options: {
  port?: number;
  /** The redirect URI's path; `/callback` by default. */
  path?: string;
  onCallback: (params: URLSearchParams) => Promise<CallbackOutcome>;
}): Promise<LoopbackListener> {
  const path = options.path ?? CALLBACK_PATH;
  let done = false;
  let busy: Promise<unknown> = Promise.resolve();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== path) {
      page(res, 404, 'Not found', 'This address only receives the login redirect.');
      return;
    }
    // One callback at a time, so two racing valid callbacks cannot both redeem a code.
    busy = busy.then(async () => {
      if (done) {
        page(res, 410, 'Login already finished', 'This login is over; you can close this tab.');
        return;
      }
      let outcome: CallbackOutcome;
      try {
        outcome = await options.onCallback(url.searchParams);
      } catch (err) {
        const e = err instanceof McptestError ? err : undefined;
        outcome = { result: 'failed', message: e?.message ?? 'unexpected failure', hint: e?.hint };
      }
      if (outcome.result === 'complete') {
        done = true;
        page(res, 200, 'Login complete', 'mcptest has its token. You can close this tab.');
        void close();
      } else if (outcome.result === 'ignored') {
        page(res, 400, 'Login not completed', `${outcome.message} This request was ignored.`);
      } else {
        done = true;
        page(
          res,
          400,
          'Login failed',
          `${outcome.message}${outcome.hint ? ` Try again with: ${outcome.hint}` : ''}`,
        );
        void close();
      }
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    done = true;
    closing ??= new Promise<void>((resolve) => {
      // Let the last page flush, then drop idle keep-alive sockets.
      server.close(() => resolve());
      setImmediate(() => server.closeIdleConnections());
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    return closing;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new McptestError(
          'invalid_request',
          `cannot listen on 127.0.0.1:${options.port ?? 0} for the login redirect (${err.code ?? err.message})`,
          {
            hint: 'pick another port with --redirect-port, or leave it out for any free port',
            cause: err,
          },
        ),
      );
    });
    server.listen({ host: '127.0.0.1', port: options.port ?? 0, exclusive: true }, () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    redirectUri: loopbackRedirectUri({ port, path }),
    get done() {
      return done;
    },
    close,
  };
}
