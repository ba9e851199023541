/**
 * The options of every request the daemon sends through oauth4webapi (token, revocation, device
 * authorization and registration endpoints): the injected fetch with its answer read within a
 * size limit, a timeout, and plain HTTP on loopback only.
 */
import * as oauth from 'oauth4webapi';
import { assertSecureUrl, isLoopbackHost } from '../../shared/server-url.js';
import { BODY_LIMITS, boundedFetch, type FetchLike } from './bounded-body.js';

export interface RequestOptionsFor {
  /** Most bytes of the answer read; a token endpoint's limit unless said. */
  limit?: number;
  /** What the answer is called in a `response_too_large` error. */
  what?: string;
  /** What the URL is called in an `insecure_url` error. */
  endpoint?: string;
}

/** oauth4webapi options for one request to `url`. */
export function requestOptions(
  ctx: { fetch: FetchLike; timeoutMs: number },
  url: string,
  options: RequestOptionsFor = {},
): Record<string | symbol, unknown> {
  const u = assertSecureUrl(url, options.endpoint ?? 'token endpoint');
  return {
    signal: AbortSignal.timeout(ctx.timeoutMs),
    [oauth.customFetch]: boundedFetch(
      ctx.fetch,
      options.limit ?? BODY_LIMITS.token,
      options.what ?? 'answer',
    ),
    ...(u.protocol === 'http:' && isLoopbackHost(u.hostname) ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}
