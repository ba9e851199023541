/**
 * The test side of the stand-in browser (fake-browser.ts): an isolated env whose `$BROWSER` runs
 * it, and a reader for the one JSON line it appends per visit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isolatedEnv } from '../helpers/cli.js';

export type Env = ReturnType<typeof isolatedEnv>;
export type Visit = { at: number; scope: string | null; callbackStatus?: number; error?: string };

const FAKE_BROWSER = fileURLToPath(new URL('./fake-browser.js', import.meta.url));

/** An isolated env whose $BROWSER is the stand-in browser; `extra` is merged in (e.g. FAKE_BROWSER_MODE). */
export function browserEnv(extra: NodeJS.ProcessEnv = {}): Env {
  const e = isolatedEnv(extra);
  const home = e.MCPTEST_HOME as string;
  const script = path.join(home, 'browser.sh');
  fs.writeFileSync(script, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_BROWSER}" "$@"\n`, { mode: 0o755 });
  e.BROWSER = script;
  e.FAKE_BROWSER_LOG = path.join(home, 'browser.log');
  return e;
}

function readVisits(e: Env): Visit[] {
  const file = e.FAKE_BROWSER_LOG as string;
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Visit);
}

/**
 * The visits logged so far, once there are at least `count` of them. The stand-in browser is a
 * detached process: the daemon answers its callback (and the CLI may exit) before it appends its
 * line, so a reader right after `mcptest login` must wait for it. Gives up after `timeoutMs` and
 * returns what is there, for the caller's assertion to report.
 */
export async function browserVisits(e: Env, count: number, timeoutMs = 10_000): Promise<Visit[]> {
  const deadline = Date.now() + timeoutMs;
  let visits = readVisits(e);
  while (visits.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    visits = readVisits(e);
  }
  return visits;
}
