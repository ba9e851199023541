/**
 * Preload (`node --import`, or NODE_OPTIONS) that logs the modules a process loads to the file
 * named by MCPTEST_MODULE_LOG: every ESM load as it happens (`module-log-hooks.ts`) and, when
 * the process first listens, the CommonJS modules loaded so far (`require.cache`) and a
 * `listening` marker. Lines before the marker are the modules loaded before it listened.
 */
import fs from 'node:fs';
import { createRequire, register } from 'node:module';
import net from 'node:net';

const file = process.env.MCPTEST_MODULE_LOG;
if (file) {
  register(new URL('./module-log-hooks.js', import.meta.url), { data: { file } });
  logCommonJsAtListen(file);
}

function logCommonJsAtListen(file: string): void {
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
}
