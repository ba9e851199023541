/**
 * Reading a 403 scope challenge (RFC 6750 §3.1 `insufficient_scope`) and the scope to ask for
 * next: what is held plus what the server requires. Used by the browser step-up of a login and
 * by the re-mint of a client-credentials token.
 */
import { bearerChallengeParams } from '../../shared/www-authenticate.js';

/** The scope challenge of a 403, or null when the header is not `error="insufficient_scope"`. */
export function insufficientScope(
  wwwAuthenticate: string | null | undefined,
): { required: string | null } | null {
  const params = bearerChallengeParams(wwwAuthenticate);
  if (params.error !== 'insufficient_scope') return null;
  const required = params.scope?.trim();
  return { required: required ? required : null };
}

/**
 * The scopes to ask for: what is held (by a login or a client) plus what the server requires,
 * order kept.
 * `offline_access` is left out: the daemon adds it by itself when the server offers it.
 */
export function stepUpScopes(
  granted: string | null | undefined,
  required: string | null | undefined,
): string {
  const out: string[] = [];
  for (const s of [granted, required])
    for (const part of (s ?? '').split(/\s+/))
      if (part && part !== 'offline_access' && !out.includes(part)) out.push(part);
  return out.join(' ');
}
