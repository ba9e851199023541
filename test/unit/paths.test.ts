import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolvePaths } from '../../shared/paths.js';

test('the log folder: MCPTEST_LOG_DIR, else the home’s log/, else the platform’s state folder', () => {
  assert.equal(resolvePaths({ MCPTEST_LOG_DIR: '/srv/logs', MCPTEST_HOME: '/h' }).logDir, '/srv/logs');
  assert.equal(resolvePaths({ MCPTEST_HOME: '/h' }).logFile, '/h/log/authd.log');
  if (process.platform === 'linux') {
    assert.equal(resolvePaths({ XDG_STATE_HOME: '/x/state' }).logDir, '/x/state/mcptest');
    assert.equal(resolvePaths({}).logDir, path.join(os.homedir(), '.local', 'state', 'mcptest'));
  }
});
