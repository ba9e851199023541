#!/usr/bin/env node
/**
 * The `mcptest` command (package.json "bin"). A CommonJS file, because Node's ESM loader costs
 * a process 7-10 ms before the first line of an ESM entry runs, and the verbs other programs run
 * many times a minute (fast-path.ts) should not pay it: `npm run build` folds the fast path and
 * the modules it needs into this file (scripts/bundle-entry.mjs). Anything the fast path leaves
 * goes to the ESM entry, main.ts, which is told that the fast path already ran.
 */
async function start(): Promise<void> {
  const { fastPath } = await import('./fast-path.js');
  const code = await fastPath(process.argv);
  if (code === null) {
    (globalThis as { mcptestFastPathRan?: boolean }).mcptestFastPathRan = true;
    await import('./main.js');
    return;
  }
  // Nothing to flush: the fast path writes its output at once, or waits until it is written.
  process.exit(code);
}

void start();
