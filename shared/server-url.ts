import { McptestError } from './errors.js';

/**
 * The canonical form of a server URL, used as the key of everything stored for that server:
 * lower-case scheme and host, no default port, no fragment, no trailing slash.
 * @see RFC 8707 §2 (resource indicators), MCP authorization spec §"Canonical Server URI"
 */
export function canonicalServerUrl(input: string): string {
  const known = canonical.get(input);
  if (known !== undefined) return known;
  const out = canonicalize(input);
  // The daemon canonicalizes the URL of every token request: parse each (short) URL once.
  if (input.length <= 2048) {
    if (canonical.size >= 512) canonical.clear();
    canonical.set(input, out);
  }
  return out;
}

const canonical = new Map<string, string>();

function canonicalize(input: string): string {
  assertHasScheme(input, 'server URL');
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new McptestError('invalid_url', `not a URL: ${JSON.stringify(input)}`, {
      hint: 'give the full server URL, for example https://mcp.example.com/mcp',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new McptestError('invalid_url', `unsupported URL scheme ${url.protocol} in ${input}`, {
      hint: 'MCP servers are reached over https:// (or http:// on loopback)',
    });
  }
  if (url.username || url.password) {
    throw new McptestError('invalid_url', 'server URLs must not carry a user name or password', {
      hint: 'remove the user:password@ part; credentials go in env vars or `mcptest login`',
    });
  }
  url.hash = '';
  let out = `${url.protocol}//${url.host}${url.pathname}`;
  if (out.endsWith('/')) out = out.slice(0, -1);
  return out + url.search;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost')) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `localhost:8080/mcp` parses as a URL of scheme `localhost:`; say what was meant instead of
 * complaining about that scheme.
 */
function assertHasScheme(input: string, what: string): void {
  const text = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text === '') return;
  const host = text.split(/[/?#]/, 1)[0].replace(/:\d+$/, '');
  const scheme = isLoopbackHost(host) ? 'http' : 'https';
  throw new McptestError('invalid_url', `${what} ${JSON.stringify(text)} has no scheme`, {
    hint: `use ${scheme}://${text}`,
  });
}

/** HTTPS is required for every URL that is not on the loopback interface. */
export function assertSecureUrl(input: string | URL, what = 'URL'): URL {
  if (typeof input === 'string') assertHasScheme(input, what);
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : input;
  } catch {
    throw new McptestError('invalid_url', `${what} is not a URL: ${JSON.stringify(String(input))}`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new McptestError(
    'insecure_url',
    `${what} ${url.href} must use https (plain http is allowed on loopback only)`,
    {
      hint: `use https://${url.host}${url.pathname}`,
    },
  );
}

export function sameOrigin(a: string | URL, b: string | URL): boolean {
  return new URL(a).origin === new URL(b).origin;
}
