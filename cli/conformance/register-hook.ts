/**
 * `node --import <this file> <conformance bin> ...`: installs `fs-hook.js` before the suite loads
 * (Node 20 has no `fs.globSync`). The child process's only preload; nothing else of mcptest runs there.
 */
import { register } from 'node:module';

register('./fs-hook.js', import.meta.url);
