/**
 * What `npm pack` would ship (without running the build again): no source maps without their
 * sources, and the LICENSE package.json's `license` refers to.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('the package ships no .map without its source, and ships the MIT LICENSE', () => {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(pack.status, 0, pack.stderr);
  const files: string[] = JSON.parse(pack.stdout)[0].files.map((f: { path: string }) => f.path);
  assert.ok(
    files.some((f) => f === 'dist/cli/main.js'),
    'the build is in the package (run npm run build first)',
  );
  const pkgJson = JSON.parse(fs.readFileSync(`${ROOT}package.json`, 'utf8'));
  assert.ok(files.includes(pkgJson.bin.mcptest), `the command ${pkgJson.bin.mcptest} is in the package`);
  // A shell start line that is also JavaScript (cli/bin.cts): sh runs node on the same file.
  assert.match(
    fs.readFileSync(`${ROOT}${pkgJson.bin.mcptest}`, 'utf8'),
    /^#!\/bin\/sh\n":" \/\/;.*exec node "\$0" "\$@"\n/,
  );
  const shipped = new Set(files);
  const orphans = files.filter((f) => f.endsWith('.map') && !shipped.has(f.replace(/\.js\.map$/, '.ts')));
  assert.deepEqual(orphans, [], 'source maps whose sources are not shipped');
  assert.ok(shipped.has('LICENSE'));
  const license = fs.readFileSync(`${ROOT}LICENSE`, 'utf8');
  const pkg = JSON.parse(fs.readFileSync(`${ROOT}package.json`, 'utf8'));
  assert.equal(pkg.license, 'MIT');
  assert.match(license, /^MIT License\n\nCopyright \(c\) the mcptest authors\n/);
});
