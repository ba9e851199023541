/**
 * The HTML reporter (`run --reporter html -o report.html`): the same data as the JSON report,
 * as one self-contained page. The summary, the servers with the era and version each spoke, and
 * every test with its status, label, duration, failed assertions (unified diffs of result
 * snapshots coloured), errors, warnings, notes and asks; a latency chart per test, one bar per
 * revision when a protocol matrix ran it, and for a `load:` test its latency over time and its
 * percentile curve (the charts of `mcptest load`). Every text is escaped (html-page.ts).
 */
import { percentileChart, timelineChart } from '../../load/html.js';
import type { SuiteReport, TestResult } from '../report.js';
import { combinedExitCode, combinedSummary } from '../run-suite.js';
import { card, duration, esc, niceMax, niceStep, page, tick } from './html-page.js';

/** The page for one or more suites run by one `mcptest run`. */
export function renderHtml(reports: SuiteReport[], notRun: string[] = []): string {
  const several = reports.length > 1;
  const title = several
    ? `mcptest: ${reports.length} suites`
    : `mcptest: ${reports[0]?.suite.name ?? 'suite'}`;
  const parts: string[] = [];
  if (several) {
    const s = combinedSummary(reports);
    const total = reports.reduce((n, r) => n + r.durationMs, 0);
    parts.push(`<h1>${esc(title)}</h1>`);
    parts.push(verdictLine(combinedExitCode(reports)));
    parts.push(summaryCards(s, total));
    if (notRun.length > 0)
      parts.push(`<p class="warn">Not run after a failure (--bail): ${esc(notRun.join(', '))}</p>`);
  }
  for (const r of reports) parts.push(suiteSection(r, several));
  return page(title, parts.join('\n'));
}

function verdictLine(exitCode: number): string {
  return exitCode === 0
    ? '<p><span class="verdict pass">passed</span></p>'
    : `<p><span class="verdict fail">failed</span> <span class="sub">exit code ${esc(exitCode)}</span></p>`;
}

function summaryCards(s: SuiteReport['summary'], durationMs: number): string {
  return `<div class="cards">${card(String(s.total), 'tests')}${card(String(s.passed), 'passed', 'pass')}${card(
    String(s.failed),
    'failed',
    s.failed > 0 ? 'fail' : '',
  )}${card(String(s.skipped), 'skipped', s.skipped > 0 ? 'skip' : '')}${card(duration(durationMs), 'duration')}</div>`;
}

function suiteSection(r: SuiteReport, several: boolean): string {
  const h = several ? 'h2' : 'h1';
  const out: string[] = [
    `<section class="suite"><${h}>${esc(r.suite.name)}</${h}>`,
    `<p class="sub">${esc(r.suite.file)} · started ${esc(r.startedAt)}</p>`,
  ];
  if (!several) out.push(verdictLine(r.exitCode));
  out.push(summaryCards(r.summary, r.durationMs));
  out.push(serversTable(r));
  if (r.coverage) out.push(coverageList(r));
  out.push('<h2>Tests</h2>');
  out.push(
    '<div class="toolbar"><button type="button" data-filter="all" aria-pressed="true">All</button><button type="button" data-filter="failed" aria-pressed="false">Failed</button><button type="button" data-filter="passed" aria-pressed="false">Passed</button><button type="button" data-filter="skipped" aria-pressed="false">Skipped</button><button type="button" data-expand aria-pressed="false">Expand all</button></div>',
  );
  const scale = niceMax(Math.max(1, ...r.tests.map((t) => t.durationMs)));
  for (const group of groups(r.tests)) out.push(testGroup(group, scale));
  if (r.tests.length === 0) out.push('<p class="sub">No tests ran.</p>');
  out.push('</section>');
  return out.join('\n');
}

function serversTable(r: SuiteReport): string {
  if (r.servers.length === 0) return '';
  const rows = r.servers.map(
    (s) =>
      `<tr><td><b>${esc(s.name)}</b></td><td><code>${esc(s.target)}</code></td><td class="nowrap">${esc(s.protocol)}</td><td>${
        s.era ? `<span class="badge era">${esc(s.era)}</span>` : '-'
      }</td><td class="nowrap">${esc(s.protocolVersion ?? '-')}</td><td class="num">${s.connectMs === null ? '-' : esc(duration(s.connectMs))}</td><td>${
        s.error
          ? `<span class="badge failed">${s.authFailed ? 'auth failed' : 'failed'}</span> ${errorBlock(s.error)}`
          : s.connected
            ? '<span class="badge passed">connected</span>'
            : '<span class="sub">not used</span>'
      }</td></tr>`,
  );
  return `<h2>Servers</h2><table><thead><tr><th>Server</th><th>Target</th><th>Asked</th><th>Era</th><th>Version</th><th class="num">Connect</th><th>Status</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function coverageList(r: SuiteReport): string {
  const c = r.coverage as unknown as { shortfalls?: string[]; passed?: boolean };
  const shortfalls = c.shortfalls ?? [];
  return `<h2>Coverage</h2><p>${c.passed === false ? '<span class="badge failed">below --min-coverage</span>' : '<span class="badge passed">ok</span>'}</p>${
    shortfalls.length ? `<ul>${shortfalls.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''
  }<p class="sub">The full figures are in the JSON report (<code>--reporter json</code>, <code>coverage</code>).</p>`;
}

/** Tests by server and name, in the order they first appear: a matrix's revisions side by side. */
function groups(tests: TestResult[]): TestResult[][] {
  const byKey = new Map<string, TestResult[]>();
  for (const t of tests) {
    const key = `${t.server}\u0000${t.name}`;
    const list = byKey.get(key);
    if (list) list.push(t);
    else byKey.set(key, [t]);
  }
  return [...byKey.values()];
}

function worst(tests: TestResult[]): TestResult['status'] {
  if (tests.some((t) => t.status === 'failed')) return 'failed';
  if (tests.every((t) => t.status === 'skipped')) return 'skipped';
  return 'passed';
}

function testGroup(tests: TestResult[], scale: number): string {
  const first = tests[0];
  const status = worst(tests);
  const what = first.kind === 'tool' ? `tool ${first.tool}` : `${first.kind.replace('_', ' ')} ${first.tool}`;
  const head = `<div class="group-head"><div><h3>${esc(first.name)}</h3><div class="meta">server ${esc(first.server)} · ${esc(what)}</div></div>${latencyChart(tests, scale)}</div>`;
  return `<div class="group ${status}">${head}${tests.map(testDetails).join('')}</div>`;
}

/** One bar per run of the test (per revision in a matrix), on the suite's common scale. */
function latencyChart(tests: TestResult[], scale: number): string {
  const labelW = 96;
  const barW = 300;
  const valueW = 70;
  const rowH = 20;
  const axisH = 16;
  const width = labelW + barW + valueW;
  const height = tests.length * rowH + axisH;
  const parts: string[] = [];
  const step = niceStep(scale, 3);
  for (let v = 0; v <= scale + 1e-9; v += step) {
    const x = labelW + (v / scale) * barW;
    parts.push(
      `<line class="grid" x1="${x.toFixed(1)}" y1="0" x2="${x.toFixed(1)}" y2="${tests.length * rowH}"/>`,
      `<text x="${x.toFixed(1)}" y="${height - 3}" text-anchor="middle">${esc(tick(v))}</text>`,
    );
  }
  tests.forEach((t, i) => {
    const y = i * rowH;
    const label = tests.length > 1 || t.protocol !== 'auto' ? t.protocol : 'duration';
    const w = t.status === 'skipped' ? 0 : Math.max(1, (t.durationMs / scale) * barW);
    parts.push(
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`,
      `<rect class="bar ${esc(t.status)}" x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="2"><title>${esc(`${t.label}: ${duration(t.durationMs)}`)}</title></rect>`,
      `<text class="val" x="${(labelW + w + 6).toFixed(1)}" y="${y + 14}">${t.status === 'skipped' ? 'skipped' : esc(duration(t.durationMs))}</text>`,
    );
  });
  return `<svg class="latency" role="img" aria-label="${esc(`duration of ${tests[0].name}`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function testDetails(t: TestResult): string {
  const era = t.era ? ` <span class="badge era">${esc(t.era)} ${esc(t.protocolVersion ?? '')}</span>` : '';
  const summary = `<summary><span class="badge ${esc(t.status)}">${esc(t.status)}</span><span class="label">${esc(t.label)}</span>${era}<span class="dur">${esc(duration(t.durationMs))}</span></summary>`;
  const body: string[] = [];
  if (t.error) body.push(`<h4>Error</h4>${errorBlock(t.error)}`);
  if (t.failures.length > 0) {
    body.push(`<h4>Failed assertions (${t.failures.length})</h4>`);
    for (const f of t.failures)
      body.push(
        `<div class="failure"><div class="what"><code>${esc(f.assertion)}</code></div>${message(f.message)}</div>`,
      );
  } else if (t.status === 'passed') {
    body.push('<p class="ok">Every assertion held.</p>');
  } else if (t.status === 'skipped') {
    body.push('<p class="sub">Not run (--bail after a failure, or interrupted).</p>');
  }
  if (t.warnings?.length)
    body.push(
      `<h4>Warnings</h4><ul>${t.warnings.map((w) => `<li class="warn"><code>${esc(w.assertion)}</code>: ${esc(w.message)}</li>`).join('')}</ul>`,
    );
  if (t.notes?.length)
    body.push(`<h4>Notes</h4><ul>${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  if (t.load)
    body.push(
      `<h4>Latency over time</h4>${timelineChart(t.load)}<h4>Percentile curve</h4>${percentileChart(t.load)}`,
    );
  if (t.asks?.length)
    body.push(
      `<h4>Asked by the server</h4><ul>${t.asks
        .map((a) => {
          const ask = a as unknown as Record<string, unknown>;
          return `<li><code>${esc(ask.kind)}</code> via ${esc(ask.via)}${ask.message ? `: ${esc(ask.message)}` : ''} (${esc(ask.answered)})</li>`;
        })
        .join('')}</ul>`,
    );
  body.push(
    `<p class="sub">server ${esc(t.server)} · asked ${esc(t.protocol)} · spoke ${esc(t.era ?? 'nothing (not connected)')}${t.protocolVersion ? ` ${esc(t.protocolVersion)}` : ''}</p>`,
  );
  const open = t.status === 'failed' ? ' open' : '';
  return `<details class="test ${esc(t.status)}"${open}>${summary}<div class="body">${body.join('')}</div></details>`;
}

function errorBlock(e: { code: string; message: string; hint?: string }): string {
  return `<div class="error"><code>${esc(e.code)}</code>: ${message(e.message)}${e.hint ? `<div class="hint">hint: <code>${esc(e.hint)}</code></div>` : ''}</div>`;
}

/** A failure message: one line as text, several in a block, a unified diff coloured by line. */
function message(text: string): string {
  if (!text.includes('\n')) return `<span>${esc(text)}</span>`;
  const lines = text.split('\n');
  const isDiff = lines.some((l) => l.startsWith('@@'));
  if (!isDiff) return `<pre>${esc(text)}</pre>`;
  const start = lines.findIndex((l) => l.startsWith('--- ') || l.startsWith('@@'));
  const intro = lines.slice(0, start).join('\n');
  const diff = lines.slice(start).map((l) => {
    const cls = l.startsWith('@@')
      ? 'hunk'
      : l.startsWith('--- ') || l.startsWith('+++ ')
        ? 'head'
        : l.startsWith('+')
          ? 'add'
          : l.startsWith('-')
            ? 'del'
            : '';
    return cls ? `<span class="${cls}">${esc(l)}</span>` : `${esc(l)}\n`;
  });
  return `${intro ? `<div>${esc(intro)}</div>` : ''}<pre class="diff">${diff.join('')}</pre>`;
}
