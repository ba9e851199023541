/**
 * A stand-in browser for the test IdP: it follows the provider's real redirects and pages with a
 * cookie jar, so authorization codes and device codes get approved without a human.
 */

/** Cookies by name; paths are ignored, which is enough for one provider on one origin. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Stores (or removes, when expired) every cookie a response sets. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, val = ''] = attribute.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export interface ApproveOptions {
  /** Deny instead of approve: the interaction handler answers `access_denied`. */
  deny?: boolean;
  /** Cookie jar to use; a fresh one by default. */
  jar?: CookieJar;
  /** Upper bound on redirects followed. */
  maxRedirects?: number;
}

/** Marks an interaction URL so the test IdP's interaction handler denies it. */
export const DENY_PARAM = 'deny';

/**
 * Requests `url` with the jar's cookies and without following redirects.
 */
export async function browserFetch(url: string, jar: CookieJar, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(response);
  return response;
}

/**
 * Follows redirects from `url` (a GET) through the authorization server's own pages, staying on
 * the origin of `url`, and returns the first redirect that leaves that origin (the client's
 * `redirect_uri?code=...&state=...&iss=...`) without requesting it.
 *
 * Interaction URLs (`/interaction/<uid>`) get `?deny=1` appended when `deny` is set; the test IdP's
 * handler then finishes the interaction with `access_denied`.
 * @see RFC 6749 §4.1.2
 */
export async function approveInBrowser(url: string, options: ApproveOptions = {}): Promise<string> {
  const jar = options.jar ?? new CookieJar();
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; hop < (options.maxRedirects ?? 20); hop++) {
    const response = await browserFetch(current, jar);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, current);
      await response.body?.cancel();
      if (next.origin !== origin) return next.href;
      if (options.deny && next.pathname.startsWith('/interaction/')) next.searchParams.set(DENY_PARAM, '1');
      current = next.href;
      continue;
    }
    const body = await response.text();
    throw new Error(
      `approveInBrowser: ${new URL(current).pathname} answered ${response.status} instead of a redirect: ${body.slice(0, 300)}`,
    );
  }
  throw new Error('approveInBrowser: too many redirects');
}
