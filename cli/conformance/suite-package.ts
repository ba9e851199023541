/**
 * Where the MCP conformance suite is: the `conformance-next` package (an npm alias of
 * `@modelcontextprotocol/conformance` 0.2.0-alpha, the release with requirement sets for
 * 2026-07-28 and 2025-11-25), resolved from mcptest's own install, never from the working
 * directory. The suite always runs as a child process: `node --import <hook> <bin> ...`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McptestError } from '../../shared/errors.js';

/** The npm name the suite is installed under (`npm i conformance-next@npm:@modelcontextprotocol/conformance@0.2.0-alpha.12`). */
export const SUITE_PACKAGE = 'conformance-next';

export interface SuitePackage {
  /** The package's command-line entry (its `bin.conformance`). */
  bin: string;
  version: string;
  /** The `--import` preload that gives the suite `fs.globSync` on Node 20. */
  preload: string;
}

const INSTALL_HINT = `npm install ${SUITE_PACKAGE}@npm:@modelcontextprotocol/conformance@0.2.0-alpha.12 (beside mcptest)`;

/** Finds the installed suite; `conformance_unavailable` naming the install command when it is absent. */
export function locateSuite(): SuitePackage {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${SUITE_PACKAGE}/package.json`);
  } catch {
    throw new McptestError(
      'conformance_unavailable',
      `the MCP conformance suite (package ${SUITE_PACKAGE}) is not installed beside mcptest`,
      { hint: INSTALL_HINT },
    );
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
    version?: string;
    bin?: string | Record<string, string>;
  };
  const binEntry = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.conformance;
  const version = manifest.version ?? 'unknown';
  if (!binEntry || !/^0\.2\./.test(version)) {
    throw new McptestError(
      'conformance_unavailable',
      `package ${SUITE_PACKAGE} ${version} is not a conformance suite with requirement sets (0.2.x is needed)`,
      { hint: INSTALL_HINT },
    );
  }
  return {
    bin: path.join(path.dirname(manifestPath), binEntry),
    version,
    preload: fileURLToPath(new URL('./register-hook.js', import.meta.url)),
  };
}
