/**
 * Where a server's metadata may send the daemon. A protected-resource document, the
 * `resource_metadata` of a challenge and an authorization server's metadata are written by
 * whoever runs the server; the daemon fetches what they name from the user's machine, inside the
 * user's network. So a URL they name is fetched only when it stays in the zone of the server the
 * user chose: a server on the public Internet cannot make the daemon reach loopback or a private
 * network, a server on a private network cannot make it reach loopback. Same-origin URLs are
 * always allowed (the daemon already talks to that origin), plain HTTP only to loopback from a
 * loopback server, and URLs with credentials are never followed.
 *
 * @see MCP authorization spec 2025-11-25 §"Security Considerations" (SSRF)
 * @see RFC 9728 §7.7 (SSRF), RFC 8414 §2 (issuer: https, no query or fragment)
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { McptestError } from '../../shared/errors.js';
import { assertSecureUrl, isLoopbackHost } from '../../shared/server-url.js';

/** Where an address lives, from the inside out. */
export type AddressZone = 'loopback' | 'private' | 'public';

/** Resolves a host name to its addresses (the system resolver by default; tests inject one). */
export type Lookup = (hostname: string) => Promise<string[]>;

export const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

const ZONE_RANK: Record<AddressZone, number> = { public: 0, private: 1, loopback: 2 };

function blockList(ranges: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [net, prefix, type] of ranges) list.addSubnet(net, prefix, type);
  return list;
}

const LOOPBACK = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  // 0.0.0.0 reaches the local host on Linux and macOS.
  ['0.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['::', 128, 'ipv6'],
]);

const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  // Carrier-grade NAT (RFC 6598): as internal as the ranges above from a laptop on such a network.
  ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
]);

/** The zone of one IP address (IPv4-mapped IPv6 addresses count as their IPv4 address). */
export function addressZone(address: string): AddressZone {
  const ip = address.replace(/^\[|\]$/g, '');
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(ip, type)) return 'loopback';
  if (PRIVATE.check(ip, type)) return 'private';
  return 'public';
}

function innermost(zones: AddressZone[]): AddressZone {
  return zones.reduce<AddressZone>((a, b) => (ZONE_RANK[b] > ZONE_RANK[a] ? b : a), 'public');
}

/**
 * The zone of a host: of its literal address, else the innermost zone of every address it
 * resolves to (one loopback address among public ones is enough to count as loopback).
 */
export async function hostZone(
  hostname: string,
  lookup: Lookup,
): Promise<{ zone: AddressZone; addresses: string[] }> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return { zone: addressZone(host), addresses: [host] };
  if (isLoopbackHost(host)) return { zone: 'loopback', addresses: [host] };
  const addresses = await lookup(host);
  return { zone: innermost(addresses.map(addressZone)), addresses };
}

/** The server a URL came from: its canonical URL and its zone, as found by {@link serverZone}. */
export interface UrlSource {
  serverUrl: string;
  zone: AddressZone;
}

/** The zone of the MCP server the user chose; an unresolvable one counts as public (strictest). */
export async function serverZone(serverUrl: string, lookup: Lookup): Promise<UrlSource> {
  const zone = await hostZone(new URL(serverUrl).hostname, lookup).then(
    (z) => z.zone,
    () => 'public' as const,
  );
  return { serverUrl, zone };
}

export interface PeerUrlRules {
  /** RFC 8414 §2: an issuer has no query and no fragment. */
  issuer?: boolean;
  /** Refuse a query string on a URL of another origin than the server's (metadata URLs). */
  noCrossOriginQuery?: boolean;
}

function refused(what: string, url: string, why: string, hint: string, source: UrlSource): McptestError {
  return new McptestError(
    'peer_url_refused',
    `refusing the ${what} ${url} named by ${source.serverUrl}: ${why}`,
    {
      hint,
      details: { url, serverUrl: source.serverUrl, reason: why },
    },
  );
}

/**
 * Checks a URL taken from a server's or an authorization server's metadata before the daemon
 * fetches it (or keeps it for a later fetch). Returns the URL without its fragment. Throws
 * `peer_url_refused` (or `insecure_url` for plain HTTP off loopback) naming the URL and why.
 */
export async function checkPeerUrl(
  input: string,
  what: string,
  source: UrlSource,
  lookup: Lookup,
  rules: PeerUrlRules = {},
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refused(
      what,
      JSON.stringify(input),
      'not a URL',
      `look at the metadata of ${source.serverUrl}`,
      source,
    );
  }
  const shown = `${url.origin === 'null' ? `${url.protocol}…` : url.origin}${url.pathname}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw refused(
      what,
      shown,
      `the scheme ${url.protocol} is not https`,
      'only https URLs are followed',
      source,
    );
  }
  if (url.username || url.password) {
    throw refused(
      what,
      `${url.protocol}//…@${url.host}${url.pathname}`,
      'it carries a user name or password',
      'metadata URLs never carry credentials; ask the server operator to remove them',
      source,
    );
  }
  if (rules.issuer && (url.search || input.includes('#'))) {
    throw refused(
      what,
      shown,
      'an issuer has no query or fragment (RFC 8414 §2)',
      `ask the server operator to list the issuer itself in authorization_servers`,
      source,
    );
  }
  url.hash = '';
  const server = new URL(source.serverUrl);
  if (url.origin === server.origin) return url;
  if (rules.noCrossOriginQuery && url.search) {
    throw refused(
      what,
      shown,
      'a query string on a metadata URL of another origin',
      'metadata URLs of another origin are plain paths; ask the server operator to remove the query',
      source,
    );
  }
  assertSecureUrl(url, what);
  if (url.protocol === 'http:' && source.zone !== 'loopback') {
    throw refused(
      what,
      shown,
      'plain http to loopback, and the server is not on loopback',
      'a server off loopback may only name https URLs',
      source,
    );
  }
  let target: { zone: AddressZone; addresses: string[] };
  try {
    target = await hostZone(url.hostname, lookup);
  } catch (err) {
    throw new McptestError('idp_unavailable', `could not resolve ${url.hostname} (the ${what} ${shown})`, {
      hint: `check the name: getent hosts ${url.hostname}`,
      details: { transient: true },
      cause: err,
    });
  }
  if (ZONE_RANK[target.zone] > ZONE_RANK[source.zone]) {
    const at = target.addresses.join(', ');
    throw refused(
      what,
      shown,
      `${url.hostname} is ${at === url.hostname ? 'a' : `at ${at}, a`} ${target.zone} address, and the server is ${source.zone === 'public' ? 'on a public address' : 'on a private network'}; metadata may not point the daemon inside ${target.zone === 'loopback' ? 'this machine' : 'a private network'}`,
      'likely a misconfigured or hostile server; use an authorization server the server reaches publicly',
      source,
    );
  }
  return url;
}

/** C0 and C1 controls, DEL, whitespace, and the bidirectional and line-separator formatting marks. */
const UNSAFE_CHARS = /[\u0000-\u0020\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A foreign string as it may be shown: quoted, controls as `\xNN` / `\u{NNNN}`, at most 200 characters. */
export function visibleForm(text: string): string {
  const cut = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const shown = [...cut]
    .map((ch) =>
      ch !== ' ' && UNSAFE_CHARS.test(ch)
        ? (ch.codePointAt(0) as number) <= 0xff
          ? `\\x${(ch.codePointAt(0) as number).toString(16).padStart(2, '0')}`
          : `\\u{${(ch.codePointAt(0) as number).toString(16)}}`
        : ch,
    )
    .join('');
  return `"${shown}"`;
}

/**
 * Checks a `verification_uri` or `verification_uri_complete` from a device authorization answer:
 * it is shown to a human to open, so it must be a plain `https` URL (or `http` on loopback),
 * without credentials (`https://idp.example@evil.example/`), control characters or whitespace.
 * Throws `peer_url_refused` naming the answer, escaped.
 * @see RFC 8628 §3.2, §5.4 (remote phishing)
 */
export function checkVerificationUri(
  value: unknown,
  field: string,
  issuer: string,
  serverUrl: string,
): string {
  const refuse = (why: string) =>
    new McptestError(
      'peer_url_refused',
      `the authorization server ${issuer} answered the device authorization request with ${field} ${visibleForm(String(value))}, ${why}; the login was not started`,
      {
        hint: `the device endpoint of ${issuer} is misconfigured or hostile; log in with a browser instead: mcptest login --no-browser ${serverUrl}`,
        details: { field, issuer },
      },
    );
  if (typeof value !== 'string') throw refuse('which is not a string');
  if (UNSAFE_CHARS.test(value)) throw refuse('which contains control characters or whitespace');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('which is not a URL');
  }
  if (url.username || url.password) throw refuse('which carries a user name or password');
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return value;
  throw refuse('which is not an https URL (plain http is allowed on loopback only)');
}
