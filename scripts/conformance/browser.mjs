#!/usr/bin/env node
// A stand-in browser for the conformance run ($BROWSER): requests the authorization URL without
// following the mock AS's final redirect, then delivers that redirect to the loopback callback,
// as a browser would after the human approved.
const url = process.argv[2];
try {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(current, { redirect: 'manual' });
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (res.status < 300 || res.status >= 400 || !location) {
      console.error(`browser stand-in: ${current} answered ${res.status} without a redirect`);
      process.exit(1);
    }
    const next = new URL(location, current);
    if (next.hostname === '127.0.0.1' && next.pathname === '/callback') {
      const cb = await fetch(next, { redirect: 'manual' });
      await cb.body?.cancel();
      process.exit(cb.ok ? 0 : 1);
    }
    current = next.href;
  }
  process.exit(1);
} catch (err) {
  console.error(`browser stand-in: ${err.message}`);
  process.exit(1);
}
