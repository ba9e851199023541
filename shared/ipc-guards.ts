/**
 * Zod-free readers for the two daemon answers every CLI process waits on (the health handshake
 * and a token) and for the token request the daemon reads most (one without client
 * credentials; one with them is read with its zod schema, loaded then). Loading zod costs a CLI process about 50 ms of CPU, more than the rest of
 * `mcptest auth token` together, and 64 processes starting at once pay it 64 times; so these two
 * answers are checked by hand and zod is loaded only for the others. `test/unit/ipc-guards.test.ts`
 * holds each reader to its schema in ipc-schemas.ts: same verdict, same output, on fuzzed input.
 */
import { McptestError } from './errors.js';
import type { HealthResponse, ParsedTokenRequest, TokenResponse } from './ipc-schemas.js';

type Check = (v: unknown) => boolean;

const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isInt: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v);
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
const oneOf =
  (...values: unknown[]): Check =>
  (v) =>
    values.includes(v);

/** A field that may be absent (zod's `.optional()`): kept only when the input has it. */
interface Optional {
  optional: Check;
}
const optional = (check: Check): Optional => ({ optional: check });

/** Reads an object with exactly these fields (unknown ones are dropped, as zod's z.object does). */
function reader<T>(shape: Record<keyof T & string, Check | Optional>) {
  const keys = Object.keys(shape) as Array<keyof T & string>;
  return (data: unknown, what: string): T => {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw invalid(what, '(root)');
    }
    const record = data as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const has = Object.hasOwn(record, key);
      const value = has ? record[key] : undefined;
      const field = shape[key];
      if (typeof field === 'function') {
        if (!field(value)) throw invalid(what, key);
        out[key] = value;
      } else if (value !== undefined) {
        if (!field.optional(value)) throw invalid(what, key);
        out[key] = value;
      } else if (has) out[key] = value;
    }
    return out as T;
  };
}

function invalid(what: string, field: string): McptestError {
  return new McptestError('invalid_request', `invalid ${what}: ${field}: unexpected value`, {
    details: { issues: [{ path: field === '(root)' ? [] : [field], message: 'unexpected value' }] },
  });
}

export const readHealthResponse = reader<HealthResponse>({
  name: oneOf('mcptest-authd'),
  version: isString,
  api: isInt,
  pid: isInt,
  startedAt: isNumber,
  managedBy: oneOf('self', 'systemd'),
});

export const readTokenResponse = reader<TokenResponse>({
  accessToken: isString,
  tokenType: isString,
  expiresAt: orNull(isNumber),
  scope: orNull(isString),
  fingerprint: isString,
  source: isString,
});

const isUrl: Check = (v) => typeof v === 'string' && v.length >= 1 && v.length <= 2048;

/**
 * A token request without client credentials (`TokenRequest` of ipc-schemas.ts). One that
 * names client credentials must be read with the schema: `namesClientCredentials` says which.
 */
export const readTokenRequest = reader<Omit<ParsedTokenRequest, 'clientCredentials'>>({
  serverUrl: isUrl,
  minTtlSeconds: optional((v) => isInt(v) && (v as number) >= 0 && (v as number) <= 86400),
  rejectedFingerprint: optional((v) => typeof v === 'string' && /^[0-9a-f]{12}$/.test(v)),
});

/** Whether a token request names client credentials (then only its zod schema reads it). */
export function namesClientCredentials(data: unknown): boolean {
  return (
    typeof data === 'object' &&
    data !== null &&
    Object.hasOwn(data, 'clientCredentials') &&
    (data as { clientCredentials?: unknown }).clientCredentials !== undefined
  );
}
