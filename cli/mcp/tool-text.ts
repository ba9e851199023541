/**
 * How `mcptest tools` shows a tool list: each tool with the first line of its description, and
 * its input parameters (top-level properties: type, required). Shared by the command and by the
 * fast listing (cli/fast-tools.ts), which must print exactly what the command prints.
 */
import { printable } from '../format.js';

/** One input parameter of a tool, as `tools` shows it. */
export interface ToolParam {
  name: string;
  type: string;
  required: boolean;
  description?: string;
}

/** Flattens a tool's JSON Schema input into a parameter list (top-level properties only). */
export function toolParams(schema: unknown): ToolParam[] {
  const s = (schema ?? {}) as { properties?: Record<string, any>; required?: unknown };
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    type: schemaType(prop),
    required: required.has(name),
    ...(typeof prop?.description === 'string' ? { description: prop.description } : {}),
  }));
}

function schemaType(prop: any): string {
  if (!prop || typeof prop !== 'object') return 'any';
  if (Array.isArray(prop.enum)) return prop.enum.map((v: unknown) => JSON.stringify(v)).join('|');
  if (Array.isArray(prop.type)) return prop.type.join('|');
  if (prop.type === 'array') return `${schemaType(prop.items)}[]`;
  if (typeof prop.type === 'string') return prop.type;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(prop[key])) return prop[key].map(schemaType).join('|');
  }
  return 'any';
}

/** The human listing, made printable (descriptions come from the server). */
export function formatTools(
  tools: Array<{ name: string; description?: string; inputSchema: unknown }>,
): string {
  if (tools.length === 0) return 'The server offers no tools.\n';
  const blocks = tools.map((t) => {
    const lines = [t.description ? `${t.name}  ${firstLine(t.description)}` : t.name];
    const params = toolParams(t.inputSchema);
    if (params.length === 0) lines.push('    (no parameters)');
    for (const p of params) {
      lines.push(
        `    ${p.name}: ${p.type}${p.required ? ' (required)' : ''}${p.description ? `  ${firstLine(p.description)}` : ''}`,
      );
    }
    return lines.join('\n');
  });
  return printable(`${blocks.join('\n')}\n`);
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
