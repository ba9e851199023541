#!/bin/sh
/**
 * The `mcptest` command (package.json "bin"). A CommonJS file, because Node's ESM loader costs
 * a process 7-10 ms before the first line of an ESM entry runs, and the verbs other programs run
 * many times a minute (fast-path.ts) should not pay it: `npm run build` folds the fast path and
 * the modules it needs into this file (scripts/bundle-entry.mjs). Anything the fast path leaves
 * goes to the ESM entry, main.ts, which is told that the fast path already ran.
 *
 * The file starts as a shell script (scripts/bundle-entry.mjs writes its second line): for those
 * three verbs, which make no TLS connection themselves, Node starts without NODE_EXTRA_CA_CERTS
 * and so without parsing that bundle. The value is held in MCPTEST_HELD_NODE_EXTRA_CA_CERTS and
 * put back here, first, so that every process this one starts (the daemon above all) has it.
 */
const HELD_EXTRA_CA_CERTS = 'MCPTEST_HELD_NODE_EXTRA_CA_CERTS';
const held = process.env[HELD_EXTRA_CA_CERTS];
if (held !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = held;
  delete process.env[HELD_EXTRA_CA_CERTS];
}

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
