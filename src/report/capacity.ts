/**
 * The capacity report: `capacity.json` (the search, step by step) and
 * `capacity.html` (the throughput–latency curve drawn with inline uPlot,
 * the highest passing rate, the knee, the first failing SLO, the headroom
 * statement). Pure and deterministic, like every reporter.
 */
import type { CapacityResult } from '../capacity.ts'
import { maskSecrets } from '../util/secrets.ts'
import { escapeXml as e } from './format.ts'
import { scriptJson, uplotAssets } from './html.ts'
import type { ReportFile } from './types.ts'

export interface CapacityMeta {
  scenarioId: string
  title: string
}

const SCRIPT = `
(function () {
  var d = JSON.parse(document.getElementById('capacity-data').textContent);
  var el = document.getElementById('chart-capacity');
  function marks(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
    ctx.save();
    [[d.highestPassingRate, '#2ca02c', 'highest pass'], [d.kneeRate, '#ff7f0e', 'knee'], [d.firstFailingRate, '#d62728', 'first fail']].forEach(function (m) {
      if (m[0] === null) return;
      var x = u.valToPos(m[0], 'x', true);
      ctx.strokeStyle = m[1]; ctx.setLineDash([5, 4]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = m[1];
      ctx.font = (10 * devicePixelRatio) + 'px sans-serif';
      ctx.fillText(m[2], x + 3, top + 12 * devicePixelRatio);
    });
    ctx.restore();
  }
  var u = new uPlot({
    title: 'p95 latency of the token endpoint vs offered rate',
    width: Math.max(320, Math.min(1100, el.clientWidth || 900)), height: 300,
    scales: { x: { time: false }, y: { distr: 3 }, rps: { auto: true } },
    axes: [{ label: 'offered rate (req/s)' }, { label: 'p95 (ms)' }, { scale: 'rps', side: 1, label: 'achieved req/s', grid: { show: false } }],
    series: [{ label: 'rate' },
      { label: 'p95 (pass)', stroke: '#2ca02c', width: 2, points: { size: 7 } },
      { label: 'p95 (fail)', stroke: '#d62728', width: 0, points: { size: 9, fill: '#d62728' } },
      { label: 'achieved req/s', stroke: '#1f77b4', width: 1, scale: 'rps' }],
    hooks: { draw: [marks] },
  }, [d.x, d.pass, d.fail, d.achieved], el);
  window.__charts = [{ id: 'capacity', points: d.x.length, nonNull: d.pass.concat(d.fail).filter(function (v) { return v !== null; }).length, uplot: u }];
})();
`

/** Render `capacity.json` and `capacity.html`. */
export function renderCapacity(result: CapacityResult, meta: CapacityMeta): ReportFile[] {
  const sorted = [...result.steps].sort((a, b) => a.rate - b.rate || a.atMs - b.atMs)
  // one point per rate (a rate tried twice keeps its last result)
  const byRate = new Map(sorted.map((s) => [s.rate, s]))
  const pts = [...byRate.values()]
  const data = {
    x: pts.map((s) => s.rate),
    pass: pts.map((s) => (s.pass && s.p95Ms !== undefined ? s.p95Ms : null)),
    fail: pts.map((s) => (!s.pass && s.p95Ms !== undefined ? s.p95Ms : null)),
    achieved: pts.map((s) => s.achievedRate ?? null),
    highestPassingRate: result.highestPassingRate,
    kneeRate: result.kneeRate,
    firstFailingRate: result.firstFailingRate,
  }
  const json = `${JSON.stringify({ schemaVersion: 1, scenarioId: meta.scenarioId, title: meta.title, ...result }, null, 2)}\n`
  const rows = result.steps
    .map(
      (s, i) =>
        `<tr><td>${i + 1}</td><td>${e(s.phase)}</td><td>${s.rate}</td><td>${s.achievedRate ?? '–'}</td><td>${s.p95Ms === undefined ? '–' : `${Math.round(s.p95Ms * 10) / 10}ms`}</td><td class="${s.pass ? 'pass' : 'fail'}">${s.pass ? 'pass' : 'FAIL'}</td><td>${e((s.failing ?? []).join(', '))}</td></tr>`,
    )
    .join('\n')
  const { js, css } = uplotAssets()
  const fact = (k: string, v: number | string | null) => `<dt>${e(k)}</dt><dd>${v === null ? '–' : e(String(v))}</dd>`
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>capacity · ${e(meta.scenarioId)} · oauth-gameday</title>
<style>${css}</style>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 1140px; margin: 0 auto; padding: 16px 20px; }
.statement { font-size: 20px; font-weight: 600; margin: 8px 0 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dt { color: #666; } dd { margin: 0; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; }
td.fail { color: #d62728; font-weight: 600; } td.pass { color: #2ca02c; }
@media print { body { max-width: none; } #chart-capacity, table { break-inside: avoid; } }
</style></head>
<body>
<h1>Capacity — ${e(meta.scenarioId)}</h1>
<div>${e(meta.title)}</div>
<p class="statement">${e(result.statement)}</p>
<dl>${fact('highest passing rate (req/s)', result.highestPassingRate)}${fact('knee (req/s)', result.kneeRate)}${fact('first failing rate (req/s)', result.firstFailingRate)}${fact('first failing SLO', result.firstFailingSlo)}${fact('steps', result.steps.length)}${fact('search time', `${Math.round(result.elapsedMs / 1000)}s${result.budgetExhausted ? ' (budget exhausted)' : ''}`)}</dl>
<div id="chart-capacity"></div>
<h2>Steps</h2>
<table><thead><tr><th>#</th><th>phase</th><th>offered req/s</th><th>achieved req/s</th><th>p95</th><th>SLOs</th><th>failing</th></tr></thead><tbody>
${rows}
</tbody></table>
<script type="application/json" id="capacity-data">${scriptJson(data)}</script>
<script>${js}</script>
<script>${SCRIPT}</script>
</body></html>
`
  return [
    { name: 'capacity.json', content: maskSecrets(json) },
    { name: 'capacity.html', content: maskSecrets(html) },
  ]
}
