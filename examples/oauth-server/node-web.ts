/**
 * node:http ↔ web `Request` / `Response`, for mounting the SDK 2.x HTTP entry (a fetch-shaped
 * handler) on a plain node server. (`@modelcontextprotocol/node`'s `toNodeHandler` does this job;
 * it is not a dependency of this project.) Response bodies are streamed, so SSE works, and the
 * request's signal aborts when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The web `Request` for a node request whose body (if any) was already read into `body`. */
export function toWebRequest(
  req: IncomingMessage,
  url: string,
  body: Buffer | undefined,
  res: ServerResponse,
): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const method = req.method ?? 'GET';
  return new Request(url, {
    method,
    headers,
    signal: abort.signal,
    ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body: new Uint8Array(body) } : {}),
  });
}

/** Writes a web `Response` to a node response, streaming its body until it ends or the client leaves. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  res.on('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    }
  } catch {
    // The client went away or the stream failed: nothing more to send.
  } finally {
    res.off('close', stop);
    res.end();
  }
}
