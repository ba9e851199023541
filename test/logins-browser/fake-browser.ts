/**
 * A stand-in for a human's browser, for `$BROWSER` in tests: drives the test IdP's real pages to
 * approve (or, with FAKE_BROWSER_MODE=deny, deny) the authorization URL it is given, then GETs
 * the loopback callback the IdP redirects to, like a browser would. Appends one JSON line per run
 * to FAKE_BROWSER_LOG (the callback's status; never codes or tokens).
 * Usage: node fake-browser.js <authorization-url>
 */
import fs from 'node:fs';
import { approveInBrowser } from '../../examples/oauth-server/browser.js';

async function main(): Promise<void> {
  const url = process.argv[2];
  const log = process.env.FAKE_BROWSER_LOG;
  const entry: Record<string, unknown> = {
    at: Date.now(),
    scope: url ? new URL(url).searchParams.get('scope') : null,
  };
  try {
    const callback = await approveInBrowser(url, { deny: process.env.FAKE_BROWSER_MODE === 'deny' });
    const res = await fetch(callback, { redirect: 'manual' });
    entry.callbackStatus = res.status;
    await res.body?.cancel();
  } catch (err) {
    entry.error = (err as Error).message;
  }
  if (log) fs.appendFileSync(log, `${JSON.stringify(entry)}\n`);
}

void main();
