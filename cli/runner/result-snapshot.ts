/**
 * Result snapshots (`expect.snapshot: FILE`): a result's `{ content, structuredContent, isError }`,
 * sanitized (sanitize.ts) and written as JSON with sorted keys, is compared with the file
 * (relative to the suite); a mismatch fails with a unified diff. With `--update-snapshots` a
 * missing or different file is written and the test passes with a note; in a protocol matrix,
 * a revision answering otherwise than the one that wrote the file in the same run fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SURFACE_FORMAT } from '../surface/format.js';
import type { AssertionFailure, ToolResult } from './assertions.js';
import { unifiedDiff } from './line-diff.js';
import { sanitize } from './sanitize.js';
import type { Sanitizer } from './suite-schema.js';

export interface SnapshotRun {
  /** The suite's folder (snapshot paths resolve from here) and file (named in the hint). */
  dir: string;
  suiteFile: string;
  /** `--update-snapshots`: write missing or different snapshots instead of failing. */
  update: boolean;
  /** The snapshots this run wrote, by absolute path: what a later revision must also answer. */
  written: Map<string, string>;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** JSON with sorted keys, two-space indents and a final newline: the snapshot file's text. */
export function snapshotText(value: unknown): string {
  return `${JSON.stringify(sorted(value), null, 2)}\n`;
}

/** What a snapshot holds of a result, sanitized. */
export function snapshotDocument(result: ToolResult, sanitizers: readonly Sanitizer[]): unknown {
  return sanitize(
    {
      content: result.content ?? [],
      ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
      isError: result.isError === true,
    },
    sanitizers,
  );
}

function write(abs: string, text: string): void {
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, abs);
}

/** Whether a file's text is a surface snapshot (`mcptest-surface/1`) rather than a result. */
function isSurfaceFile(text: string): boolean {
  try {
    const doc = JSON.parse(text) as { format?: unknown } | null;
    return doc !== null && typeof doc === 'object' && doc.format === SURFACE_FORMAT;
  } catch {
    return false;
  }
}

/** The snapshot assertion of one result: its failures, and the notes of a written snapshot. */
export function checkSnapshot(
  file: string,
  result: ToolResult,
  sanitizers: readonly Sanitizer[],
  run: SnapshotRun,
): { failures: AssertionFailure[]; notes: string[] } {
  const abs = path.resolve(run.dir, file);
  const actual = snapshotText(snapshotDocument(result, sanitizers));
  const fail = (message: string) => ({ failures: [{ assertion: 'snapshot', message }], notes: [] });
  const diff = (stored: string, what: string) =>
    unifiedDiff(stored.trimEnd(), actual.trimEnd(), { before: what, after: 'this result' });
  const ours = run.written.get(abs);
  if (ours !== undefined) {
    return ours === actual
      ? { failures: [], notes: [] }
      : fail(
          `the result differs from the one written to ${file} earlier in this run:\n${diff(ours, `${file} (written by this run)`)}`,
        );
  }
  let stored: string | undefined;
  try {
    stored = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      return fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (stored !== undefined) {
    // A surface file (mcptest snapshot) named here by mistake is never replaced by a result.
    if (isSurfaceFile(stored)) {
      return fail(
        `${file} is a surface snapshot (from mcptest snapshot), not a result snapshot; left as it is. Check a surface with a \`snapshot: ${file}\` test, and give expect.snapshot a file of its own`,
      );
    }
    let same: boolean;
    try {
      same = snapshotText(JSON.parse(stored)) === actual;
    } catch (err) {
      if (!run.update)
        return fail(
          `${file} is not JSON (${(err as Error).message}); rewrite it with: mcptest run ${run.suiteFile} --update-snapshots`,
        );
      same = false;
    }
    if (same) return { failures: [], notes: [] };
    if (!run.update) {
      return fail(
        `the result differs from ${file} (accept it with: mcptest run ${run.suiteFile} --update-snapshots):\n${diff(stored, file)}`,
      );
    }
  } else if (!run.update) {
    return fail(`no snapshot ${file} yet; write it with: mcptest run ${run.suiteFile} --update-snapshots`);
  }
  try {
    write(abs, actual);
  } catch (err) {
    return fail(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  run.written.set(abs, actual);
  return { failures: [], notes: [`snapshot ${file} ${stored === undefined ? 'written' : 'updated'}`] };
}
