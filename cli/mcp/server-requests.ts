/**
 * Requests a server may send its client that mcptest cannot answer: sampling (it has no model),
 * elicitation (no form to show) and roots (no workspace). mcptest declares none of these
 * capabilities; the answer stays JSON-RPC -32601 as the spec wants, but its message says what
 * was asked and why nobody answers, so a tool that relays it reads as that rather than as a
 * bare "Method not found".
 * @see MCP spec 2025-11-25 §"Client Features" (sampling, elicitation, roots)
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

const WHY: Record<string, string> = {
  'sampling/createMessage':
    'sampling (an LLM completion): mcptest has no model and declares no sampling capability',
  'elicitation/create':
    'elicitation (input from the user): mcptest shows no forms and declares no elicitation capability',
  'roots/list': 'roots: mcptest declares no roots capability',
};

/** Makes `client` answer server-sent requests it has no handler for with a message naming them. */
export function declineServerRequests<C extends Client>(client: C): C {
  client.fallbackRequestHandler = async (request) => {
    const why = WHY[request.method] ?? `${request.method}: mcptest does not answer this request`;
    throw new McpError(ErrorCode.MethodNotFound, `the client cannot answer ${why}`);
  };
  return client;
}
