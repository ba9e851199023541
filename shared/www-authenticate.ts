/**
 * A forgiving parser for the WWW-Authenticate response header: several challenges, auth-params
 * with token or quoted-string values (backslash escapes), token68. Garbage never throws: the
 * parser keeps what it can read and skips the rest, because an auth error must still be useful
 * when a server sends a malformed header.
 * @see RFC 9110 §11.6.1 (WWW-Authenticate), §11.2 (challenge grammar), RFC 6750 §3 (Bearer)
 */

/** One challenge: `Bearer realm="mcp", scope="mcp:read"`. Parameter names are lower-cased. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
  /** The token68 form (`Basic abc==`), when the challenge uses it. */
  token68?: string;
}

const WS = new Set([' ', '\t', '\r', '\n']);
/** Characters that end a token: separators of the challenge grammar. */
const TOKEN_END = new Set([' ', '\t', '\r', '\n', ',', '=', '"', ';']);

/** Parses a WWW-Authenticate header value (or several joined by commas). Never throws. */
export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge[] {
  if (typeof header !== 'string') return [];
  const text = header.slice(0, 16_384);
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | null = null;
  let i = 0;

  const skipWs = () => {
    while (i < text.length && WS.has(text[i])) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < text.length && !TOKEN_END.has(text[i])) i++;
    return text.slice(start, i);
  };
  const readQuoted = () => {
    i++; // opening quote
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      out += text[i];
      i++;
    }
    i++; // closing quote (or end of text for an unterminated string)
    return out;
  };

  while (i < text.length) {
    skipWs();
    if (text[i] === ',' || text[i] === ';') {
      i++;
      continue;
    }
    if (i >= text.length) break;
    if (text[i] === '"') {
      readQuoted(); // a stray quoted string: skip it
      continue;
    }
    const name = readToken();
    if (!name) {
      i++; // a lone '=' or other separator: skip it
      continue;
    }
    skipWs();
    if (text[i] !== '=') {
      current = { scheme: name, params: {} };
      challenges.push(current);
      continue;
    }
    // `name=` : an auth-param, or a token68 ending in '=' padding.
    let equals = 0;
    while (text[i] === '=') {
      equals++;
      i++;
    }
    skipWs();
    const atEnd = i >= text.length || text[i] === ',';
    if (current && Object.keys(current.params).length === 0 && !current.token68 && (atEnd || equals > 1)) {
      current.token68 = name + '='.repeat(equals);
      continue;
    }
    const value = text[i] === '"' ? readQuoted() : readToken();
    if (!current) {
      // Parameters before any scheme: keep them on a nameless challenge rather than drop them.
      current = { scheme: '', params: {} };
      challenges.push(current);
    }
    const key = name.toLowerCase();
    if (!Object.hasOwn(current.params, key)) current.params[key] = value;
  }
  return challenges;
}

/** The Bearer challenge if there is one, else the first challenge, else null. */
export function primaryChallenge(challenges: AuthChallenge[]): AuthChallenge | null {
  return challenges.find((c) => c.scheme.toLowerCase() === 'bearer') ?? challenges[0] ?? null;
}

/** `Bearer (realm="mcp", scope="mcp:read")`: a challenge as the auth error shows it. */
export function describeChallenge(challenge: AuthChallenge): string {
  const parts = Object.entries(challenge.params).map(([k, v]) => `${k}=${JSON.stringify(clip(v, 200))}`);
  if (challenge.token68) parts.unshift(clip(challenge.token68, 40));
  const scheme = challenge.scheme || '(no scheme)';
  return parts.length ? `${scheme} (${parts.join(', ')})` : scheme;
}

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** The parameters of the Bearer challenge (`resource_metadata`, `scope`, `error`, …), if any. */
export function bearerChallengeParams(header: string | null | undefined): Record<string, string> {
  return parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === 'bearer')?.params ?? {};
}
