/**
 * What the bridge says about the JSON-RPC messages it forwards: one line per message for
 * `--verbose` (kind, method, id; never params, so never a token or an argument), and the error
 * response it answers a request with when the server cannot be asked.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import type { McptestError } from '../../shared/errors.js';

/**
 * The JSON-RPC error code of the bridge's own answers: in the range JSON-RPC 2.0 §5.1 leaves to
 * implementations, apart from the SDK's -32001 (request timeout).
 */
export const BRIDGE_ERROR_CODE = -32000;

type Id = string | number;

/** The id of a request (a message with a method and an id), or null. */
export function requestId(message: JSONRPCMessage): Id | null {
  return 'method' in message && 'id' in message && message.id !== undefined ? (message.id as Id) : null;
}

/** `request tools/call id=2`, `notification notifications/initialized`, `response id=2`, `error id=2`. */
export function describeMessage(message: JSONRPCMessage): string {
  const id = 'id' in message && message.id !== undefined ? ` id=${JSON.stringify(message.id)}` : '';
  if ('method' in message) return `${'id' in message ? 'request' : 'notification'} ${message.method}${id}`;
  return `${'error' in message ? 'error' : 'response'}${id}`;
}

/** The answer to request `id`: the error's message, with its code and hint as data. */
export function errorResponse(id: Id, err: McptestError): JSONRPCMessage {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: BRIDGE_ERROR_CODE,
      message: err.hint && !err.message.includes(err.hint) ? `${err.message} (${err.hint})` : err.message,
      data: { code: err.code, ...(err.hint ? { hint: err.hint } : {}), ...loginCommands(err) },
    },
  };
}

/** The login commands a missing login's error names (run-bridge.ts), for a host or agent to show. */
function loginCommands(err: McptestError): Record<string, string> {
  const d = (err.details ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const key of ['loginCommand', 'deviceLoginCommand'])
    if (typeof d[key] === 'string') out[key] = d[key] as string;
  return out;
}
