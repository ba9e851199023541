/**
 * Which MCP era a connection speaks and how it is negotiated. `--protocol auto` (the default)
 * lets the SDK probe with `server/discover` and fall back to the 2025 `initialize` handshake;
 * `2026-07-28` pins the modern era (no fallback); a 2025 version runs the legacy handshake
 * offering exactly that version and nothing else. Also: building the client with those options
 * and the answering handlers, reading what was negotiated, and the one `protocol_unsupported`
 * error for a server that refuses a pinned version, naming what it does support.
 * @see MCP spec 2026-07-28 basic/lifecycle (server/discover), 2025-11-25 basic/lifecycle (initialize)
 */
import type { Client, ClientOptions } from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import { VERSION } from '../../shared/version.js';
import { unsupportedVersions } from './explain-error.js';
import { answerCapabilities, answerServerRequests, MAX_INPUT_ROUNDS } from './server-requests.js';
import { targetFlags } from './target-flags.js';
import type { Ask, ConnectIo, ProtocolChoice, ProtocolEra, ServerTarget } from './target.js';

/** The modern revision mcptest speaks. */
export const MODERN_VERSION = '2026-07-28';

/** The parts of a `server/discover` result mcptest shows and asserts on. */
export interface DiscoverInfo {
  supportedVersions: string[];
  capabilities: Record<string, unknown>;
  serverInfo?: { name: string; version: string; title?: string };
  extensions?: Record<string, unknown>;
  instructions?: string;
}

/** What a connection negotiated. */
export interface Negotiated {
  era: ProtocolEra;
  protocolVersion: string | undefined;
  discover: DiscoverInfo | undefined;
}

/**
 * How long a stdio server gets to answer the `server/discover` probe of `auto` before it is taken
 * for a 2025 server that ignores requests before `initialize` (over HTTP silence is an outage,
 * and the request timeout applies).
 */
export const STDIO_PROBE_TIMEOUT_MS = 10_000;

/** The client options that ask for `choice`; `stdioTimeoutMs` bounds the probe on stdio. */
export function negotiationOptions(
  choice: ProtocolChoice | undefined,
  stdioTimeoutMs?: number,
): Partial<ClientOptions> {
  const pick = choice ?? 'auto';
  if (pick === 'auto') {
    const probe =
      stdioTimeoutMs === undefined
        ? {}
        : { probe: { timeoutMs: Math.min(stdioTimeoutMs, STDIO_PROBE_TIMEOUT_MS) } };
    return { versionNegotiation: { mode: 'auto', ...probe } };
  }
  if (pick === MODERN_VERSION) return { versionNegotiation: { mode: { pin: MODERN_VERSION } } };
  // The legacy handshake offers the first 2025 entry and accepts only the listed ones.
  return { versionNegotiation: { mode: 'legacy' }, supportedProtocolVersions: [pick] };
}

/**
 * A v2 client for `target`: the era negotiation it asks for, the capabilities mcptest can
 * answer, the answering handlers, the bound on `input_required` rounds.
 */
export async function newClient(
  target: ServerTarget,
  io: ConnectIo,
  asks: Ask[],
  where: string,
  stdioTimeoutMs?: number,
): Promise<Client> {
  const { Client } = await import('@modelcontextprotocol/client');
  const client: Client = new Client(
    { name: 'mcptest', version: VERSION },
    {
      ...negotiationOptions(target.protocol, stdioTimeoutMs),
      capabilities: answerCapabilities(io),
      inputRequired: { maxRounds: MAX_INPUT_ROUNDS },
    },
  );
  return answerServerRequests(client, { io, asks, where, era: () => client.getProtocolEra() });
}

/** The era, version and discover answer of a connected client. */
export function negotiated(client: Client): Negotiated {
  const d = client.getDiscoverResult() as
    | (Record<string, unknown> & { _meta?: Record<string, unknown> })
    | undefined;
  let discover: DiscoverInfo | undefined;
  if (d) {
    const info = (d._meta?.['io.modelcontextprotocol/serverInfo'] ??
      d.serverInfo) as DiscoverInfo['serverInfo'];
    discover = {
      supportedVersions: Array.isArray(d.supportedVersions) ? (d.supportedVersions as string[]) : [],
      capabilities: (d.capabilities as Record<string, unknown>) ?? {},
      ...(info ? { serverInfo: info } : {}),
      ...(d.extensions ? { extensions: d.extensions as Record<string, unknown> } : {}),
      ...(typeof d.instructions === 'string' ? { instructions: d.instructions } : {}),
    };
  }
  return {
    era: client.getProtocolEra() ?? 'legacy',
    protocolVersion: client.getNegotiatedProtocolVersion(),
    discover,
  };
}

/** `MCP 2026-07-28 (modern)`: the short note commands print (on stderr, beside human output). */
export function protocolNote(p: { era: ProtocolEra; protocolVersion: string | undefined }): string {
  return `MCP ${p.protocolVersion ?? '(version unknown)'} (${p.era})`;
}

/** The `protocol` object of a command's `--json` output. */
export function protocolJson(p: { era: ProtocolEra; protocolVersion: string | undefined }): {
  era: ProtocolEra;
  version: string | null;
} {
  return { era: p.era, version: p.protocolVersion ?? null };
}

/** A legacy server answered `initialize` with a version other than the pinned one. */
const OTHER_LEGACY = /protocol version is not supported: (\S+)/i;

/** The SDK gave up on a pinned modern era: the server offered no such version. */
function pinRefused(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string };
  return e?.code === 'ERA_NEGOTIATION_FAILED' && /pinned protocol version/i.test(e.message ?? '');
}

/**
 * `protocol_unsupported` when `err` says the server refused the pinned `target.protocol`, else
 * null. `legacyVersion` is what the server answered a plain `initialize` with, when the caller
 * asked (a pinned modern era refused by a 2025-only server).
 */
export function protocolError(
  err: unknown,
  target: ServerTarget,
  where: string,
  command: string,
  legacyVersion?: string,
): McptestError | null {
  const asked = target.protocol;
  if (!asked || asked === 'auto') return null;
  let supported: string[] | null = null;
  let said = '';
  const refusal = unsupportedVersions(err);
  if (refusal) {
    supported = refusal.supported;
    said = `it answered -32022 (unsupported protocol version)`;
  } else if (pinRefused(err)) {
    supported = legacyVersion ? [legacyVersion] : [];
    said = legacyVersion
      ? `it speaks the 2025 era only (no server/discover; it answered initialize with ${legacyVersion})`
      : 'its server/discover answer does not offer it';
  } else {
    const other = OTHER_LEGACY.exec((err as Error)?.message ?? '');
    if (!other) return null;
    supported = [other[1]];
    said = `it answered initialize with ${other[1]}`;
  }
  const choice = supported.find((v) => v !== asked) ?? 'auto';
  const retry = `mcptest ${command} ${targetFlags({ ...target, protocol: undefined })} --protocol ${choice}`;
  const list = supported.length && !legacyVersion ? `; it supports ${supported.join(', ')}` : '';
  return new McptestError(
    'protocol_unsupported',
    `${where} does not speak MCP ${asked} (asked with --protocol ${asked}): ${said}${list}`,
    { hint: retry, details: { asked, supported }, cause: err },
  );
}
