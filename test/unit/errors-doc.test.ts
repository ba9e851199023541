import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOGUE, ExitCode, McptestError } from '../../shared/errors.js';

const doc = fs.readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

test('every error code has an entry in docs/errors.md, with its status and exit code', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    const at = doc.indexOf(`\n### ${code}\n`);
    assert.ok(at >= 0, `docs/errors.md lacks a "### ${code}" section`);
    const section = doc.slice(
      at,
      doc.indexOf('\n### ', at + 1) === -1 ? undefined : doc.indexOf('\n### ', at + 1),
    );
    assert.match(
      section,
      new RegExp(`HTTP ${entry.status}, exit ${ExitCode[entry.exit]}\\b`),
      `${code}: status/exit differ`,
    );
  }
});

test('docs/errors.md documents no code that does not exist', () => {
  const documented = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
  for (const code of documented)
    assert.ok(Object.hasOwn(ERROR_CATALOGUE, code), `docs/errors.md names unknown code ${code}`);
});

test('McptestError maps codes to exit codes in one table', () => {
  assert.equal(new McptestError('needs_login', 'x').exitCode, ExitCode.auth);
  assert.equal(new McptestError('suite_invalid', 'x').exitCode, ExitCode.usage);
  assert.equal(new McptestError('login_pending', 'x').exitCode, ExitCode.pending);
  assert.equal(new McptestError('internal', 'x').exitCode, ExitCode.error);
  assert.deepEqual(new McptestError('no_credentials', 'm', { hint: 'h' }).toJSON(), {
    code: 'no_credentials',
    message: 'm',
    hint: 'h',
  });
});
