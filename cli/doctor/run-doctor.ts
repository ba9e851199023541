/**
 * `mcptest doctor` as a function: walks the layers config → DNS/TCP/TLS → HTTP → AUTH → MCP
 * connect → server/discover → legacy clients → tools/list, stopping (the rest skipped) at the
 * first failure. The AUTH layer and the MCP layers use the same connection layer as every other
 * command, so what doctor sees is what `tools`, `call` and `run` see; the two era layers
 * (eras.ts) only report. The agent server calls {@link runDoctor} directly.
 */
import { ERROR_CATALOGUE, McptestError, toMcptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import type { AuthErrorDetails, AuthState } from '../mcp/auth-error.js';
import { connectToServer, DEFAULT_TIMEOUT_MS, type McpConnection } from '../mcp/connect.js';
import { bearerTokenFromEnv } from '../mcp/credentials.js';
import type { ConnectIo, ServerTarget } from '../mcp/target.js';
import { probeEndpoint } from '../mcp/probe.js';
import { parseWwwAuthenticate, primaryChallenge } from '../../shared/www-authenticate.js';
import { eraLayers } from './eras.js';
import { checkNetwork } from './network.js';
import {
  type DoctorReport,
  type EraFindings,
  finishReport,
  type LayerName,
  type LayerResult,
} from './report.js';

const ORDER: LayerName[] = ['config', 'network', 'http', 'auth', 'initialize', 'discover', 'legacy', 'tools'];

export async function runDoctor(target: ServerTarget, io: ConnectIo): Promise<DoctorReport> {
  const layers: LayerResult[] = [];
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const summary = {
    url: target.url ?? null,
    command: target.command ? [target.command, ...(target.args ?? [])].join(' ') : null,
    authSource: authSourceName(target),
  };
  let protocol: EraFindings | null = null;
  const done = () => {
    for (const name of ORDER) {
      if (!layers.some((l) => l.layer === name)) {
        layers.push({ layer: name, status: 'skip', summary: 'skipped after an earlier failure' });
      }
    }
    return finishReport(summary, layers, protocol);
  };

  // config
  const config = checkConfig(target, io.vars ?? io.env);
  layers.push(config.result);
  if (config.result.status === 'fail') return done();

  let url: URL | null = null;
  if (target.command) {
    layers.push({ layer: 'network', status: 'skip', summary: 'stdio server: no network' });
    layers.push({ layer: 'http', status: 'skip', summary: 'stdio server: no HTTP' });
    layers.push({ layer: 'auth', status: 'skip', summary: 'stdio server: no auth' });
  } else {
    url = new URL(target.url as string);
    // DNS/TCP/TLS
    const network = await checkNetwork(url, Math.min(timeoutMs, 10_000));
    layers.push(network);
    if (network.status === 'fail') return done();
    // HTTP
    const http = await checkHttp(url.href, target, timeoutMs, io.signal);
    layers.push(http);
    if (http.status === 'fail') return done();
  }

  // AUTH + MCP connect (server/discover or initialize): one connection, as every command makes it.
  let conn: McpConnection;
  try {
    conn = await connectToServer(target, io);
  } catch (err) {
    const e = toMcptestError(err);
    if (!target.command && isAuthProblem(e)) {
      layers.push(authFailureLayer(e, target));
    } else {
      if (!target.command)
        layers.push(authPassLayer(target, io.vars ?? io.env, 'the server did not refuse our credentials'));
      layers.push({
        layer: 'initialize',
        status: 'fail',
        summary: e.message,
        // Inside doctor, "run doctor" is no hint.
        hint:
          e.hint && !e.hint.startsWith('mcptest doctor')
            ? e.hint
            : 'run with MCPTEST_DEBUG=1 for more detail',
        errorCode: e.code,
      });
    }
    return done();
  }
  try {
    if (!target.command) layers.push(authPassLayer(target, io.vars ?? io.env, null, conn));
    // The HTTP layer could only guess at a POST answered 4xx; the connection has now told.
    const http = layers.find((l) => l.layer === 'http');
    if (conn.transport === 'sse' && http?.status === 'warn') {
      http.summary = `a legacy HTTP+SSE server (the 2024-11-05 transport): POST answered HTTP ${http.details?.status}, the SSE stream works`;
      delete http.hint;
    } else if (conn.era === 'modern' && http?.status === 'warn' && http.details?.status === 400) {
      // The probe is a 2025 initialize: a server of the 2026-07-28 era alone refuses it.
      http.status = 'pass';
      http.summary = `the endpoint answers HTTP 400 to a 2025 initialize POST without a token, and speaks ${conn.protocolVersion ?? 'the modern era'} (see legacy clients)`;
      delete http.hint;
    }
    const caps = Object.keys(conn.capabilities ?? {}).sort();
    layers.push({
      layer: 'initialize',
      status: 'pass',
      summary: `MCP ${conn.protocolVersion ?? 'unknown'} (${conn.era === 'modern' ? 'modern era, no initialize' : 'legacy era, initialize'}) over ${conn.transport}; server ${conn.serverInfo?.name ?? '?'} ${conn.serverInfo?.version ?? ''}; capabilities: ${caps.join(', ') || 'none'}`,
      details: {
        era: conn.era,
        protocolVersion: conn.protocolVersion ?? null,
        transport: conn.transport,
        serverInfo: conn.serverInfo ?? null,
        capabilities: conn.capabilities ?? {},
      },
    });
    const eras = await eraLayers(conn, target, io);
    layers.push(...eras.layers);
    protocol = eras.findings;
    if (!conn.capabilities?.tools) {
      layers.push({ layer: 'tools', status: 'skip', summary: 'the server declares no tools capability' });
      return done();
    }
    try {
      const { firstToolsPage } = await import('../mcp/list-tools.js');
      const res = await firstToolsPage(conn.client, { timeoutMs, signal: io.signal });
      const names = res.tools.map((t) => t.name);
      layers.push({
        layer: 'tools',
        status: res.tools.length ? 'pass' : 'warn',
        summary: res.tools.length
          ? `${names.length} tool${names.length === 1 ? '' : 's'}${res.nextCursor ? ' on the first page' : ''}: ${clip(names.join(', '), 120)}`
          : 'the server lists no tools',
        details: { count: names.length, names, more: Boolean(res.nextCursor) },
      });
    } catch (err) {
      const e = conn.explain(err);
      layers.push({
        layer: 'tools',
        status: 'fail',
        summary: e.message,
        hint: e.hint,
        errorCode: e.code,
        details: e.details,
      });
    }
  } finally {
    await conn.close();
  }
  return done();
}

function authSourceName(target: ServerTarget): string {
  if (target.command) return 'none (stdio)';
  if (target.bearerTokenEnv) return 'bearer_token_env';
  if (target.oauth) return 'client_credentials';
  return 'login (if cached) or none';
}

function envState(env: NodeJS.ProcessEnv, name: string): string {
  return env[name]?.trim() ? 'set' : 'NOT SET or empty';
}

function checkConfig(target: ServerTarget, env: NodeJS.ProcessEnv): { result: LayerResult } {
  if (target.command) {
    return {
      result: {
        layer: 'config',
        status: 'pass',
        summary: `stdio server \`${[target.command, ...(target.args ?? [])].join(' ')}\`; no auth`,
      },
    };
  }
  try {
    if (!target.url)
      throw new McptestError('invalid_request', 'no --url given', {
        hint: 'mcptest doctor --url https://mcp.example.com/mcp',
      });
    assertSecureUrl(target.url, 'server URL');
    const serverUrl = canonicalServerUrl(target.url);
    let auth: string;
    if (target.bearerTokenEnv) {
      bearerTokenFromEnv(env, target.bearerTokenEnv); // a malformed value fails this layer
      auth = `bearer_token_env \`${target.bearerTokenEnv}\` (${envState(env, target.bearerTokenEnv)})`;
    } else if (target.oauth) {
      const secret = target.oauth.clientSecretEnv
        ? `secret in \`${target.oauth.clientSecretEnv}\` (${envState(env, target.oauth.clientSecretEnv)})`
        : target.oauth.authMethod === 'private_key_jwt'
          ? 'private_key_jwt'
          : 'no secret env var named';
      auth = `client_credentials for client \`${target.oauth.clientId}\`, ${secret}, token URL ${target.oauth.tokenUrl ?? '(discovered)'}`;
    } else auth = 'no token flags: a cached login for this server is used if there is one';
    return {
      result: {
        layer: 'config',
        status: 'pass',
        summary: `server ${serverUrl}; auth: ${auth}`,
        details: { serverUrl, authSource: authSourceName(target) },
      },
    };
  } catch (err) {
    const e = toMcptestError(err);
    return {
      result: { layer: 'config', status: 'fail', summary: e.message, hint: e.hint, errorCode: e.code },
    };
  }
}

async function checkHttp(
  url: string,
  target: ServerTarget,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<LayerResult> {
  let probe: Awaited<ReturnType<typeof probeEndpoint>>;
  try {
    probe = await probeEndpoint(url, { headers: target.headers, timeoutMs, signal });
  } catch (err) {
    const e = toMcptestError(err);
    return { layer: 'http', status: 'fail', summary: e.message, hint: e.hint, errorCode: e.code };
  }
  const details = {
    status: probe.status,
    wwwAuthenticate: probe.wwwAuthenticate,
    contentType: probe.contentType,
    elapsedMs: probe.elapsedMs,
  };
  const s = probe.status;
  if (s === 401 || s === 403) {
    const challenge = primaryChallenge(parseWwwAuthenticate(probe.wwwAuthenticate));
    return {
      layer: 'http',
      status: 'pass',
      summary: `the endpoint answers HTTP ${s} without a token${challenge ? ` and asks for ${challenge.scheme || 'a token'}` : ''}${challenge?.params.resource_metadata ? ` (resource_metadata ${challenge.params.resource_metadata})` : ''}`,
      details,
    };
  }
  if (s >= 200 && s < 300) {
    return {
      layer: 'http',
      status: 'pass',
      summary: `the endpoint answers HTTP ${s} to initialize without a token`,
      details,
    };
  }
  if (s >= 300 && s < 400) {
    return {
      layer: 'http',
      status: 'fail',
      summary: `the endpoint redirects (HTTP ${s}) to ${probe.location ?? '(no Location)'}; redirects are not followed with credentials`,
      hint: probe.location
        ? `mcptest doctor --url ${new URL(probe.location, url).href}`
        : 'check the endpoint path in --url',
      details,
    };
  }
  if (s === 404 || s === 405 || s === 400) {
    return {
      layer: 'http',
      status: 'warn',
      summary: `the endpoint answers HTTP ${s} to a Streamable HTTP POST; it may be a legacy HTTP+SSE server or the wrong path`,
      hint: 'check the path in --url (MCP endpoints are often /mcp or /sse)',
      details,
    };
  }
  return {
    layer: 'http',
    status: 'fail',
    summary: `the endpoint answers HTTP ${s}`,
    hint: s >= 500 ? 'the server is failing; check its logs' : 'check the path in --url',
    details,
  };
}

function isAuthProblem(e: McptestError): boolean {
  return (
    ERROR_CATALOGUE[e.code].exit === 'auth' ||
    ['daemon_unreachable', 'idp_unavailable', 'idp_error', 'discovery_failed'].includes(e.code)
  );
}

const STATE_TITLES: Record<AuthState, string> = {
  no_credentials: 'no credentials supplied',
  env_unset: 'env var named but unset or empty',
  token_rejected: 'token sent and rejected (401)',
  insufficient_scope: 'token sent and refused (403: lacks permission)',
  login_expired: 'cached login expired or needs login',
};

/** The AUTH layer's fail entry: one of the five states, each with its own hint. */
function authFailureLayer(e: McptestError, target: ServerTarget): LayerResult {
  const d = (e.details ?? {}) as Partial<AuthErrorDetails> & Record<string, unknown>;
  let state = (d.state as AuthState | undefined) ?? (e.code === 'needs_login' ? 'login_expired' : undefined);
  if (e.code === 'no_credentials') state = 'no_credentials';
  const serverUrl = d.serverUrl ?? (target.url ? canonicalServerUrl(target.url) : '');
  const envVar =
    (d.envVar as string | null | undefined) ?? target.bearerTokenEnv ?? target.oauth?.clientSecretEnv;
  let hint = e.hint;
  if (state === 'no_credentials')
    hint = `mcptest login ${serverUrl}   (or pass --bearer-token-env VAR naming an env var that holds a token)`;
  else if (state === 'env_unset')
    hint = target.oauth ? `export ${envVar}=<the client secret>` : `export ${envVar}=<a valid access token>`;
  else if (state === 'token_rejected')
    hint = target.bearerTokenEnv
      ? `export a fresh token into ${envVar} (the server rejected this one: expired, revoked or for another audience)`
      : target.oauth
        ? `check --token-url and --resource: the minted token is not accepted by ${serverUrl}`
        : `mcptest login ${serverUrl}`;
  else if (state === 'insufficient_scope') {
    const scope = (d.params as Record<string, string> | undefined)?.scope;
    hint = `get a token whose scope includes ${scope ? `\`${scope}\`` : 'what the server needs'} and whose audience is ${serverUrl}${target.oauth ? ` (e.g. --scope '${scope ?? ''}')` : ''}`;
  } else if (state === 'login_expired') hint = `mcptest login ${serverUrl}`;
  return {
    layer: 'auth',
    status: 'fail',
    summary: state ? `${STATE_TITLES[state]}${statusNote(d)}` : firstSentence(e.message),
    hint,
    errorCode: e.code,
    details: { state: state ?? null, ...d },
  };
}

function authPassLayer(
  target: ServerTarget,
  env: NodeJS.ProcessEnv,
  note: string | null,
  conn?: McpConnection,
): LayerResult {
  let summary: string;
  const source = conn?.authSource ?? authSourceName(target);
  if (target.bearerTokenEnv) {
    const token = bearerTokenFromEnv(env, target.bearerTokenEnv);
    summary = `bearer token from \`${target.bearerTokenEnv}\`${token ? ` (fingerprint ${fingerprint(token)})` : ''} accepted`;
  } else if (source === 'client_credentials')
    summary = `client-credentials token for \`${target.oauth?.clientId}\` minted by the daemon and accepted`;
  else if (source === 'login') summary = 'cached login token from the daemon accepted';
  else summary = 'no credentials sent, and the server asked for none';
  return {
    layer: 'auth',
    status: 'pass',
    summary: note ? `${summary.replace(/ accepted$/, '')}; ${note}` : summary,
    details: { source },
  };
}

function statusNote(d: Partial<AuthErrorDetails>): string {
  if (typeof d.status !== 'number') return '';
  const scope = d.params?.scope;
  return ` (HTTP ${d.status}${d.scheme ? `, server asks for ${d.scheme}` : ''}${scope ? ` with scope ${scope}` : ''})`;
}

function firstSentence(message: string): string {
  return message.split('\nDiagnose with:')[0].replace(/\s+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
