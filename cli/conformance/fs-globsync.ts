/**
 * `node:fs` plus a `globSync` stub, handed to the conformance package on Node 20: it imports
 * `fs.globSync` (Node 22+) at top level although only its `tier-check` command calls it.
 * Loaded by `fs-hook.ts` in the suite's child process only.
 */
import fs from 'node:fs';

export * from 'node:fs';
export default fs;

type GlobSync = (pattern: string | string[], options?: object) => string[];

export const globSync: GlobSync =
  (fs as unknown as { globSync?: GlobSync }).globSync ??
  (() => {
    throw new Error('fs.globSync needs Node 22 or later (used only by `conformance tier-check`)');
  });
