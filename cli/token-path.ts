/**
 * What the fast path (fast-path.ts, fast-tools.ts) needs to get a token from the daemon and print
 * it, behind one import: `npm run build` folds this module and the ones it names into a single
 * file (scripts/bundle-entry.mjs), so `auth token` and `auth headers` load one file for all of it.
 */
export { oneShotToken } from '../client/one-shot-token.js';
export { resolvePaths } from '../shared/paths.js';
export { assertSecureUrl, canonicalServerUrl } from '../shared/server-url.js';
export { printHeaders, printToken } from './commands/auth/token-output.js';
