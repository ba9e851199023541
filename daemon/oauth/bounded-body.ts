/**
 * Every body the daemon reads from a peer (metadata, registration, token and device answers) is
 * read with a byte limit fit for its kind: a `Content-Length` over the limit is refused before a
 * byte is read, and a body that streams past it is cancelled there. A hostile or broken peer can
 * then cost the daemon at most the limit, not its memory.
 */
import { McptestError } from '../../shared/errors.js';

/** Byte limits per kind of peer body. Real documents are a few KiB. */
export const BODY_LIMITS = {
  /** RFC 9728 protected-resource and RFC 8414 / OpenID authorization-server metadata. */
  metadata: 256 * 1024,
  /** RFC 7591 registration answers. */
  registration: 64 * 1024,
  /** Token, device authorization (RFC 8628) and revocation answers. */
  token: 64 * 1024,
} as const;

/** Statuses whose Response may not carry a body. */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function tooLarge(url: string, what: string, limit: number, res: Response, size: string): McptestError {
  // A huge error page from a failing IdP is still a failing IdP: 5xx and 429 stay transient.
  const transient = res.status >= 500 || res.status === 429;
  return new McptestError(
    'response_too_large',
    `the ${what} from ${url} (HTTP ${res.status}) is ${size}, over the ${limit / 1024} KiB limit; it was not read`,
    {
      hint: `look at what it sends: curl -s ${url} | head -c 1000`,
      details: { transient, status: res.status, limitBytes: limit, url },
    },
  );
}

/**
 * Reads a response body, at most `limit` bytes of it: refuses a larger `Content-Length` at once
 * and cancels a stream that goes past the limit. Counts the bytes after content decoding, so a
 * small compressed body that inflates to gigabytes is stopped too.
 */
export async function readBoundedBody(
  res: Response,
  limit: number,
  what: string,
  url: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(url, what, limit, res, `${declared.trim()} bytes by its Content-Length`);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, what, limit, res, `more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * A fetch whose responses are read in full, within `limit`, before the caller sees them: for
 * callers that parse bodies themselves (oauth4webapi). The answer is a new Response with the same
 * status and headers around the bytes read.
 */
/** What the daemon fetches peers with (the global fetch, or a test's). */
export type FetchLike = typeof fetch;

export function boundedFetch(fetch: FetchLike, limit: number, what: string): FetchLike {
  return async (input, init) => {
    const res = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const bytes = await readBoundedBody(res, limit, what, url.split('?')[0]);
    const headers = new Headers(res.headers);
    // The bytes are decoded already; the copy must not claim otherwise.
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response(NULL_BODY_STATUS.has(res.status) ? null : bytes, {
      status: res.status,
      statusText: res.statusText,
      headers,
    });
  };
}
