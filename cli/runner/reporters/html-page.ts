/**
 * The parts every HTML report shares (`run --reporter html`, `load --reporter html`): escaping,
 * the self-contained page shell (inline CSS and one inline script, a Content-Security-Policy that
 * lets nothing else run or load), number formatting and SVG axes. Every text that reaches the page
 * goes through {@link esc}: test names and server messages are untrusted.
 */
import { randomBytes } from 'node:crypto';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value, escaped for HTML (and so for inline SVG). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** `812 ms`, `3.42 s`, `0.41 ms`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 10_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** An axis tick: `0`, `200 ms`, `1.50 s`. */
export function tick(ms: number): string {
  if (ms === 0) return '0';
  return Number.isInteger(ms) && ms < 1_000 ? `${ms} ms` : duration(ms);
}

/** A round step for about `count` ticks from 0 to `max`: 1, 2 or 5 times a power of ten. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * power) return m * power;
  return 10 * power;
}

/** The top of an axis from 0 that holds `max`, on a tick. */
export function niceMax(max: number, count = 4): number {
  const step = niceStep(max, count);
  return Math.max(step, Math.ceil(max / step) * step);
}

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;--pass:#1a7f37;--pass-bg:#dafbe1;
--fail:#cf222e;--fail-bg:#ffebe9;--skip:#9a6700;--skip-bg:#fff8c5;--info:#0969da;--info-bg:#ddf4ff;--bar:#54aeff;
--p99:#bf3989;--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:15px;margin:0}
.sub{color:var(--muted);margin:0 0 16px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px;line-height:1.2}.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.pass b{color:var(--pass)}.card.fail b{color:var(--fail)}.card.skip b{color:var(--skip)}
.verdict{display:inline-block;padding:2px 10px;border-radius:999px;font-weight:600;font-size:13px}
.verdict.pass{background:var(--pass-bg);color:var(--pass)}.verdict.fail{background:var(--fail-bg);color:var(--fail)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
tr:last-child td{border-bottom:0}
td.nowrap{white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre{font-family:var(--mono);font-size:12.5px}
.badge{display:inline-block;min-width:58px;text-align:center;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.badge.passed{background:var(--pass-bg);color:var(--pass)}.badge.failed{background:var(--fail-bg);color:var(--fail)}
.badge.skipped{background:var(--skip-bg);color:var(--skip)}.badge.era{background:var(--info-bg);color:var(--info);min-width:0;font-weight:500}
.toolbar{display:flex;gap:6px;align-items:center;margin:0 0 10px;flex-wrap:wrap}
.toolbar button{font:inherit;font-size:13px;border:1px solid var(--line);background:var(--card);border-radius:6px;padding:3px 10px;cursor:pointer}
.toolbar button[aria-pressed=true]{background:var(--fg);color:#fff;border-color:var(--fg)}
.group{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 10px;overflow:hidden}
.group.failed{border-left:4px solid var(--fail)}.group.passed{border-left:4px solid var(--pass)}.group.skipped{border-left:4px solid var(--skip)}
.group-head{display:flex;gap:16px;align-items:center;justify-content:space-between;padding:10px 14px;flex-wrap:wrap}
.group-head .meta{color:var(--muted);font-size:12.5px}
details{border-top:1px solid var(--line)}
summary{display:flex;gap:10px;align-items:center;padding:7px 14px;cursor:pointer;list-style:none}
summary::-webkit-details-marker{display:none}
summary::before{content:"\\25B8";color:var(--muted);width:10px}details[open]>summary::before{content:"\\25BE"}
summary .label{font-weight:600;word-break:break-word}summary .dur{margin-left:auto;color:var(--muted);font-variant-numeric:tabular-nums;white-space:nowrap}
.body{padding:4px 14px 12px 34px}
.body h4{margin:10px 0 4px;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.body ul{margin:0;padding-left:18px}.ok{color:var(--pass)}
.failure{margin:0 0 8px}.failure .what{font-weight:600}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:4px 0 8px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
pre.diff{white-space:pre}pre .add{color:#116329;background:#e6ffec;display:block}pre .del{color:#82071e;background:#ffebe9;display:block}
pre .hunk{color:var(--info);display:block}pre .head{color:var(--muted);display:block}
.error{border-left:3px solid var(--fail);padding-left:10px}.hint{color:var(--muted)}
.warn{color:var(--skip)}
svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif;fill:var(--muted)}
svg .grid{stroke:#eaeef2}svg .axis{stroke:var(--line)}svg .bar{fill:var(--bar)}svg .bar.failed{fill:#ff8182}svg .bar.skipped{fill:#d4a72c}
svg .p50{stroke:var(--info);fill:none;stroke-width:2}svg .p99{stroke:var(--p99);fill:none;stroke-width:2}svg .dot50{fill:var(--info)}svg .dot99{fill:var(--p99)}
svg .curve{stroke:var(--info);fill:none;stroke-width:2}svg .dot{fill:var(--info)}svg text.val{fill:var(--fg)}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin:4px 0}.legend i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px}
.chart{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 12px}
.hidden{display:none}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

/**
 * The script of every report: each toolbar's filter buttons (all, failed, passed, skipped) and
 * "expand all", for the tests of its own section (a suite, or the whole page). It
 * applies the filter the URL's fragment names (`report.html#failed`) and marks the page `data-ready` last, so a browser's DOM shows that it ran to the end.
 */
const SCRIPT = `
(function () {
  function all(root, selector) { return Array.prototype.slice.call(root.querySelectorAll(selector)); }
  all(document, '.toolbar').forEach(function (bar) {
    var scope = bar.closest('section') || document;
    var buttons = all(bar, '[data-filter]');
    buttons.forEach(function (b) {
      b.addEventListener('click', function () {
        var want = b.getAttribute('data-filter');
        buttons.forEach(function (o) { o.setAttribute('aria-pressed', String(o === b)); });
        all(scope, '.group').forEach(function (g) {
          g.classList.toggle('hidden', want !== 'all' && !g.classList.contains(want));
        });
      });
    });
    var expand = bar.querySelector('[data-expand]');
    if (expand) expand.addEventListener('click', function () {
      var open = expand.getAttribute('aria-pressed') !== 'true';
      all(scope, 'details').forEach(function (d) { d.open = open; });
      expand.setAttribute('aria-pressed', String(open));
    });
  });
  // report.html#failed opens with that filter on (a link to the failures).
  var wanted = location.hash.slice(1);
  all(document, '[data-filter="' + wanted.replace(/[^a-z]/g, '') + '"]').forEach(function (b) { b.click(); });
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;

/** The whole page: one file, nothing fetched at view time, no script but ours allowed to run. */
export function page(title: string, body: string): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-${nonce}'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="generator" content="mcptest">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
<footer>Generated by mcptest at ${esc(new Date().toISOString())}. This file is self-contained: it loads nothing from the network.</footer>
</main>
<script nonce="${esc(nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}

/** A summary card: a big figure and its name. */
export function card(value: string, name: string, tone = ''): string {
  return `<div class="card${tone ? ` ${tone}` : ''}"><b>${esc(value)}</b><span>${esc(name)}</span></div>`;
}
