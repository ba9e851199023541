/**
 * The `Mcp-Param-*` headers of a 2026-07-28 `tools/call` over HTTP (SEP-2243): a tool may mark
 * primitive parameters of its `inputSchema` with `x-mcp-header: Name`, and a client calling it
 * must repeat their values in `Mcp-Param-Name` headers, which the server checks against the body.
 * The SDK adds them to its own `callTool()`; the suite runner, which sends `tools/call` as a raw
 * request, builds them here from the tool's listed definition, and so does the bridge, whose host
 * on stdio sends no headers: it learns each tool's declarations from the `tools/list` answers it
 * forwards (or from a listing of its own) and builds the headers from the call's arguments.
 *
 * Only declarations on a chain of `properties` count (as the spec says); a value that is null,
 * absent or not a string, integer-safe number or boolean gets no header. Values that are not
 * plain visible ASCII, or have edge whitespace, are sent base64-wrapped (`=?base64?…?=`).
 * @see MCP spec 2026-07-28 "Transports" §Standard Headers, §Custom Parameter Headers
 */

/** One `x-mcp-header` declaration: where the value sits in `arguments`, and the header's name. */
export interface ParamHeader {
  path: string[];
  name: string;
}

/** An RFC 9110 token: the characters a header name may hold. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The declarations of one tool's `inputSchema` (none when it declares none or is not an object). */
export function paramHeaders(inputSchema: unknown): ParamHeader[] {
  const out: ParamHeader[] = [];
  const visit = (node: unknown, path: string[]) => {
    if (node === null || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    const name = schema['x-mcp-header'];
    if (path.length > 0 && typeof name === 'string' && TOKEN.test(name)) out.push({ path, name });
    const properties = schema.properties;
    if (properties === null || typeof properties !== 'object') return;
    for (const [key, child] of Object.entries(properties as Record<string, unknown>))
      visit(child, [...path, key]);
  };
  visit(inputSchema, []);
  return out;
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
    return String(value);
  }
  return undefined;
}

/** True when `s` can travel as a plain header value. */
function plain(s: string): boolean {
  if (s.length === 0 || s !== s.trim()) return false;
  if (s.startsWith('=?base64?') && s.endsWith('?=')) return false;
  return /^[\t\x20-\x7e]*$/.test(s);
}

/** A header value: as is when plain, else `=?base64?<base64 of UTF-8>?=`. */
export function encodeParamValue(s: string): string {
  return plain(s) ? s : `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

/** The `Mcp-Param-*` headers for a call with `args` to a tool with `declarations`. */
export function buildParamHeaders(declarations: ParamHeader[], args: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const d of declarations) {
    let value: unknown = args;
    for (const key of d.path) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    const text = asString(value);
    if (text !== undefined) headers[`Mcp-Param-${d.name}`] = encodeParamValue(text);
  }
  return headers;
}

/**
 * The `Mcp-Param-*` headers of a call of `params.name` with `params.arguments`, from a listing of
 * the tools; undefined when the tool declares none (or is not listed).
 */
export function headersFromListing(
  tools: ReadonlyArray<{ name: string; inputSchema?: unknown }> | undefined,
  params: { name: string; arguments?: unknown },
): Record<string, string> | undefined {
  const declared = paramHeaders(tools?.find((t) => t.name === params.name)?.inputSchema);
  if (declared.length === 0) return undefined;
  const headers = buildParamHeaders(declared, params.arguments);
  return Object.keys(headers).length > 0 ? headers : undefined;
}

/** What the bridge knows of the tools' declarations: learnt from every `tools/list` page it sees. */
export class ParamHeaderBook {
  private readonly tools = new Map<string, ParamHeader[]>();

  /** Learns the tools of one `tools/list` result. */
  learn(result: unknown): void {
    const tools = (result as { tools?: unknown } | null)?.tools;
    if (!Array.isArray(tools)) return;
    for (const tool of tools) {
      const { name, inputSchema } = (tool ?? {}) as { name?: unknown; inputSchema?: unknown };
      if (typeof name === 'string') this.tools.set(name, paramHeaders(inputSchema));
    }
  }

  knows(tool: string): boolean {
    return this.tools.has(tool);
  }

  /** The headers of a call to `tool` with `args`; none for a tool never listed. */
  headersFor(tool: string, args: unknown): Record<string, string> {
    const declarations = this.tools.get(tool);
    return declarations?.length ? buildParamHeaders(declarations, args) : {};
  }
}
