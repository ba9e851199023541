#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner. Node 20 takes
// no globs and would run every .js in a folder, helpers included, so the list is built here.
// After the run it lists the failed tests again, each with the first lines of its error, so
// nobody has to search the whole report for them; the exit code is node --test's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptest-run-tests-'));
const failedFile = path.join(scratch, 'failed.jsonl');
const reporter = pathToFileURL(new URL('./failed-tests-reporter.mjs', import.meta.url).pathname).href;
const args = [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=300000',
  // The usual report (spec on a terminal, TAP otherwise), and the failures to a file of our own.
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${reporter}`,
  `--test-reporter-destination=${failedFile}`,
  ...files,
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
let failed = [];
try {
  failed = fs
    .readFileSync(failedFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // no file: the runner itself did not start
}
fs.rmSync(scratch, { recursive: true, force: true });
if (failed.length > 0) {
  const lines = [`\nfailed tests: ${failed.length}`];
  for (const f of failed) {
    const relative = f.file ? path.relative(process.cwd(), f.file) : '';
    const where = relative.startsWith('..') ? f.file : relative;
    lines.push(`✗ ${f.name}${where && where !== f.name ? `  (${where})` : ''}`);
    for (const l of f.error) lines.push(`    ${l}`);
  }
  console.log(lines.join('\n'));
}
process.exit(result.status ?? 1);
