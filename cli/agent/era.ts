/**
 * Which MCP era the verbs speak to the server under test: the `protocol` input every verb that
 * reaches a server takes (the CLI's `--protocol`, passed as `ServerTarget.protocol`), and the
 * `protocol` output naming the era and version a connection used.
 * @see MCP spec 2026-07-28 "Versioning" (server/discover, per-request protocol version)
 */
import { z } from 'zod';
import type { McpConnection } from '../mcp/connect.js';
import { PROTOCOL_CHOICES } from '../mcp/target-options.js';

export const ProtocolInput = z
  .enum(PROTOCOL_CHOICES)
  .optional()
  .describe(
    'Which MCP revision to speak to the server: "auto" (default: 2026-07-28 when the server offers it, else the 2025 initialize handshake) or exactly one version; a server that refuses a pinned version fails naming the versions it supports.',
  );

export const ProtocolOut = z
  .object({
    era: z
      .enum(['modern', 'legacy'])
      .describe('modern: 2026-07-28 (no initialize, stateless); legacy: a 2025 initialize session.'),
    version: z.string().nullable().describe('The protocol version the connection used.'),
    transport: z.enum(['streamable-http', 'sse', 'stdio']),
  })
  .describe('The era and version this call spoke to the server.');
export type ProtocolOut = z.infer<typeof ProtocolOut>;

/** The `protocol` output of a verb that used `conn`. */
export function protocolOf(conn: McpConnection): ProtocolOut {
  return { era: conn.era, version: conn.protocolVersion ?? null, transport: conn.transport };
}
