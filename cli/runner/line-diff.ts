/**
 * A unified diff of two texts, line by line (longest common subsequence), for snapshot
 * mismatches: `-` lines are the snapshot's, `+` lines the result's, three lines of context
 * around each change, at most `maxLines` lines shown.
 */

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/** Beyond this many cells the LCS table is not built: the texts differ past a shared prefix and suffix. */
const MAX_CELLS = 4_000_000;

function edits(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;
  const ma = a.slice(pre, a.length - suf);
  const mb = b.slice(pre, b.length - suf);
  const ops: Op[] = [];
  for (let i = 0; i < pre; i++) ops.push({ kind: ' ', line: a[i], a: i, b: i });
  if (ma.length * mb.length > MAX_CELLS) {
    for (const [i, line] of ma.entries()) ops.push({ kind: '-', line, a: pre + i, b: pre });
    for (const [j, line] of mb.entries()) ops.push({ kind: '+', line, a: pre + ma.length, b: pre + j });
  } else {
    // lcs[i][j]: the longest common subsequence of ma[i..] and mb[j..].
    const w = mb.length + 1;
    const lcs = new Uint32Array((ma.length + 1) * w);
    for (let i = ma.length - 1; i >= 0; i--)
      for (let j = mb.length - 1; j >= 0; j--)
        lcs[i * w + j] =
          ma[i] === mb[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    let i = 0;
    let j = 0;
    while (i < ma.length || j < mb.length) {
      if (i < ma.length && j < mb.length && ma[i] === mb[j]) {
        ops.push({ kind: ' ', line: ma[i], a: pre + i++, b: pre + j++ });
      } else if (i < ma.length && (j === mb.length || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        // A removal before an addition, as diff(1) shows a changed line.
        ops.push({ kind: '-', line: ma[i], a: pre + i++, b: pre + j });
      } else {
        ops.push({ kind: '+', line: mb[j], a: pre + i, b: pre + j++ });
      }
    }
  }
  for (let k = 0; k < suf; k++) {
    const ai = a.length - suf + k;
    ops.push({ kind: ' ', line: a[ai], a: ai, b: b.length - suf + k });
  }
  return ops;
}

/** The unified diff of `before` and `after` (empty when they are equal). */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { before: string; after: string },
  maxLines = 60,
  context = 3,
): string {
  if (before === after) return '';
  const ops = edits(before.split('\n'), after.split('\n'));
  const out = [`--- ${labels.before}`, `+++ ${labels.after}`];
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k].kind === ' ') k++;
    if (k >= ops.length) break;
    const start = Math.max(0, k - context);
    let end = k;
    // A hunk runs on while the next change is within two contexts of the last one.
    for (let n = k; n < ops.length; n++) {
      if (ops[n].kind !== ' ') end = n;
      else if (n - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${hunk[0].a + 1},${aLen} +${hunk[0].b + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    k = stop;
  }
  if (out.length > maxLines) {
    const hidden = out.length - maxLines;
    return [...out.slice(0, maxLines), `… ${hidden} more line${hidden === 1 ? '' : 's'} of diff`].join('\n');
  }
  return out.join('\n');
}
