/**
 * Preload (`node --import`) for `bench/daemon-start.ts`: registers the loader hooks and, when the
 * process first listens, writes the CommonJS modules loaded so far (`require.cache`) and a
 * `listening` marker to the file named by MCPTEST_BENCH_MODULES. Lines before the marker are
 * the modules loaded before the daemon listened.
 */
import fs from 'node:fs';
import { createRequire, register } from 'node:module';
import net from 'node:net';

const file = process.env.MCPTEST_BENCH_MODULES as string;
register(new URL('./module-count-hooks.js', import.meta.url), { data: { file } });

const cache = createRequire(import.meta.url).cache;
const listen = net.Server.prototype.listen;
let marked = false;
net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
  this.once('listening', () => {
    if (marked) return;
    marked = true;
    const lines = Object.keys(cache).map((p) => `cjs ${p}`);
    fs.appendFileSync(file, `${lines.join('\n')}\nlistening\n`);
  });
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof listen;
