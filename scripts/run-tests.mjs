#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner. Node 20 takes
// no globs and would run every .js in a folder, helpers included, so the list is built here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'dist/test');
const files = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('.test.js')) files.push(full);
  }
})(root);
files.sort();
if (files.length === 0) {
  console.error(`no test files under ${root}; build first (npm run build)`);
  process.exit(1);
}
const args = ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
