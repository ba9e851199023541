/**
 * `mcptest load --reporter html` as a user runs it: the real CLI loading a real stdio server,
 * the report written to a file and opened in headless Chromium (no console message, its script
 * run, the charts in the DOM, a screenshot of sane size). `--html FILE` is the same report;
 * conflicting report flags are usage errors before anything runs. Counts are checked, never speeds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openInChromium, pngSize } from '../helpers/chromium.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { eraStdioFlags } from '../helpers/era-servers.js';

let env: ReturnType<typeof isolatedEnv>;
let dir: string;

before(() => {
  env = isolatedEnv();
  dir = env.MCPTEST_HOME as string;
});
after(async () => {
  await env?.cleanup();
});

const load = (args: string[]) =>
  runCli(
    [
      'load',
      ...eraStdioFlags('modern'),
      '--call',
      'echo',
      '--args',
      '{"text":"hi"}',
      '--concurrency',
      '4',
      ...args,
    ],
    { env, cwd: dir, timeoutMs: 120_000 },
  );

test('--reporter html -o FILE: the summary, latency over time and the percentile curve, in one page', async () => {
  const r = await load(['--requests', '200', '--reporter', 'html', '-o', 'reports/load.html']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /reports\/load\.html: written\nload: echo on stdio server/);
  const file = path.join(dir, 'reports', 'load.html');
  const html = fs.readFileSync(file, 'utf8');
  assert.match(html, /<title>mcptest load: echo<\/title>/);
  assert.match(html, /<b>200<\/b><span>calls<\/span>/);
  assert.match(html, /aria-label="latency over time, p50 and p99 per second"/);
  assert.match(html, /aria-label="latency percentile curve"/);
  assert.match(
    html,
    /<polyline class="curve" points="([\d.]+,[\d.]+ ){5}[\d.]+,[\d.]+"\/>/,
    'six percentiles',
  );
  assert.match(html, /<circle class="dot50"/);
  assert.match(html, /<circle class="dot99"/);
  assert.match(html, /No call failed\./);
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.doesNotMatch(html, /<link|@import|url\(|src="https?:|href="https?:/);

  const view = await openInChromium(file);
  assert.deepEqual(view.console, [], view.stderr);
  assert.match(view.dom, /data-ready="true"/);
  assert.match(view.dom, /<h2>Latency over time<\/h2>/);
  assert.match(view.dom, /<h2>Percentile curve<\/h2>/);

  const png = path.join(fs.mkdtempSync(path.join(dir, 'shots-')), 'load.png');
  const shot = await openInChromium(file, { screenshot: png, size: [1000, 1300] });
  assert.deepEqual(shot.console, [], shot.stderr);
  const bytes = fs.readFileSync(png);
  assert.deepEqual(pngSize(bytes), { width: 1000, height: 1300 });
  assert.ok(bytes.length > 20_000, `a page with content (${bytes.length} bytes)`);
});

test('--html FILE is --reporter html --output FILE; a failed threshold shows and fails', async () => {
  const r = await load(['--requests', '20', '--max-p50', '0.001ms', '--html', 'slow.html']);
  assert.equal(r.code, 1, r.stderr);
  const html = fs.readFileSync(path.join(dir, 'slow.html'), 'utf8');
  assert.match(html, /<span class="verdict fail">failed<\/span>/);
  assert.match(html, /<td><code>max_p50_ms<\/code><\/td>.*<span class="badge failed">failed<\/span>/);
});

test('report flags that disagree are usage errors, before any call', async () => {
  const both = await load(['--requests', '5', '--json', '--html', 'x.html']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--json, --html and --reporter ask for different reports/);
  const unknown = await load(['--requests', '5', '--reporter', 'pdf']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown reporter "pdf"; choose one of human, json, html/);
  assert.equal(fs.existsSync(path.join(dir, 'x.html')), false);
});

test('--reporter json is --json', async () => {
  const r = await load(['--requests', '10', '--reporter', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { completed: number; timeline: unknown[] };
  assert.equal(report.completed, 10);
  assert.ok(Array.isArray(report.timeline));
});
