/**
 * `mcptest run --reporter html` as a user runs it: the real CLI against a real stdio server in a
 * protocol matrix, with failures (a tool error whose text is hostile HTML, a result snapshot that
 * differs), rendered to one file and opened in headless Chromium: no console message (so no
 * script error, no blocked resource, no injected script ran), the failures in the DOM, the
 * page's own script ran to the end, and a screenshot of sane size. The raw file loads nothing
 * from the network and carries the same tests as the JSON report.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openInChromium, pngSize } from '../helpers/chromium.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { HOSTILE_TEXT } from '../helpers/hostile-report-server.js';

const SERVER = fileURLToPath(new URL('../helpers/hostile-report-server.js', import.meta.url));
const HOSTILE_NAME = 'hostile <img src=x onerror="console.error(1)">';

const SUITE = `name: html report
servers:
  s:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(SERVER)}]
    protocols: [2026-07-28, 2025-11-25]
tests:
  - name: ${JSON.stringify(HOSTILE_NAME)}
    tool: hostile
    expect: { is_error: false }
  - name: sum answers 3
    tool: sum
    expect: { text_contains: '"sum": 3' }
  - name: sum snapshot
    tool: sum
    expect: { snapshot: __snapshots__/sum.json }
`;

/** A snapshot of the `sum` result with another sum: the test fails with a unified diff. */
const STALE_SNAPSHOT = `${JSON.stringify({ content: [{ type: 'text', text: '{\n  "sum": 4\n}' }] }, null, 2)}\n`;

describe('mcptest run --reporter html', () => {
  let env: ReturnType<typeof isolatedEnv>;
  let dir: string;
  let html: string;
  let file: string;

  before(async () => {
    env = isolatedEnv();
    dir = env.MCPTEST_HOME as string;
    fs.writeFileSync(path.join(dir, 'suite.yaml'), SUITE);
    fs.mkdirSync(path.join(dir, '__snapshots__'));
    fs.writeFileSync(path.join(dir, '__snapshots__', 'sum.json'), STALE_SNAPSHOT);
    const r = await runCli(['run', 'suite.yaml', '--reporter', 'html', '-o', 'out/report.html'], {
      env,
      cwd: dir,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /out\/report\.html: 2 passed, 4 failed/);
    file = path.join(dir, 'out', 'report.html');
    html = fs.readFileSync(file, 'utf8');
  });
  after(async () => {
    await env?.cleanup();
  });

  it('is one self-contained file: no network, one script of its own, the CSP forbids any other', () => {
    assert.match(html, /^<!doctype html>/);
    assert.equal(html.match(/<script/g)?.length, 1, 'only the report script');
    assert.match(html, /<script nonce="[^"]+">/);
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;;/);
    assert.doesNotMatch(html, /<link|@import|url\(|src="https?:|href="https?:/);
    assert.equal(html.match(/<svg class="latency"/g)?.length, 3, 'a chart per test');
    assert.equal(html.match(/<rect class="bar/g)?.length, 6, 'a bar per revision');
  });

  it('escapes the hostile tool error and test name', () => {
    assert.equal(html.includes(HOSTILE_TEXT), false);
    assert.equal(html.includes('<img src=x'), false);
    assert.ok(html.includes('&lt;script&gt;document.title=&#39;pwned&#39;'), 'the error text, escaped');
    assert.ok(html.includes('hostile &lt;img src=x onerror=&quot;console.error(1)&quot;&gt; [2026-07-28]'));
  });

  it('shows the same tests as the JSON report, the eras, and the snapshot diff coloured', async () => {
    const r = await runCli(['run', 'suite.yaml', '--json'], { env, cwd: dir, timeoutMs: 120_000 });
    const report = JSON.parse(r.stdout) as { tests: Array<{ label: string; status: string }> };
    assert.equal(html.match(/<details class="test /g)?.length, report.tests.length);
    for (const t of report.tests)
      assert.ok(
        html.includes(
          `<span class="badge ${t.status}">${t.status}</span><span class="label">${t.label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</span>`,
        ),
        t.label,
      );
    assert.match(html, /<span class="badge era">modern 2026-07-28<\/span>/);
    assert.match(html, /<span class="badge era">legacy 2025-11-25<\/span>/);
    assert.match(html, /<pre class="diff">/);
    assert.match(html, /<span class="del">-.*\\&quot;sum\\&quot;: 4/);
    assert.match(html, /<span class="add">\+/);
  });

  it('opens in Chromium with no console message, its script run, and the failures shown', async () => {
    // The probe first: a page that logs is seen, so an empty console below means something.
    const control = path.join(dir, 'control.html');
    fs.writeFileSync(
      control,
      '<!doctype html><title>c</title><script>console.error("control message")</script>',
    );
    const seen = await openInChromium(control);
    assert.ok(
      seen.console.some((l) => l.includes('control message')),
      seen.stderr,
    );

    const view = await openInChromium(file);
    assert.deepEqual(view.console, [], view.stderr);
    assert.match(view.dom, /<html lang="en" data-ready="true">/, 'the report script ran to its end');
    assert.match(view.dom, /<title>mcptest: html report<\/title>/, 'no injected script set the title');
    assert.ok(view.dom.includes('hostile &lt;img src=x onerror="console.error(1)"&gt; [2025-11-25]'));
    assert.ok(
      view.dom.includes(
        'expected success, the tool answered an error: "&lt;/pre&gt;&lt;/code&gt;&lt;script&gt;',
      ),
    );
    assert.ok(view.dom.includes('the result differs from __snapshots__/sum.json'));
    assert.doesNotMatch(view.dom, /<img|<script>document/);
  });

  it('its filter works in the browser: report.html#failed shows only the failed tests', async () => {
    const view = await openInChromium(file, { hash: '#failed' });
    assert.deepEqual(view.console, [], view.stderr);
    const groups = [...view.dom.matchAll(/<div class="group ([a-z ]+)">/g)].map((m) => m[1]);
    assert.deepEqual(groups, ['failed', 'passed hidden', 'failed']);
    assert.match(view.dom, /aria-pressed="true">Failed</);
  });

  it('several suites: combined totals, then a section per suite', async () => {
    fs.writeFileSync(path.join(dir, 'second.yaml'), SUITE.replace('name: html report', 'name: second suite'));
    const r = await runCli(['run', 'suite.yaml', 'second.yaml', '--reporter', 'html', '-o', 'two.html'], {
      env,
      cwd: dir,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 1, r.stderr);
    const two = fs.readFileSync(path.join(dir, 'two.html'), 'utf8');
    assert.match(two, /<h1>mcptest: 2 suites<\/h1>/);
    assert.deepEqual(
      [...two.matchAll(/<b>(\d+)<\/b><span>tests<\/span>/g)].map((m) => m[1]),
      ['12', '6', '6'],
    );
    assert.match(two, /<h2>html report<\/h2>[\s\S]*<h2>second suite<\/h2>/);
  });

  it('renders a screenshot of the page', async () => {
    const shots = fs.mkdtempSync(path.join(dir, 'shots-'));
    const png = path.join(shots, 'report.png');
    const view = await openInChromium(file, { screenshot: png, size: [1200, 1600] });
    assert.deepEqual(view.console, [], view.stderr);
    const bytes = fs.readFileSync(png);
    assert.deepEqual(pngSize(bytes), { width: 1200, height: 1600 });
    assert.ok(bytes.length > 20_000, `a page with content, not a blank one (${bytes.length} bytes)`);
  });

  it('is a reporter of run: an unknown one names it', async () => {
    const r = await runCli(['run', 'suite.yaml', '--reporter', 'pdf'], { env, cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /choose one of human, json, junit, html/);
  });
});
