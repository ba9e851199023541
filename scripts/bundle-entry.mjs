/**
 * The second step of `npm run build`: folds the files of the CLI's hot verbs together, in place
 * of tsc's own (Node's ESM loader pays for every file it resolves, reads and links):
 *
 * - dist/cli/bin.cjs, the `mcptest` command: CommonJS, with the fast path (cli/fast-path.ts) and
 *   everything `--version`, `auth token` and `auth headers` need folded in, so those verbs never
 *   start the ESM loader; the rest goes to dist/cli/main.js;
 * - dist/cli/main.js: the ESM entry with the fast path's parser (what `node dist/cli/main.js`
 *   and the daemon's spawn run);
 * - dist/cli/token-path.js: what the ESM entry's `auth token` / `auth headers` need to get a
 *   token in one round trip and print it (cli/token-path.ts names it), loaded on demand.
 *
 * Only the modules listed go in; every other import (the full CLI, the daemon, the packages, the
 * built-in modules) stays an import of the file beside it, so nothing the full CLI loads is in
 * two copies that disagree. In the ESM files `shared/errors.js` stays out (its `McptestError`
 * is the one class both sides check), and so does `shared/version.js`, which finds package.json
 * from its own place; bin.cjs carries its own copies of both (an `McptestError` of either copy
 * passes `instanceof`; `import.meta.url` is the bundle's own, one folder under dist/ as
 * shared/ is). A listed module must not import a built-in the entry does not need at once: a
 * folded module's static imports are loaded with its file.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * bin.cjs starts as a shell script (`#!/bin/sh`, from cli/bin.cts) whose second line is also
 * JavaScript: to sh, `":"` is a no-op and the rest runs; to Node, a string and a comment. For
 * `auth token`, `auth headers` and `--version`, which make no TLS connection in their own
 * process, it sets NODE_EXTRA_CA_CERTS aside before Node starts (Node reads and parses that
 * file before any JavaScript runs: 50-60 ms with the system bundle named), as
 * MCPTEST_HELD_NODE_EXTRA_CA_CERTS; bin.cts puts it back for every process it starts, the
 * daemon included. Then it runs the same file with node, found on PATH as `#!/usr/bin/env node`
 * would find it.
 */
const SH_LINE =
  '":" //; case "$1 $2" in "auth token"|"auth headers"|"--version "|"-V ") ' +
  'if [ -n "$NODE_EXTRA_CA_CERTS" ]; then MCPTEST_HELD_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; ' +
  'export MCPTEST_HELD_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi;; esac; exec node "$0" "$@"';

const dist = path.resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist');
const cli = path.join(dist, 'cli');
const at = (files) => new Set(files.map((f) => path.join(dist, f)));
const TOKEN_PATH = [
  'cli/token-path.js',
  'cli/format.js',
  'cli/commands/auth/token-output.js',
  'client/one-shot-token.js',
  'shared/daemon-identity.js',
  'shared/ipc-guards.js',
  'shared/paths.js',
  'shared/server-url.js',
];
const ENTRIES = [
  {
    entry: 'cli/bin.cjs',
    format: 'cjs',
    folded: at(['cli/bin.cjs', 'cli/fast-path.js', ...TOKEN_PATH, 'shared/errors.js', 'shared/version.js']),
  },
  { entry: 'cli/main.js', format: 'esm', folded: at(['cli/main.js', 'cli/fast-path.js']) },
  { entry: 'cli/token-path.js', format: 'esm', folded: at(TOKEN_PATH) },
];

/** Folds the listed modules; any other import stays, pointed at its file from dist/cli/. */
const foldListedOnly = (folded) => ({
  name: 'fold-listed-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (!args.path.startsWith('.')) return { path: args.path, external: true };
      const resolved = path.resolve(args.resolveDir, args.path);
      if (folded.has(resolved)) return { path: resolved };
      let relative = path.relative(cli, resolved).split(path.sep).join('/');
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return { path: relative, external: true };
    });
  },
});

for (const { entry, format, folded } of ENTRIES) {
  const file = path.join(dist, entry);
  const cjs = format === 'cjs';
  await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    format,
    ...(cjs
      ? {
          banner: {
            js: `${SH_LINE}\n'use strict';\nconst __import_meta_url = require('node:url').pathToFileURL(__filename).href;`,
          },
          define: { 'import.meta.url': '__import_meta_url' },
        }
      : {}),
    platform: 'node',
    target: 'node20',
    plugins: [foldListedOnly(folded)],
    logLevel: 'warning',
    legalComments: 'none',
  });
}
