/**
 * What an error message keeps of the body a server sent with an HTTP error: an HTML page (a
 * proxy's or a framework's 404) is reduced to its title or first words, any body to a few
 * hundred characters on one line. The SDK puts the whole body into its error message.
 */

/** At most this many characters of a body in a message. */
export const BODY_EXCERPT_CHARS = 200;

export function bodyExcerpt(body: string): string {
  let text = body;
  if (/<(!doctype|html|head|body|title)\b/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    text = title
      ? `an HTML page titled "${title}"`
      : `an HTML page: ${text
          .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
          .replace(/<[^>]*>/g, ' ')
          .trim()}`;
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS)}… (cut)` : text;
}

/** An SDK transport error's message with the server's body, if any, cut down to an excerpt. */
export function httpErrorMessage(message: string): string {
  const m =
    /^((?:Streamable HTTP error: )?Error POSTing to endpoint(?: \(HTTP \d+\))?: |SSE error: )([\s\S]*)$/.exec(
      message,
    );
  return m ? `${m[1]}${bodyExcerpt(m[2])}` : bodyExcerpt(message);
}
