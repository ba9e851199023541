/**
 * The surface snapshot document (`mcptest-surface/1`): what a server offers, written so that two
 * recordings of an unchanged server are byte-identical and a change reads well in a pull request.
 * Tools, prompts, resources and templates are objects keyed by name (or URI), so a JSON pointer
 * like `/tools/echo/inputSchema/properties/text` names the same thing in the old and the new file;
 * keys are sorted at every level, `required` lists too. Volatile fields (`_meta`, cache hints,
 * `lastModified`) are never recorded. This module also reads a snapshot file back, checking it.
 * Documented in docs/cli.md ("mcptest snapshot").
 */
import { McptestError } from '../../shared/errors.js';

export const SURFACE_FORMAT = 'mcptest-surface/1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SurfaceTool {
  title?: string;
  description?: string;
  inputSchema: JsonObject;
  outputSchema?: JsonObject;
  annotations?: JsonObject;
  execution?: JsonObject;
}

export interface SurfacePromptArgument {
  description?: string;
  required: boolean;
}

export interface SurfacePrompt {
  title?: string;
  description?: string;
  arguments: Record<string, SurfacePromptArgument>;
}

export interface SurfaceResource {
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: JsonObject;
}

export interface Surface {
  format: typeof SURFACE_FORMAT;
  /** The era and protocol version the surface was recorded in. */
  recordedWith: { era: 'modern' | 'legacy'; protocolVersion: string | null };
  /** `serverInfo`: name, title and version (a version bump is information; the diff calls it compatible). */
  server: { name: string | null; title?: string; version: string | null };
  /** The modern era's `server/discover` answer, without what is recorded elsewhere (capabilities, serverInfo). */
  discover?: { supportedVersions: string[]; extensions?: JsonObject; instructions?: string };
  capabilities: JsonObject;
  tools: Record<string, SurfaceTool>;
  prompts: Record<string, SurfacePrompt>;
  resources: Record<string, SurfaceResource>;
  resourceTemplates: Record<string, SurfaceResource>;
}

/** Keys dropped wherever they appear: they change from one answer to the next. */
const VOLATILE_KEYS = new Set(['_meta', 'ttlMs', 'cacheScope', 'lastModified']);

/** A copy of `value` with keys sorted at every level, volatile keys dropped, `required` lists sorted. */
export function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return (value ?? null) as Json;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) {
    if (VOLATILE_KEYS.has(key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out[key] =
      key === 'required' && Array.isArray(v) && v.every((x) => typeof x === 'string')
        ? [...v].sort()
        : canonical(v);
  }
  return out;
}

/** The file text of a surface: canonical JSON below a fixed top-level order, two-space indented, with a final newline. */
export function surfaceText(surface: Surface): string {
  const doc: JsonObject = {};
  for (const key of TOP_LEVEL) if (surface[key] !== undefined) doc[key] = canonical(surface[key]);
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The top-level keys in the order a reader wants them: what the file is, whose, then what it offers. */
const TOP_LEVEL = [
  'format',
  'recordedWith',
  'server',
  'discover',
  'capabilities',
  'tools',
  'prompts',
  'resources',
  'resourceTemplates',
] as const satisfies ReadonlyArray<keyof Surface>;

/** A surface file's text read back; a file that is no `mcptest-surface/1` is a usage error naming it. */
export function parseSurface(text: string, file: string): Surface {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new McptestError('invalid_request', `${file} is not JSON: ${(err as Error).message}`, {
      hint: `mcptest snapshot --url URL -o ${file}`,
    });
  }
  const d = doc as Partial<Surface> | null;
  if (!d || typeof d !== 'object' || d.format !== SURFACE_FORMAT) {
    throw new McptestError(
      'invalid_request',
      `${file} is not a surface snapshot (no "format": "${SURFACE_FORMAT}")`,
      { hint: `mcptest snapshot --url URL -o ${file}` },
    );
  }
  for (const key of ['tools', 'prompts', 'resources', 'resourceTemplates', 'capabilities'] as const) {
    const v = d[key];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw new McptestError('invalid_request', `${file}: "${key}" must be an object`, {
        hint: `mcptest snapshot --url URL -o ${file}`,
      });
    }
  }
  return {
    format: SURFACE_FORMAT,
    recordedWith: d.recordedWith ?? { era: 'legacy', protocolVersion: null },
    server: d.server ?? { name: null, version: null },
    ...(d.discover ? { discover: d.discover } : {}),
    capabilities: d.capabilities ?? {},
    tools: d.tools ?? {},
    prompts: d.prompts ?? {},
    resources: d.resources ?? {},
    resourceTemplates: d.resourceTemplates ?? {},
  };
}

/** One JSON pointer token (RFC 6901 §3: `~` as `~0`, `/` as `~1`). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON pointer from its keys. @see RFC 6901 */
export function pointer(...keys: string[]): string {
  return keys.map((k) => `/${pointerToken(k)}`).join('');
}
