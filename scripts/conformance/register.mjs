// `node --import ./scripts/conformance/register.mjs ...`: installs fs-hook.mjs (Node 20 has no fs.globSync).
import { register } from 'node:module';

register('./fs-hook.mjs', import.meta.url);
