/**
 * Zod-free readers for the two daemon answers every CLI process waits on: the health handshake
 * and a token. Loading zod costs a CLI process about 50 ms of CPU, more than the rest of
 * `mcptest auth token` together, and 64 processes starting at once pay it 64 times; so these two
 * answers are checked by hand and zod is loaded only for the others. `test/unit/ipc-guards.test.ts`
 * holds each reader to its schema in ipc-schemas.ts: same verdict, same output, on fuzzed input.
 */
import { McptestError } from './errors.js';
import type { HealthResponse, TokenResponse } from './ipc-schemas.js';

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

/** Reads an object with exactly these fields (unknown ones are dropped, as zod's z.object does). */
function reader<T>(shape: Record<keyof T & string, Check>) {
  const keys = Object.keys(shape) as Array<keyof T & string>;
  return (data: unknown, what: string): T => {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw invalid(what, '(root)');
    }
    const record = data as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const value = Object.hasOwn(record, key) ? record[key] : undefined;
      if (!shape[key](value)) throw invalid(what, key);
      out[key] = value;
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
