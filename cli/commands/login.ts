import type { Command } from 'commander';
import type { DaemonClient } from '../../client/daemon-client.js';
import { ExitCode, McptestError } from '../../shared/errors.js';
import type { LoginInfo } from '../../shared/ipc-schemas.js';
import { parseLoopbackRedirectUri, parseRedirectPort } from '../../shared/loopback-redirect.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import { isoTime, printable } from '../format.js';
import type { CliIo, CommandResult } from '../io.js';
import { checkedLogin } from '../login/sign-in-url.js';
import { type LoginWaitIo, loginError, waitForLogin } from '../login/wait-for-login.js';

interface LoginOptions {
  url?: string;
  device?: boolean;
  browser: boolean;
  wait: string | boolean;
  cancel?: string;
  force?: boolean;
  scope?: string;
  clientId?: string;
  clientSecretEnv?: string;
  clientMetadataUrl?: string;
  redirectPort?: string;
  redirectUri?: string;
  timeout: string;
  json?: boolean;
}

/**
 * The text a human follows for a device login, of a login `checkSignInUrls` passed. URI and code
 * are the IdP's: shown with their control characters escaped (no OSC 52, no screen clear, no
 * OSC 8 link hiding its target). @see RFC 8628 §3.3
 */
export function deviceInstructions(info: LoginInfo): string {
  const lines = [
    'To sign in, open this URL on any device:',
    `  ${printable(info.verificationUri ?? '')}`,
    `and enter the code: ${printable(info.userCode ?? '')}`,
  ];
  if (info.verificationUriComplete) {
    lines.push(`or open this URL, which carries the code:`, `  ${printable(info.verificationUriComplete)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads pasted redirect URLs from stdin and hands them to the daemon (browser on another machine). */
function acceptPastedRedirects(io: CliIo, client: DaemonClient, id: string): () => void {
  const stdin = process.stdin;
  let buffered = '';
  const onData = (chunk: Buffer | string) => {
    buffered += chunk.toString();
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
      if (!line) continue;
      client.loginCallback(id, line).then(
        (info) => {
          if (info.status === 'pending')
            io.stderr('That URL did not complete the login; paste the final URL again.\n');
        },
        (err: unknown) => io.stderr(`error: ${printable((err as Error).message)}\n`),
      );
    }
  };
  stdin.on('data', onData);
  stdin.on('error', () => undefined);
  return () => {
    stdin.off('data', onData);
    stdin.pause();
  };
}

async function printSuccess(io: CliIo, client: DaemonClient, info: LoginInfo, json: boolean): Promise<void> {
  const credential = (await client.listCredentials()).find((c) => c.key === info.serverUrl);
  if (json) {
    io.stdout(`${JSON.stringify({ login: info, credential: credential ?? null }, null, 2)}\n`);
    return;
  }
  const scopes = credential?.scope ?? info.scope ?? 'none';
  const expires = credential?.expiresAt ? `expires ${isoTime(credential.expiresAt)}` : 'no expiry';
  const refresh = credential?.refreshable ? ', refreshed by the daemon' : '';
  io.stdout(`Logged in to ${info.serverUrl} (scopes: ${scopes}, ${expires}${refresh})\n`);
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new McptestError('invalid_request', `--timeout takes whole seconds from 1 to 86400, not ${value}`, {
      hint: 'mcptest login --device --url https://mcp.example.com/mcp --timeout 900',
    });
  }
  return n;
}

/** `mcptest login [URL]`: device-code (RFC 8628) or browser (authorization code + PKCE) login. */
export function registerLogin(program: Command, io: CliIo, result: CommandResult): void {
  program
    .command('login')
    .argument('[url]', 'the MCP server URL (same as --url)')
    .description(
      'log in to an OAuth-protected MCP server; the daemon caches and refreshes the tokens for every later command',
    )
    .option('--url <url>', 'the MCP server URL')
    .option('--device', 'device-code login (RFC 8628): approve on any other device; for SSH, containers, CI')
    .option(
      '--no-browser',
      'browser login without opening a browser: print the URL, accept the final URL pasted on stdin',
    )
    .option('--no-wait', 'print the code or URL and return at once (exit 0); finish later with --wait ID')
    .option('--wait <login-id>', 'wait for a login started earlier with --no-wait')
    .option('--cancel <login-id>', 'cancel a pending login')
    .option(
      '--force',
      'register a fresh OAuth client even when one is cached for this server (with --client-id: use it although it was used with another authorization server)',
    )
    .option('--scope <scopes>', 'space-separated scopes (default: from the server, else scopes_supported)')
    .option('--client-id <id>', 'a pre-registered client id (skips dynamic registration)')
    .option('--client-secret-env <VAR>', 'env var holding the pre-registered client secret')
    .option('--client-metadata-url <url>', 'HTTPS URL of a Client ID Metadata Document to use as client id')
    .option(
      '--redirect-port <port>',
      'browser login: listen for the redirect on this loopback port (for a client registered with it)',
    )
    .option(
      '--redirect-uri <uri>',
      'browser login: the exact redirect URI the client registered, http://127.0.0.1:PORT/PATH',
    )
    .option(
      '--timeout <seconds>',
      'give up waiting after this many seconds (exit 4, login stays pending)',
      '600',
    )
    .option('--json', 'machine-readable output on stdout')
    .addHelpText(
      'after',
      `
Device login (headless boxes, agents, CI): the daemon polls the authorization server while a
human approves once on any device with a browser.

Examples:
  $ mcptest login --device --url https://mcp.example.com/mcp
  $ mcptest login --device --url https://mcp.example.com/mcp --no-wait --json   # agents: show the code, return
  $ mcptest login --wait 5f1c2b7e-...                                           # then wait for approval
  $ mcptest login https://mcp.example.com/mcp                                   # browser + PKCE
  $ mcptest login https://mcp.example.com/mcp --no-browser                      # print URL, paste the result
  $ mcptest login https://mcp.example.com/mcp --client-id my-app --redirect-uri http://127.0.0.1:8765/callback

Exit codes: 0 logged in (or --no-wait started), 3 denied or expired, 4 still pending at --timeout,
130 cancelled with Ctrl-C (the login is cancelled in the daemon too).`,
    )
    .action(async (urlArg: string | undefined, opts: LoginOptions) => {
      const timeout = parseTimeout(opts.timeout);
      const json = Boolean(opts.json);
      const { ensureDaemon } = await import('../../client/ensure-daemon.js');

      if (opts.cancel) {
        const client = await ensureDaemon({ env: io.env });
        try {
          const info = await client.cancelLogin(opts.cancel);
          if (json) io.stdout(`${JSON.stringify({ login: info }, null, 2)}\n`);
          else io.stdout(`Login ${info.id} for ${info.serverUrl}: ${info.status}\n`);
        } finally {
          await client.close();
        }
        return;
      }

      if (typeof opts.wait === 'string') {
        const client = await ensureDaemon({ env: io.env });
        try {
          let info = await checkedLogin(await client.getLogin(opts.wait), (id) => client.cancelLogin(id));
          if (info.status === 'pending') {
            if (info.kind === 'device' && !json) io.stderr(deviceInstructions(info));
            info = await waitForLogin(resumable(io), client, info, timeout);
          }
          if (info.status !== 'complete') throw loginError(info);
          await printSuccess(io, client, info, json);
        } finally {
          await client.close();
        }
        return;
      }

      const rawUrl = urlArg ?? opts.url;
      if (!rawUrl) {
        throw new McptestError('invalid_request', 'login needs the MCP server URL', {
          hint: 'mcptest login --device --url https://mcp.example.com/mcp',
        });
      }
      if (urlArg && opts.url && canonicalServerUrl(urlArg) !== canonicalServerUrl(opts.url)) {
        throw new McptestError(
          'invalid_request',
          `two different URLs given: ${urlArg} and --url ${opts.url}`,
          {
            hint: `mcptest login --url ${opts.url}`,
          },
        );
      }
      const serverUrl = canonicalServerUrl(rawUrl);
      let clientSecret: string | undefined;
      if (opts.clientSecretEnv) {
        clientSecret = io.vars[opts.clientSecretEnv];
        if (!clientSecret) {
          throw new McptestError(
            'env_var_missing',
            `env var \`${opts.clientSecretEnv}\` (named by --client-secret-env) is not set or is empty`,
            { hint: `export ${opts.clientSecretEnv}=<client secret>, then run the command again` },
          );
        }
        if (!opts.clientId) {
          throw new McptestError('invalid_request', '--client-secret-env needs --client-id', {
            hint: `mcptest login --url ${serverUrl} --client-id <id> --client-secret-env ${opts.clientSecretEnv}`,
          });
        }
      }
      const kind = opts.device ? 'device' : 'browser';
      const redirectPort = opts.redirectPort === undefined ? undefined : parseRedirectPort(opts.redirectPort);
      if (opts.redirectUri !== undefined) {
        const asked = parseLoopbackRedirectUri(opts.redirectUri);
        if (redirectPort !== undefined && redirectPort !== asked.port) {
          throw new McptestError(
            'invalid_request',
            `--redirect-port ${redirectPort} and --redirect-uri ${opts.redirectUri} name different ports`,
            { hint: `mcptest login ${serverUrl} --redirect-uri ${opts.redirectUri}` },
          );
        }
      }
      if (kind === 'device' && (redirectPort !== undefined || opts.redirectUri !== undefined)) {
        throw new McptestError(
          'invalid_request',
          'a device login has no redirect: --redirect-port and --redirect-uri are for browser logins',
          {
            hint: `mcptest login --device --url ${serverUrl}`,
          },
        );
      }
      const client = await ensureDaemon({ env: io.env });
      let stopPaste: (() => void) | undefined;
      try {
        const requested = await client.startLogin({
          serverUrl,
          kind,
          scope: opts.scope,
          force: Boolean(opts.force),
          clientId: opts.clientId,
          clientSecret,
          clientMetadataUrl: opts.clientMetadataUrl,
          redirectPort,
          redirectUri: opts.redirectUri,
        });
        const started = await checkedLogin(requested, (id) => client.cancelLogin(id));

        if (kind === 'device') {
          if (opts.wait === false) {
            if (json) io.stdout(`${JSON.stringify({ login: started }, null, 2)}\n`);
            else io.stdout(deviceInstructions(started));
            io.stderr(
              `Login ${started.id} is pending (code expires ${isoTime(started.expiresAt)}); the daemon keeps polling.\n` +
                `Wait for it with: mcptest login --wait ${started.id}\nSee it in: mcptest auth status\n`,
            );
            return;
          }
          io.stderr(deviceInstructions(started));
        } else {
          const url = started.authorizationUrl ?? '';
          const opened = opts.browser
            ? await (await import('../login/open-browser.js')).openBrowser(url, io.env)
            : false;
          const shown = printable(url);
          if (opened) io.stderr(`Opened the browser to sign in. If it did not appear, open:\n  ${shown}\n`);
          else io.stderr(`Open this URL in a browser to sign in:\n  ${shown}\n`);
          if (opts.wait === false) {
            if (json) io.stdout(`${JSON.stringify({ login: started }, null, 2)}\n`);
            else io.stdout(`${shown}\n`);
            io.stderr(
              `Login ${started.id} is pending. Wait for it with: mcptest login --wait ${started.id}\n`,
            );
            return;
          }
          if (!opened) {
            io.stderr(
              'If the browser runs on another machine, paste the URL it lands on (starting with the redirect URI) here and press Enter.\n',
            );
            stopPaste = acceptPastedRedirects(io, client, started.id);
          }
        }

        const info = await waitForLogin(resumable(io), client, started, timeout);
        if (info.status !== 'complete') throw loginError(info);
        await printSuccess(io, client, info, json);
        result.exitCode = ExitCode.ok;
      } finally {
        stopPaste?.();
        await client.close();
      }
    });
}

/** The CLI's IO for waiting on a login, able to start the daemon again should it go away. */
function resumable(io: CliIo): LoginWaitIo {
  return {
    stderr: io.stderr,
    stderrIsTTY: io.stderrIsTTY,
    signal: io.signal,
    reconnect: async () => (await import('../../client/ensure-daemon.js')).ensureDaemon({ env: io.env }),
  };
}
