/**
 * Doctor's view of the two MCP eras: the server's `server/discover` answer (its supported
 * versions, capabilities and extensions), and whether each era's clients are served. What the
 * main connection did not speak is tried on a second, separate connection pinned to that era:
 * 2026-07-28 after a 2025 session, 2025-11-25 after a modern one. A refusal there is a finding,
 * never a failure of doctor: a modern-only server (`legacy: 'reject'`) refuses 2025 clients by
 * design, and a legacy-only server speaks only the 2025 era.
 * @see MCP spec 2026-07-28 "Lifecycle" (server/discover), "Versioning" (backwards compatibility)
 */
import { toMcptestError } from '../../shared/errors.js';
import { type McpConnection, connectToServer } from '../mcp/connect.js';
import type { DiscoverInfo } from '../mcp/connect.js';
import type { ConnectIo, ServerTarget } from '../mcp/target.js';
import type { EraFindings, LayerResult } from './report.js';

export const MODERN_VERSION = '2026-07-28';
/** The 2025 version a legacy client is pinned to when doctor checks legacy clients. */
export const LEGACY_VERSION = '2025-11-25';

/** Connects a second time, pinned to `protocol`; the connection, or why it was refused. */
async function pinned(
  target: ServerTarget,
  io: ConnectIo,
  protocol: NonNullable<ServerTarget['protocol']>,
): Promise<{ conn: McpConnection } | { refused: boolean; message: string; code: string }> {
  try {
    return { conn: await connectToServer({ ...target, protocol }, { ...io, interactive: false }) };
  } catch (err) {
    const e = toMcptestError(err);
    const refused = e.code === 'protocol_unsupported';
    // "<url> does not speak MCP X (asked with --protocol X): <why>": doctor asked, not the user.
    const message = refused ? e.message.replace(/^.*? \(asked with --protocol [^)]*\): /, '') : e.message;
    return { refused, message, code: e.code };
  }
}

/** The discover and legacy layers, and the findings for `--json`. */
export async function eraLayers(
  conn: McpConnection,
  target: ServerTarget,
  io: ConnectIo,
): Promise<{ layers: LayerResult[]; findings: EraFindings }> {
  const findings: EraFindings = {
    era: conn.era,
    version: conn.protocolVersion ?? null,
    transport: conn.transport,
    modern: conn.era === 'modern' ? 'served' : 'unknown',
    legacy: conn.era === 'legacy' ? 'served' : 'unknown',
    legacyVersion: conn.era === 'legacy' ? (conn.protocolVersion ?? null) : null,
    supportedVersions: null,
    capabilities: null,
    extensions: null,
  };
  return {
    layers: [await discoverLayer(conn, target, io, findings), await legacyLayer(conn, target, io, findings)],
    findings,
  };
}

async function discoverLayer(
  conn: McpConnection,
  target: ServerTarget,
  io: ConnectIo,
  findings: EraFindings,
): Promise<LayerResult> {
  let discover = conn.discover;
  let note = '';
  if (!discover && conn.era === 'legacy') {
    // A 2025 session says nothing of the modern era: ask on a connection of its own.
    const modern = await pinned(target, io, MODERN_VERSION);
    if ('conn' in modern) {
      discover = modern.conn.discover;
      findings.modern = 'served';
      note = ` (asked on a separate ${MODERN_VERSION} connection)`;
      await modern.conn.close();
    } else if (modern.refused || modern.code === 'server_error') {
      findings.modern = 'refused';
      return {
        layer: 'discover',
        status: 'warn',
        summary: `the server speaks only the 2025 era (MCP ${conn.protocolVersion ?? 'unknown'}): a ${MODERN_VERSION} client is refused (no server/discover)`,
        hint: `servers on the MCP SDK v2 serve both eras; until then clients pin a 2025 version: --protocol ${conn.protocolVersion ?? LEGACY_VERSION}`,
        details: { served: false, error: modern.message, errorCode: modern.code },
      };
    } else {
      return {
        layer: 'discover',
        status: 'warn',
        summary: `could not tell whether ${MODERN_VERSION} clients are served: ${modern.message}`,
        details: { served: null, error: modern.message, errorCode: modern.code },
      };
    }
  }
  if (!discover) {
    return {
      layer: 'discover',
      status: 'warn',
      summary: `connected in the ${conn.era} era, but the server/discover answer was not kept`,
      details: { served: findings.modern === 'served' },
    };
  }
  findings.supportedVersions = discover.supportedVersions;
  findings.capabilities = discover.capabilities;
  findings.extensions = discover.extensions ?? null;
  return {
    layer: 'discover',
    status: 'pass',
    summary: `${describeDiscover(discover)}${note}`,
    details: {
      served: true,
      supportedVersions: discover.supportedVersions,
      capabilities: discover.capabilities,
      extensions: discover.extensions ?? {},
      serverInfo: discover.serverInfo ?? null,
      ...(discover.instructions ? { instructions: discover.instructions } : {}),
    },
  };
}

function describeDiscover(d: DiscoverInfo): string {
  const caps = Object.keys(d.capabilities ?? {}).sort();
  const ext = Object.keys(d.extensions ?? {}).sort();
  return `versions ${d.supportedVersions.join(', ') || 'none listed'}; capabilities: ${caps.join(', ') || 'none'}; extensions: ${ext.join(', ') || 'none'}`;
}

async function legacyLayer(
  conn: McpConnection,
  target: ServerTarget,
  io: ConnectIo,
  findings: EraFindings,
): Promise<LayerResult> {
  if (conn.era === 'legacy') {
    return {
      layer: 'legacy',
      status: 'pass',
      summary: `served: this connection is a 2025 session (MCP ${conn.protocolVersion ?? 'unknown'})`,
      details: { served: true, version: conn.protocolVersion ?? null },
    };
  }
  const legacy = await pinned(target, io, LEGACY_VERSION);
  if ('conn' in legacy) {
    findings.legacy = 'served';
    findings.legacyVersion = legacy.conn.protocolVersion ?? LEGACY_VERSION;
    await legacy.conn.close();
    return {
      layer: 'legacy',
      status: 'pass',
      summary: `served: a separate ${LEGACY_VERSION} client initialized (MCP ${findings.legacyVersion})`,
      details: { served: true, version: findings.legacyVersion },
    };
  }
  if (legacy.refused || legacy.code === 'server_error') {
    findings.legacy = 'refused';
    return {
      layer: 'legacy',
      status: 'pass',
      summary: `refused: a modern-only server; to a ${LEGACY_VERSION} client (initialize) ${legacy.message}`,
      details: { served: false, version: LEGACY_VERSION, error: legacy.message, errorCode: legacy.code },
    };
  }
  return {
    layer: 'legacy',
    status: 'warn',
    summary: `could not tell whether 2025 clients are served: ${legacy.message}`,
    details: { served: null, version: LEGACY_VERSION, error: legacy.message, errorCode: legacy.code },
  };
}
