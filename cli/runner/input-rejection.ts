/**
 * The verdict of a `rejects_input: true` test: a tool call with deliberately bad arguments must be
 * refused, with a tool error (`isError: true`) or the JSON-RPC error -32602 (invalid params). The
 * -32602 may come as a JSON-RPC error response, or (2026-07-28 over HTTP) as the JSON-RPC body of
 * an HTTP 400; both are a refusal, not a transport failure. A success ("accepted garbage"),
 * another JSON-RPC error, or a crash or disconnect fails the test, naming the server and the tool.
 */
import { show } from './assertions.js';

/** JSON-RPC "Invalid params" (JSON-RPC 2.0 §5.1), what MCP servers answer bad tool arguments with. */
export const INVALID_PARAMS = -32602;

/** A JSON-RPC error carried by a thrown SDK error: its own code, or the body of an HTTP 4xx. */
export function rpcErrorOf(err: unknown): { code: number; message: string; status: number | null } | null {
  const e = err as { code?: unknown; message?: unknown; data?: { status?: unknown; text?: unknown } } | null;
  if (!e || typeof e !== 'object') return null;
  const status = typeof e.data?.status === 'number' ? e.data.status : null;
  if (typeof e.data?.text === 'string') {
    try {
      const body = JSON.parse(e.data.text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body?.error?.code === 'number') {
        const message = typeof body.error.message === 'string' ? body.error.message : '';
        return { code: body.error.code, message, status };
      }
    } catch {
      // not a JSON-RPC body: an HTTP failure of another kind
    }
  }
  // A JSON-RPC error code is negative; a positive number is an HTTP status (SDK 1.x).
  if (status === null && typeof e.code === 'number' && e.code < 0) {
    const message = typeof e.message === 'string' ? e.message.replace(/^(MCP error -?\d+: )+/, '') : '';
    return { code: e.code, message, status: null };
  }
  return null;
}

/** How the rejection came, for the test's content assertions (a -32602 reads as its message). */
export function refusalAsResult(rpc: { code: number; message: string }): {
  content: Array<{ type: string; text: string }>;
  isError: true;
} {
  return { content: [{ type: 'text', text: `MCP error ${rpc.code}: ${rpc.message}` }], isError: true };
}

/** `server "api" accepted garbage for tool "echo": …`, when a bad call answered a success. */
export function acceptedGarbage(server: string, tool: string, args: unknown, text: string): string {
  return `server "${server}" accepted garbage for tool "${tool}": the arguments ${show(args)} break its inputSchema, yet it answered a success (${show(text)}); expected a tool error or JSON-RPC -32602 (invalid params)`;
}

/** The failure when the server answered a bad call with another JSON-RPC error than -32602. */
export function otherRpcError(
  server: string,
  tool: string,
  rpc: { code: number; message: string; status: number | null },
): string {
  const http = rpc.status !== null ? ` (in an HTTP ${rpc.status})` : '';
  return `server "${server}" answered bad arguments for tool "${tool}" with JSON-RPC error ${rpc.code}${http}: ${show(rpc.message)}; expected a tool error or -32602 (invalid params)`;
}

/** The failure when the bad call crashed the server, cut the connection or never answered. */
export function crashedOnGarbage(server: string, tool: string, code: string, message: string): string {
  return `server "${server}" did not refuse bad arguments for tool "${tool}" properly: the call failed (${code}: ${message.split('\n')[0]}); a server should answer a tool error or JSON-RPC -32602 (invalid params), not crash, disconnect or hang`;
}
