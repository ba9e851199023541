/**
 * Records a server's surface (format.ts) from a connection: server info and capabilities as
 * negotiated, the modern era's `server/discover`, then every page of tools/list, prompts/list,
 * resources/list and resources/templates/list (a list is fetched only when its capability is
 * declared). Only the fields that describe what the server offers are kept, so a recording is
 * the same from one run to the next.
 */
import type { McpConnection } from '../mcp/connect.js';
import { pagedList, pagedTools, type ToolLister } from '../mcp/list-tools.js';
import {
  canonical,
  type JsonObject,
  SURFACE_FORMAT,
  type Surface,
  type SurfacePrompt,
  type SurfaceResource,
  type SurfaceTool,
} from './format.js';

/** What recording needs of a connection: an `McpConnection`, or the runner's view of one. */
export interface SurfaceSource {
  client: ToolLister;
  serverInfo?: { name?: string; title?: string; version?: string };
  capabilities?: Record<string, unknown>;
  era?: 'modern' | 'legacy';
  protocolVersion?: string;
  discover?: {
    supportedVersions: string[];
    serverInfo?: { name?: string; title?: string; version?: string };
    extensions?: Record<string, unknown>;
    instructions?: string;
  };
}

type Item = Record<string, unknown>;

/** The keys of `from` that are set, picked in the given order. */
function pick(from: Item, keys: readonly string[]): Item {
  const out: Item = {};
  for (const key of keys) if (from[key] !== undefined && from[key] !== null) out[key] = from[key];
  return out;
}

/** Items keyed by `key` (a name or URI); a later duplicate replaces an earlier one. */
function keyed<T>(items: Item[], key: string, shape: (item: Item) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items) {
    const k = item[key];
    if (typeof k === 'string') out[k] = shape(item);
  }
  return out;
}

const tool = (t: Item): SurfaceTool =>
  canonical(
    pick(t, ['title', 'description', 'inputSchema', 'outputSchema', 'annotations', 'execution']),
  ) as unknown as SurfaceTool;

const prompt = (p: Item): SurfacePrompt => {
  const args = Array.isArray(p.arguments) ? (p.arguments as Item[]) : [];
  return canonical({
    ...pick(p, ['title', 'description']),
    arguments: keyed(args, 'name', (a) => ({
      ...pick(a, ['description']),
      required: a.required === true,
    })),
  }) as unknown as SurfacePrompt;
};

const resource = (r: Item): SurfaceResource =>
  canonical(
    pick(r, ['name', 'title', 'description', 'mimeType', 'annotations']),
  ) as unknown as SurfaceResource;

/** A server that declares resources but has no templates answers -32601: it has none. */
function noSuchMethod(err: unknown): boolean {
  const e = err as { code?: unknown; details?: { rpcCode?: unknown } };
  return e?.code === -32601 || e?.details?.rpcCode === -32601;
}

/** The surface of the server behind `source`; errors of the client are thrown as they come. */
export async function recordSurface(
  source: SurfaceSource,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Surface> {
  const caps = source.capabilities ?? {};
  const info = source.serverInfo ?? source.discover?.serverInfo ?? {};
  const list = (name: 'prompts' | 'resources' | 'resourceTemplates') =>
    pagedList<Item>(source.client, name, options);
  const tools = caps.tools ? await pagedTools<Item>(source.client, options) : [];
  const prompts = caps.prompts ? await list('prompts') : [];
  const resources = caps.resources ? await list('resources') : [];
  const templates = caps.resources
    ? await list('resourceTemplates').catch((err) => {
        if (noSuchMethod(err)) return [];
        throw err;
      })
    : [];
  const d = source.discover;
  return {
    format: SURFACE_FORMAT,
    recordedWith: { era: source.era ?? 'legacy', protocolVersion: source.protocolVersion ?? null },
    server: {
      name: info.name ?? null,
      ...(info.title ? { title: info.title } : {}),
      version: info.version ?? null,
    },
    ...(d
      ? {
          discover: {
            supportedVersions: [...d.supportedVersions].sort(),
            ...(d.extensions ? { extensions: canonical(d.extensions) as JsonObject } : {}),
            ...(d.instructions ? { instructions: d.instructions } : {}),
          },
        }
      : {}),
    capabilities: canonical(caps) as JsonObject,
    tools: keyed(tools, 'name', tool),
    prompts: keyed(prompts, 'name', prompt),
    resources: keyed(resources, 'uri', resource),
    resourceTemplates: keyed(templates, 'uriTemplate', resource),
  };
}

/** The surface of a connected server (as a command connects); a failed listing becomes the connection's own error. */
export async function recordConnection(conn: McpConnection, signal?: AbortSignal): Promise<Surface> {
  try {
    return await recordSurface(
      {
        client: conn.client,
        serverInfo: conn.serverInfo,
        capabilities: conn.capabilities as Record<string, unknown> | undefined,
        era: conn.era,
        protocolVersion: conn.protocolVersion,
        discover: conn.discover,
      },
      { timeoutMs: conn.target.timeoutMs, signal },
    );
  } catch (err) {
    throw conn.explain(err);
  }
}
