/**
 * `mcptest proxy`'s run: resolve the token source as every command does, listen, say where,
 * and serve until Ctrl-C or SIGTERM.
 */
import { McptestError } from '../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import type { CliIo } from '../io.js';
import { resolveTokenSource } from '../mcp/credentials.js';
import { type TargetFlags, targetFromOptions } from '../mcp/target-options.js';
import { parseListen } from './listen-address.js';
import { startProxy } from './proxy-server.js';

/**
 * The example request the start-up lines show: a 2025 initialize, which a server with sessions
 * answers as the first request too (a 2026-07-28-only server answers it with its versions).
 */
const INITIALIZE =
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}';

export async function runProxy(
  flags: TargetFlags & { listen?: string; verbose?: boolean; json?: boolean },
  io: CliIo,
): Promise<void> {
  const target = targetFromOptions(flags);
  const url = target.url as string;
  assertSecureUrl(url, 'server URL');
  const serverUrl = canonicalServerUrl(url);
  const listen = parseListen(flags.listen, serverUrl, io.env);
  const source = await resolveTokenSource(target, serverUrl, io);
  try {
    if (source.missing === 'no_credentials') {
      throw new McptestError('no_credentials', `no token is cached for ${serverUrl} and none was supplied`, {
        hint: `mcptest login ${serverUrl}`,
      });
    }
    if (source.missing === 'env_unset') {
      throw new McptestError(
        'env_var_missing',
        `env var \`${source.envVar}\` (named by --bearer-token-env) is not set or is empty`,
        {
          hint: `export ${source.envVar}=<token>; then run mcptest proxy again`,
        },
      );
    }
    if (source.missing === 'login_expired') {
      io.stderr(
        `warning: the login for ${serverUrl} needs renewing (${source.reason}): mcptest login ${serverUrl}\n`,
      );
    }
    const upstream = new URL(url);
    const proxy = await startProxy({
      upstream,
      source,
      listen,
      headers: target.headers,
      log: flags.verbose ? (line) => io.stderr(`${line}\n`) : undefined,
    });
    const { address } = proxy;
    if (flags.json) {
      const where =
        address.kind === 'unix'
          ? { socket: address.path }
          : {
              url: proxy.url,
              port: address.port,
              secret: proxy.secret,
              secretHeader: 'x-mcptest-proxy-secret',
            };
      io.stdout(`${JSON.stringify({ upstream: upstream.origin, ...where })}\n`);
    } else {
      io.stdout(`${address.kind === 'unix' ? address.path : proxy.url}\n`);
      // A request the server answers as it is: MCP's POST with both accepted types.
      const target =
        address.kind === 'unix' ? `--unix-socket ${address.path} http://mcp${upstream.pathname}` : proxy.url;
      io.stderr(
        `proxying to ${upstream.origin} (Ctrl-C stops); for example:\n  curl ${target} -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d '${INITIALIZE}'\n`,
      );
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        io.signal.removeEventListener('abort', stop);
        resolve();
      };
      process.once('SIGTERM', stop);
      io.signal.addEventListener('abort', stop, { once: true });
    });
    await proxy.close();
  } finally {
    await source.close();
  }
}
