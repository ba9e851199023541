/**
 * A tiny JSON path evaluator for suite assertions: `$`, `$.a.b`, `$.items[0].name`,
 * `$['key with spaces']`. No wildcards, filters or recursive descent (deliberately: one path
 * names one value).
 */

export type PathSegment = string | number;

/** Splits a path into segments; throws on a malformed path. */
export function parseJsonPath(expr: string): PathSegment[] {
  if (!expr.startsWith('$')) throw new Error(`JSON path ${expr} must start with $`);
  const segments: PathSegment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[(['"])((?:(?!\3).)*)\3\]/y;
  let i = 1;
  while (i < expr.length) {
    re.lastIndex = i;
    const m = re.exec(expr);
    if (!m) throw new Error(`JSON path ${expr} is malformed at character ${i + 1}`);
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[4]);
    i = re.lastIndex;
  }
  return segments;
}

/** The value at a path, or `{ found: false }` when a segment is missing. */
export function evaluateJsonPath(root: unknown, expr: string): { found: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const seg of parseJsonPath(expr)) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return { found: false };
      const idx = seg < 0 ? cur.length + seg : seg;
      if (idx < 0 || idx >= cur.length) return { found: false };
      cur = cur[idx];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) {
        return { found: false };
      }
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return { found: true, value: cur };
}
