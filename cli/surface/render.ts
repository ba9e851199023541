/**
 * A surface diff (diff.ts) as text: one line per change (class, JSON pointer, plain words) and a
 * summary for humans; the `mcptest-diff/1` document for `--json`. Shared by `mcptest diff` and the
 * runner's `snapshot:` tests (their failure messages are the same lines).
 */
import { printable } from '../format.js';
import type { Surface } from './format.js';
import { atOrAbove, CHANGE_CLASSES, type ChangeClass, type SurfaceChange } from './diff.js';

/** `--fail-on`: the least severe class that fails, or never. */
export type FailOn = ChangeClass | 'never';

export const FAIL_ON_CHOICES = [
  'breaking',
  'risky',
  'compatible',
  'never',
] as const satisfies readonly FailOn[];

/** The changes at or above the threshold (none for `never`). */
export function failingChanges(changes: SurfaceChange[], failOn: FailOn): SurfaceChange[] {
  return failOn === 'never' ? [] : changes.filter((c) => atOrAbove(c.class, failOn));
}

/** `breaking    /tools/echo  the tool "echo" was removed` (server text made printable). */
export function changeLine(c: SurfaceChange): string {
  return printable(`${c.class.padEnd(10)}  ${c.pointer}  ${c.message}`);
}

export function summaryCounts(changes: SurfaceChange[]): Record<ChangeClass, number> {
  return Object.fromEntries(
    CHANGE_CLASSES.map((k) => [k, changes.filter((c) => c.class === k).length]),
  ) as Record<ChangeClass, number>;
}

/** The human report: every change, then `2 breaking, 1 risky, 3 compatible (fails on breaking)`. */
export function renderHuman(
  changes: SurfaceChange[],
  failOn: FailOn,
  oldName: string,
  newName: string,
): string {
  if (changes.length === 0) return `No changes between ${oldName} and ${newName}.\n`;
  const counts = summaryCounts(changes);
  const failing = failingChanges(changes, failOn).length;
  const tally = CHANGE_CLASSES.map((k) => `${counts[k]} ${k}`).join(', ');
  const verdict =
    failOn === 'never'
      ? '--fail-on never'
      : failing > 0
        ? `${failing} at or above --fail-on ${failOn}`
        : `nothing at or above --fail-on ${failOn}`;
  return `${changes.map(changeLine).join('\n')}\n${printable(`${oldName} → ${newName}`)}: ${tally} (${verdict})\n`;
}

/** The `--json` document. */
export function renderJson(
  changes: SurfaceChange[],
  failOn: FailOn,
  oldName: string,
  newName: string,
  exitCode: number,
): string {
  return `${JSON.stringify(
    {
      format: 'mcptest-diff/1',
      old: oldName,
      new: newName,
      failOn,
      summary: summaryCounts(changes),
      failing: failingChanges(changes, failOn).length,
      changes,
      exitCode,
    },
    null,
    2,
  )}\n`;
}

/** `5 tools, 1 prompt, 2 resources, 0 resource templates`. */
export function surfaceCounts(s: Surface): string {
  const n = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  return [
    n(Object.keys(s.tools).length, 'tool'),
    n(Object.keys(s.prompts).length, 'prompt'),
    n(Object.keys(s.resources).length, 'resource'),
    n(Object.keys(s.resourceTemplates).length, 'resource template'),
  ].join(', ');
}
