/**
 * `mcptest load --reporter html`: a {@link LoadReport} as one self-contained page. The summary,
 * thresholds and error samples; latency over time (p50 and p99 of each second of the run) and
 * the percentile curve (min, p50, p90, p95, p99, max on a "nines" axis), both inline SVG, and
 * the per-second timeline as a table. Error samples are server text: escaped like all the rest.
 */
import { card, duration, esc, niceMax, niceStep, page, tick } from '../runner/reporters/html-page.js';
import type { LoadReport } from './report.js';
import { ERROR_KINDS } from './stats.js';

const W = 760;
const H = 260;
const PAD = { left: 62, right: 16, top: 14, bottom: 34 };

export function renderLoadHtml(r: LoadReport): string {
  const title = `mcptest load: ${r.tool}`;
  const l = r.latency_ms;
  const out: string[] = [
    `<h1>${esc(title)}</h1>`,
    `<p class="sub">${esc(r.target)} · MCP ${esc(r.protocol.version ?? '?')} (${esc(r.protocol.era)}) over ${esc(r.transport)} · ${esc(r.concurrency)} workers on ${esc(r.connections)} connection${r.connections === 1 ? '' : 's'} · ${r.rate_per_s === null ? 'as fast as answered' : `${esc(r.rate_per_s)}/s offered`}</p>`,
    r.passed
      ? '<p><span class="verdict pass">passed</span></p>'
      : `<p><span class="verdict fail">${r.interrupted ? 'interrupted' : 'failed'}</span></p>`,
    `<div class="cards">${card(String(r.completed), 'calls')}${card(`${r.throughput_per_s.toFixed(1)}/s`, 'throughput')}${card(
      duration(r.elapsed_ms),
      'elapsed',
    )}${card(duration(l?.p50), 'p50')}${card(duration(l?.p95), 'p95')}${card(duration(l?.p99), 'p99')}${card(
      duration(l?.max),
      'max',
    )}${card(`${(r.error_rate * 100).toFixed(2)} %`, 'errors', r.completed - r.ok > 0 ? 'fail' : 'pass')}</div>`,
  ];
  if (r.thresholds.length > 0) out.push(thresholdTable(r));
  out.push(errorsSection(r));
  out.push('<h2>Latency over time</h2>', timelineChart(r));
  out.push('<h2>Percentile curve</h2>', percentileChart(r));
  out.push(timelineTable(r));
  return page(title, out.join('\n'));
}

function thresholdTable(r: LoadReport): string {
  const rows = r.thresholds.map((c) => {
    const rate = c.name === 'max_error_rate';
    const show = (v: number | null) => (rate ? `${((v ?? 0) * 100).toFixed(2)} %` : duration(v));
    return `<tr><td><code>${esc(c.name)}</code></td><td class="num">${esc(show(c.limit))}</td><td class="num">${esc(show(c.value))}</td><td><span class="badge ${c.passed ? 'passed' : 'failed'}">${c.passed ? 'ok' : 'failed'}</span></td></tr>`;
  });
  return `<h2>Thresholds</h2><table><thead><tr><th>Check</th><th class="num">Limit</th><th class="num">Measured</th><th>Result</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function errorsSection(r: LoadReport): string {
  const kinds = ERROR_KINDS.filter((k) => (r.errors[k] ?? 0) > 0);
  if (kinds.length === 0) return '<h2>Errors</h2><p class="ok">No call failed.</p>';
  const rows = kinds.map(
    (k) =>
      `<tr><td><code>${esc(k)}</code></td><td class="num">${esc(r.errors[k])}</td><td>${(
        r.error_samples[k] ?? []
      )
        .map((s) => `<pre>${esc(s)}</pre>`)
        .join('')}</td></tr>`,
  );
  return `<h2>Errors</h2><table><thead><tr><th>Kind</th><th class="num">Calls</th><th>Samples</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Axes from 0 on both sides: y ticks in ms, x ticks given. */
function frame(
  yMax: number,
  xTicks: Array<{ x: number; label: string }>,
  yTitle: string,
  xTitle: string,
): string {
  const parts: string[] = [];
  const step = niceStep(yMax, 4);
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const y = PAD.top + (1 - v / yMax) * (H - PAD.top - PAD.bottom);
    parts.push(
      `<line class="grid" x1="${PAD.left}" y1="${y.toFixed(1)}" x2="${W - PAD.right}" y2="${y.toFixed(1)}"/>`,
      `<text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(tick(v))}</text>`,
    );
  }
  for (const t of xTicks)
    parts.push(
      `<text x="${t.x.toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(t.label)}</text>`,
    );
  parts.push(
    `<line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}"/>`,
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 4}" text-anchor="middle">${esc(xTitle)}</text>`,
    `<text x="12" y="${PAD.top + (H - PAD.top - PAD.bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${PAD.top + (H - PAD.top - PAD.bottom) / 2})">${esc(yTitle)}</text>`,
  );
  return parts.join('');
}

function svg(label: string, inner: string): string {
  return `<svg role="img" aria-label="${esc(label)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${inner}</svg>`;
}

/** What the two charts draw: a `mcptest load` report, or a suite's `load:` test's figures. */
export type ChartedLoad = Pick<LoadReport, 'timeline' | 'latency_ms' | 'completed'>;

/** p50 and p99 of each second the run measured, as two lines (a second without calls: a gap). */
export function timelineChart(r: ChartedLoad): string {
  const seconds = r.timeline;
  const measured = seconds.filter((s) => s.p99_ms !== null || s.p50_ms !== null);
  if (measured.length === 0)
    return '<div class="chart"><p class="sub">No call completed: nothing to draw.</p></div>';
  const yMax = niceMax(Math.max(...measured.map((s) => Math.max(s.p99_ms ?? 0, s.p50_ms ?? 0))), 4);
  const last = Math.max(1, ...seconds.map((s) => s.second));
  const x = (sec: number) => PAD.left + (sec / last) * (W - PAD.left - PAD.right);
  const y = (ms: number) => PAD.top + (1 - ms / yMax) * (H - PAD.top - PAD.bottom);
  const tickEvery = niceStep(last, 8);
  const ticks = [];
  for (let s = 0; s <= last; s += tickEvery) ticks.push({ x: x(s), label: `${s} s` });
  const line = (key: 'p50_ms' | 'p99_ms', cls: string, dot: string) => {
    const segments: string[][] = [[]];
    const dots: string[] = [];
    for (const s of seconds) {
      const v = s[key];
      if (v === null) {
        segments.push([]);
        continue;
      }
      segments[segments.length - 1].push(`${x(s.second).toFixed(1)},${y(v).toFixed(1)}`);
      dots.push(
        `<circle class="${dot}" cx="${x(s.second).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3"><title>${esc(`second ${s.second}: ${key.replace('_ms', '')} ${duration(v)}, ${s.requests} calls, ${s.errors} errors`)}</title></circle>`,
      );
    }
    return (
      segments
        .filter((p) => p.length > 1)
        .map((p) => `<polyline class="${cls}" points="${p.join(' ')}"/>`)
        .join('') + dots.join('')
    );
  };
  const inner =
    frame(yMax, ticks, 'latency', 'seconds since the start') +
    line('p99_ms', 'p99', 'dot99') +
    line('p50_ms', 'p50', 'dot50');
  return `<div class="chart"><div class="legend"><span><i style="background:var(--info)"></i>p50 per second</span><span><i style="background:var(--p99)"></i>p99 per second</span></div>${svg('latency over time, p50 and p99 per second', inner)}</div>`;
}

/** The measured percentiles on a "nines" axis: 0, 50, 90, 99 evenly apart; max drawn at 99.9. */
export function percentileChart(r: ChartedLoad): string {
  const l = r.latency_ms;
  if (!l) return '<div class="chart"><p class="sub">No call completed: nothing to draw.</p></div>';
  const nines = (p: number) => -Math.log10(1 - p / 100);
  const points = [
    { label: 'min', at: 0, ms: l.min },
    { label: 'p50', at: nines(50), ms: l.p50 },
    { label: 'p90', at: nines(90), ms: l.p90 },
    { label: 'p95', at: nines(95), ms: l.p95 },
    { label: 'p99', at: nines(99), ms: l.p99 },
    { label: 'max', at: nines(99.9), ms: l.max },
  ];
  const yMax = niceMax(l.max, 4);
  const span = nines(99.9);
  const x = (at: number) => PAD.left + 20 + (at / span) * (W - PAD.left - PAD.right - 40);
  const y = (ms: number) => PAD.top + (1 - ms / yMax) * (H - PAD.top - PAD.bottom);
  const ticks = points.map((p) => ({ x: x(p.at), label: p.label }));
  const poly = points.map((p) => `${x(p.at).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ');
  const dots = points
    .map(
      (p) =>
        `<circle class="dot" cx="${x(p.at).toFixed(1)}" cy="${y(p.ms).toFixed(1)}" r="3.5"><title>${esc(`${p.label}: ${duration(p.ms)}`)}</title></circle><text class="val" x="${x(p.at).toFixed(1)}" y="${(y(p.ms) - 8).toFixed(1)}" text-anchor="middle">${esc(duration(p.ms))}</text>`,
    )
    .join('');
  const inner = `${frame(yMax, ticks, 'latency', `percentile of ${r.completed} calls`)}<polyline class="curve" points="${poly}"/>${dots}`;
  return `<div class="chart">${svg('latency percentile curve', inner)}<p class="sub">The percentiles the run measured, joined by straight lines; the x axis spaces 50, 90, 99 evenly (max drawn where 99.9 would be).</p></div>`;
}

function timelineTable(r: LoadReport): string {
  if (r.timeline.length === 0) return '';
  const rows = r.timeline.map(
    (s) =>
      `<tr><td class="num">${esc(s.second)}</td><td class="num">${esc(s.requests)}</td><td class="num">${esc(s.errors)}</td><td class="num">${esc(duration(s.p50_ms))}</td><td class="num">${esc(duration(s.p99_ms))}</td></tr>`,
  );
  return `<details><summary>Per-second timeline (${r.timeline.length} s)</summary><table><thead><tr><th class="num">Second</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">p50</th><th class="num">p99</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}
