/**
 * The second step of `npm run build`: folds the files of the CLI's hot verbs into two, in place
 * of tsc's own (Node's ESM loader pays for every file it resolves, reads and links):
 *
 * - dist/cli/main.js: the entry with the fast path's parser (cli/fast-path.ts), what
 *   `--version` loads;
 * - dist/cli/token-path.js: everything `auth token` / `auth headers` need to get a token in one
 *   round trip and print it (cli/token-path.ts names it), loaded by the fast path on demand.
 *
 * Only the modules listed go in; every other import (the full CLI, the daemon, the packages, the
 * built-in modules) stays an import of the file beside it, so nothing the full CLI loads is in
 * two copies that disagree. `shared/errors.js` stays out on purpose (its `McptestError` is
 * checked with `instanceof` on both sides), and so does `shared/version.js`, which finds
 * package.json from its own place. A listed module must not import a built-in the entry does
 * not need at once: a folded module's static imports are loaded with its file.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = path.resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist');
const cli = path.join(dist, 'cli');
const at = (files) => new Set(files.map((f) => path.join(dist, f)));
const ENTRIES = [
  { entry: 'cli/main.js', folded: at(['cli/main.js', 'cli/fast-path.js']) },
  {
    entry: 'cli/token-path.js',
    folded: at([
      'cli/token-path.js',
      'cli/format.js',
      'cli/commands/auth/token-output.js',
      'client/one-shot-token.js',
      'shared/daemon-identity.js',
      'shared/ipc-guards.js',
      'shared/paths.js',
      'shared/server-url.js',
    ]),
  },
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

for (const { entry, folded } of ENTRIES) {
  const file = path.join(dist, entry);
  await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [foldListedOnly(folded)],
    logLevel: 'warning',
    legalComments: 'none',
  });
}
