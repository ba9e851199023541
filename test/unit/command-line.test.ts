/** Splitting a stdio command line into words: quotes and backslashes as a POSIX shell reads them. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { shellWords, splitCommandLine } from '../../cli/mcp/command-line.js';

test('shell words: quotes group, backslashes escape, nothing expands', () => {
  assert.deepEqual(shellWords('node server.js --stdio'), ['node', 'server.js', '--stdio']);
  assert.deepEqual(shellWords('  node  \'my server.js\'\t"a \\"b\\"" '), ['node', 'my server.js', 'a "b"']);
  assert.deepEqual(shellWords('a\\ b $HOME "" c'), ['a b', '$HOME', '', 'c']);
  assert.deepEqual(shellWords("'it'\\''s'"), ["it's"]);
  assert.throws(() => shellWords('node "server.js'), /unclosed " quote/);
});

test('a command naming an existing file is left whole; given args follow the split words', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-cmd-'));
  try {
    fs.writeFileSync(path.join(dir, 'my server'), '');
    assert.deepEqual(splitCommandLine('my server', ['--x'], dir), { command: 'my server', args: ['--x'] });
    assert.deepEqual(splitCommandLine('node a.js --stdio', ['--x'], dir), {
      command: 'node',
      args: ['a.js', '--stdio', '--x'],
    });
    assert.deepEqual(splitCommandLine('node', ['a.js'], dir), { command: 'node', args: ['a.js'] });
    assert.throws(() => splitCommandLine('  ', [], dir), /the stdio command is empty/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
