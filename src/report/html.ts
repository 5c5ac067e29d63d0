/**
 * `html` — `report.html`: one self-contained page (no network: uPlot's
 * script and styles are inlined from node_modules at render time, data is
 * inlined as JSON). Header with verdict and run metadata; request rate,
 * latency p50/p95/p99 and errors by reason over time with fault windows
 * shaded and events marked; the SLO table; probe results; the scenario as
 * run. Printable. A `window.__charts` hook lets tests see what was drawn.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { stringify } from 'yaml'
import type { RunRecord } from '../record.ts'
import type { Verdict } from '../slo/types.ts'
import { maskSecrets } from '../util/secrets.ts'
import { timeCharts } from './charts.ts'
import {
  atSeconds,
  escapeXml as e,
  formatBudget,
  formatMargin,
  formatMeasured,
  formatProbe,
  sloLabel,
  sloStatus,
  verdictWord,
} from './format.ts'
import type { ReporterDefinition } from './types.ts'

const require = createRequire(import.meta.url)

/** uPlot's minified IIFE build and CSS, read at render time. */
export function uplotAssets(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  }
}

/** JSON safe inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Event types worth a marker on the charts (one per type and second, at most 60). */
function markers(record: RunRecord): Array<{ t: number; label: string }> {
  const seen = new Set<string>()
  const out: Array<{ t: number; label: string }> = []
  for (const ev of [...record.events].sort((a, b) => a.t - b.t)) {
    if (ev.t < 0 || ev.t > record.load.durationMs) continue
    const key = `${ev.type}@${Math.floor(ev.t / 1000)}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ t: Math.round(ev.t) / 1000, label: ev.type })
    if (out.length >= 60) break
  }
  return out
}

/** The page script: builds each chart with uPlot, shades fault windows and draws event markers in a draw hook. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  function overlay(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
    ctx.save();
    data.faults.forEach(function (f) {
      var x0 = u.valToPos(f.from, 'x', true), x1 = u.valToPos(f.to, 'x', true);
      ctx.fillStyle = 'rgba(214, 39, 40, 0.10)';
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
      ctx.fillStyle = 'rgba(150, 20, 20, 0.9)';
      ctx.font = (10 * devicePixelRatio) + 'px sans-serif';
      ctx.fillText(f.label, x0 + 3, top + 12 * devicePixelRatio);
    });
    data.markers.forEach(function (m, i) {
      var x = u.valToPos(m.t, 'x', true);
      ctx.strokeStyle = 'rgba(80, 80, 80, 0.7)';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#333';
      ctx.font = (9 * devicePixelRatio) + 'px sans-serif';
      ctx.fillText(m.label, x + 2, top + h - (4 + (i % 4) * 11) * devicePixelRatio);
    });
    ctx.restore();
  }
  window.__charts = [];
  data.charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    var width = Math.max(320, Math.min(1100, el.clientWidth || 900));
    var opts = {
      title: c.title + ' (' + c.unit + ')',
      width: width,
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'seconds since t0' }, { label: c.unit }],
      series: [{ label: 's' }].concat(c.series.map(function (s, i) {
        return { label: s.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: false };
      })),
      hooks: { draw: [overlay] },
    };
    var u = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
    window.__charts.push({ id: c.id, points: c.x.length, series: c.series.length, nonNull: c.series.reduce(function (n, s) { return n + s.values.filter(function (v) { return v !== null; }).length; }, 0), uplot: u });
  });
})();
`

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; margin: 0 auto; max-width: 1140px; padding: 16px 20px; }
header { border-bottom: 3px solid #888; margin-bottom: 12px; }
header.pass { border-color: #2ca02c; } header.fail { border-color: #d62728; } header.aborted { border-color: #ff7f0e; }
.verdict { font-size: 28px; font-weight: 700; }
.pass .verdict { color: #2ca02c; } .fail .verdict { color: #d62728; } .aborted .verdict { color: #ff7f0e; }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dl.meta dt { color: #666; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.fail { color: #d62728; font-weight: 600; } td.pass { color: #2ca02c; }
.chart { margin: 8px 0 18px; break-inside: avoid; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; }
.muted { color: #666; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .chart, table, section { break-inside: avoid; }
  pre { white-space: pre-wrap; }
}
`

function renderHtml(record: RunRecord, verdict: Verdict): string {
  const word = verdictWord(record, verdict)
  const data = {
    charts: timeCharts(record),
    faults: record.faults
      .filter((f) => f.status !== 'inject-failed')
      .map((f) => ({ from: f.injectedAt / 1000, to: (f.revertedAt ?? record.load.durationMs) / 1000, label: f.fault })),
    markers: markers(record),
  }
  const meta: Array<[string, string]> = [
    ['scenario', record.scenarioId],
    ['run', record.runId],
    ['started', record.startedAt],
    ['ended', record.endedAt],
    ['duration', `${(record.load.durationMs / 1000).toFixed(1)}s`],
    ['status', `${record.status}${record.deviated ? ' (deviated)' : ''}`],
    ['engine', `${record.engine.id}${record.engine.version ? ` ${record.engine.version}` : ''}`],
    ['runtime', record.runtime],
    ['seed', String(record.seed)],
    ['score', `${(verdict.score * 100).toFixed(0)}% · exit ${verdict.exitCode}`],
    ['issuer', record.targets.issuer],
    [
      'resource servers',
      record.targets.resourceServers.map((r) => `${r.name}${r.profile ? ` (${r.profile})` : ''}`).join(', ') || '–',
    ],
    [
      'harness',
      `${record.environment.harnessVersion} · node ${record.environment.node} · ${record.environment.platform} · ${record.environment.cpus} cpus`,
    ],
  ]
  const ss = verdict.steadyState
  const ssText = (c: { held: boolean; failed: string[] } | null) =>
    c === null ? 'not checked' : c.held ? 'held' : `deviated: ${c.failed.join(', ')}`
  const sloRows = verdict.slos
    .map(
      (s) =>
        `<tr><td>${e(sloLabel(s))}</td><td>${e(s.title)}</td><td><code>${e(s.objective)}</code></td><td>${e(s.window)}</td><td>${e(formatMeasured(s))}</td><td>${e(formatMargin(s))}</td><td>${e(formatBudget(s))}</td><td class="${s.pass ? 'pass' : 'fail'}">${e(sloStatus(s))}</td><td>${e(s.attribution ?? '')}</td></tr>`,
    )
    .join('\n')
  const probeRows = record.probes
    .map(
      (p) =>
        `<tr><td>${e(p.probe)}</td><td>${e(p.name)}</td><td>${e(formatProbe(p))}</td><td>${e(p.status)}${p.error ? `: ${e(p.error)}` : ''}</td><td>${e(
          Object.entries(p.breakdown ?? {})
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
        )}</td><td>${atSeconds(p.startedAt)}–${atSeconds(p.endedAt)}</td></tr>`,
    )
    .join('\n')
  const faultRows = record.faults
    .map(
      (f) =>
        `<tr><td>${f.index}</td><td>${e(f.fault)}</td><td><code>${e(JSON.stringify(f.params))}</code></td><td>${atSeconds(f.injectedAt)}</td><td>${f.revertedAt === undefined ? '–' : atSeconds(f.revertedAt)}</td><td>${e(f.status)}${f.error ? `: ${e(f.error)}` : ''}</td></tr>`,
    )
    .join('\n')
  const { js, css } = uplotAssets()
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(word)} · ${e(record.scenarioId)} · oauth-gameday</title>
<style>${css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header class="${word.toLowerCase()}">
<div class="verdict">${e(word)} — ${e(record.scenarioId)}</div>
<div>${e(record.title)}</div>
<dl class="meta">${meta.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>
<div>Steady state: before ${e(ssText(ss.before))}; after ${e(ssText(ss.after))}</div>
${record.error ? `<div class="fail"><strong>${e(record.error.code)}</strong>: ${e(record.error.message)}</div>` : ''}
</header>
<section id="slos"><h2>SLOs</h2>
<table><thead><tr><th>id</th><th>indicator</th><th>objective</th><th>window</th><th>measured</th><th>margin</th><th>budget</th><th>status</th><th>attribution</th></tr></thead>
<tbody>
${sloRows}
</tbody></table></section>
<section id="charts"><h2>Over time</h2>
<p class="muted">Shaded: fault windows. Dashed lines: events.</p>
${data.charts.map((c) => `<div class="chart" id="chart-${c.id}"></div>`).join('\n')}
</section>
<section id="probes"><h2>Probes</h2>
${record.probes.length ? `<table><thead><tr><th>probe</th><th>measures</th><th>value</th><th>status</th><th>breakdown</th><th>when</th></tr></thead><tbody>\n${probeRows}\n</tbody></table>` : '<p class="muted">no probes in this run</p>'}
</section>
<section id="faults"><h2>Faults</h2>
${record.faults.length ? `<table><thead><tr><th>#</th><th>fault</th><th>params</th><th>injected</th><th>reverted</th><th>status</th></tr></thead><tbody>\n${faultRows}\n</tbody></table>` : '<p class="muted">no faults in this run</p>'}
</section>
<section id="scenario"><h2>Scenario as run</h2>
<pre>${e(stringify(record.scenario ?? {}, { sortMapEntries: false }))}</pre>
</section>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${js}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`
}

export const html: ReporterDefinition = {
  id: 'html',
  summary: 'report.html: self-contained page with verdict, charts (uPlot, inline), SLOs, probes and the scenario',
  render(record, verdict) {
    return [{ name: 'report.html', content: maskSecrets(renderHtml(record, verdict)) }]
  },
}
