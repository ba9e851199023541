import { createHash } from 'node:crypto';

/** Names a token without revealing it: the first 12 hex digits of its SHA-256. */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
