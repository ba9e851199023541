/**
 * A long-lived bridge that started before the user logged in: its token source is "none", and
 * the host would have to restart it to notice a login. This source looks for a login again
 * before each request while it has none (a file check, then one daemon call), and from the first
 * login it finds on behaves as that login's source. Explicit credentials (a bearer token env var,
 * client credentials) are never replaced.
 */
import type { TokenSource } from '../mcp/credentials.js';

/** `first`, or, while it has no credentials, whatever `lookAgain` finds once a login exists. */
export function lateLogin(first: TokenSource, lookAgain: () => Promise<TokenSource>): TokenSource {
  if (first.input !== 'none') return first;
  let inner = first;
  let looking: Promise<void> | null = null;
  const look = () =>
    (looking ??= (async () => {
      const next = await lookAgain().catch(() => null);
      if (next && next.input !== 'none') {
        await inner.close();
        inner = next;
      } else await next?.close();
    })().finally(() => {
      looking = null;
    }));
  return new Proxy(first, {
    get(_target, key) {
      if (key === 'current')
        return async () => {
          if (inner.input === 'none') await look();
          return inner.current();
        };
      const value = (inner as unknown as Record<PropertyKey, unknown>)[key];
      return typeof value === 'function' ? value.bind(inner) : value;
    },
    set(_target, key, value) {
      (inner as unknown as Record<PropertyKey, unknown>)[key] = value;
      return true;
    },
  });
}
