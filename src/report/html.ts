/**
 * `html` — `report.html`: one self-contained page (no network: uPlot's
 * script and styles are inlined from node_modules at render time, data is
 * inlined as JSON). Header with verdict, run metadata and, for a run that did
 * not complete, when and why it ended; "what happened" in plain words (fault
 * → first rejection → recovery, per RS); the SLO table with per-RS rows; a
 * lane per resource server (accepted / rejected by reason per second);
 * request rate, latency per family (one unit per chart) and errors by reason,
 * fault windows shaded; event markers as DOM elements over every chart,
 * grouped by second, coloured by component and laid out so none overlap (again on every redraw: resize, zoom);
 * probe results as tables; the scenario as run. Printable. `window.__charts`
 * lets tests see what was drawn.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { stringify } from 'yaml'
import type { RunRecord } from '../record/index.ts'
import type { Verdict } from '../slo/types.ts'
import { alertRows, alertWindowsLine } from './alert-rows.ts'
import { attackTable } from './attack-table.ts'
import { parseThreshold } from '../slo/threshold.ts'
import { shownValue } from '../slo/per-rs.ts'
import type { RunEvent } from '../record/index.ts'
import { rsLanes, timeCharts } from './charts.ts'
import {
  atSeconds,
  escapeXml as e,
  formatBudget,
  formatMargin,
  formatMeasured,
  formatProbe,
  runEnding,
  sloLabel,
  sloStatus,
  verdictWord,
} from './format.ts'
import { type RsFacts, recoveryParts, rsFacts } from './per-rs.ts'
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

/** The component an event came from: `rs:billing` → `rs`, so every RS shares the RS colour. */
export function componentOf(source: string): string {
  return source.startsWith('rs:') ? 'rs' : source
}

/** Events inside the load, grouped by second (one marker each), at most 80 groups. */
export function markerGroups(
  events: readonly RunEvent[],
  durationMs: number,
): Array<{ s: number; events: Array<{ t: number; type: string; source: string; component: string }> }> {
  const groups = new Map<number, Array<{ t: number; type: string; source: string; component: string }>>()
  for (const ev of [...events].sort((a, b) => a.t - b.t)) {
    if (ev.t < 0 || ev.t > durationMs) continue
    const s = Math.floor(ev.t / 1000)
    const list = groups.get(s) ?? []
    // an alert transition is marked with its alert's name: a page and a ticket firing in the same second read apart
    const type =
      ev.source === 'prometheus' && typeof ev.data?.alertname === 'string'
        ? `${ev.data.alertname} ${String(ev.data.state)}`
        : ev.type
    list.push({ t: Math.round(ev.t) / 1000, type, source: ev.source, component: componentOf(ev.source) })
    groups.set(s, list)
  }
  return [...groups.entries()].slice(0, 80).map(([s, list]) => ({ s, events: list }))
}

/** The page script: builds each chart with uPlot, shades fault windows on the canvas, lays out event markers as DOM elements. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  function shade(u) {
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
    ctx.restore();
  }
  // markers: one per second in the x range shown, placed in the first row where it does not touch the previous one;
  // laid out again on every redraw (resize, zoom), so they follow the axis
  function markers(u, band, groups) {
    band.textContent = '';
    var bandBox = band.getBoundingClientRect(), overBox = u.over.getBoundingClientRect();
    var left0 = overBox.left - bandBox.left, width = Math.min(band.clientWidth, left0 + overBox.width), rows = [], placed = [], gap = 4, rowH = 20;
    var min = u.scales.x.min, max = u.scales.x.max;
    groups.filter(function (g) { return g.s + 0.5 >= min && g.s + 0.5 <= max; }).forEach(function (g) {
      var m = document.createElement('div');
      m.className = 'marker';
      m.tabIndex = 0;
      var comps = [];
      g.events.forEach(function (ev) { if (comps.indexOf(ev.component) < 0) comps.push(ev.component); });
      var colours = comps.map(function (c) { return data.colours[c] || '#555'; });
      m.style.background = colours.length === 1 ? colours[0] : 'linear-gradient(90deg, ' + colours.map(function (c, i) { return c + ' ' + Math.round(i * 100 / colours.length) + '% ' + Math.round((i + 1) * 100 / colours.length) + '%'; }).join(', ') + ')';
      m.dataset.second = String(g.s);
      m.dataset.count = String(g.events.length);
      m.dataset.components = comps.join(' ');
      var label = document.createElement('span');
      label.textContent = g.events.length === 1 ? g.events[0].type : g.events.length + ' events';
      m.appendChild(label);
      var list = document.createElement('ul');
      list.className = 'marker-list';
      g.events.forEach(function (ev) {
        var li = document.createElement('li');
        var dot = document.createElement('i');
        dot.style.background = data.colours[ev.component] || '#555';
        li.appendChild(dot);
        li.appendChild(document.createTextNode(ev.t.toFixed(2) + 's ' + ev.source + ' ' + ev.type));
        list.appendChild(li);
      });
      m.appendChild(list);
      band.appendChild(m);
      var w = m.offsetWidth;
      var x = left0 + u.valToPos(g.s + 0.5, 'x');
      var left = Math.max(0, Math.min(width - w, x - w / 2));
      var row = 0;
      while (row < rows.length && rows[row] + gap > left) row++;
      rows[row] = left + w;
      m.style.left = left + 'px';
      m.style.top = (row * rowH) + 'px';
      m.dataset.row = String(row);
      placed.push({ m: m, row: row, dx: x - left });
    });
    band.style.height = (Math.max(1, rows.length) * rowH + 2) + 'px';
    // a dashed tick from each marker down to the top of the plot
    var plotTop = u.over.getBoundingClientRect().top - band.getBoundingClientRect().top;
    placed.forEach(function (p) {
      var tick = document.createElement('div');
      tick.className = 'marker-tick';
      tick.style.left = p.dx + 'px';
      tick.style.height = Math.max(0, plotTop - p.row * rowH - 16) + 'px';
      p.m.appendChild(tick);
    });
  }
  function legendOnHover(u) {
    u.root.classList.add('hover-legend');
  }
  // markers need the scales, which uPlot sets on its first draw; __charts appears once every chart has its markers
  var done = [], sized = [], pending = data.charts.length;
  function chartWidth(el) { return Math.max(320, Math.min(1100, el.clientWidth || 900)); }
  if (pending === 0) window.__charts = [];
  data.charts.forEach(function (c, index) {
    var el = document.getElementById('chart-' + c.id);
    var plot = el.querySelector('.plot');
    var band = el.querySelector('.marker-band');
    var width = chartWidth(el);
    var opts = {
      title: c.title + ' (' + c.unit + ')',
      width: width,
      height: c.lane ? 170 : 220,
      scales: { x: { time: false } },
      legend: { live: true },
      axes: [{ label: 'seconds since t0' }, { label: c.unit }],
      series: [{ label: 'second' }].concat(c.series.map(function (s, i) {
        var colour = s.label === 'accepted' ? '#2ca02c' : palette[i % palette.length];
        return { label: s.label, stroke: colour, fill: c.lane ? colour + '22' : undefined, width: 1.5, spanGaps: false };
      })),
      hooks: { draw: [shade, layout], ready: [legendOnHover] },
    };
    var laidOut = false;
    function layout(u) {
      markers(u, band, c.markers);
      band.dataset.layouts = String(Number(band.dataset.layouts || 0) + 1);
      if (laidOut) return;
      laidOut = true;
      done[index] = { id: c.id, lane: !!c.lane, labels: c.series.map(function (s) { return s.label; }), points: c.x.length, series: c.series.length, markers: c.markers.length, nonNull: c.series.reduce(function (n, s) { return n + s.values.filter(function (v) { return v !== null; }).length; }, 0), uplot: u };
      if (--pending === 0) window.__charts = done;
    }
    var u = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), plot);
    sized.push(function () {
      var w = chartWidth(el);
      if (w !== u.width) u.setSize({ width: w, height: u.height });
      else markers(u, band, c.markers);
    });
  });
  // a resized window resizes every chart (uPlot redraws, the draw hook lays the markers out again), once per frame
  var frame = 0;
  window.addEventListener('resize', function () {
    if (frame) return;
    frame = requestAnimationFrame(function () {
      frame = 0;
      sized.forEach(function (f) { f(); });
    });
  });
})();
`

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; margin: 0 auto; max-width: 1140px; padding: 16px 20px; }
header { border-bottom: 3px solid #888; margin-bottom: 12px; }
header.pass { border-color: #2ca02c; } header.fail { border-color: #d62728; } header.aborted, header.interrupted, header.errored { border-color: #ff7f0e; }
.verdict { font-size: 28px; font-weight: 700; }
.pass .verdict { color: #2ca02c; } .fail .verdict { color: #d62728; } .aborted .verdict, .interrupted .verdict, .errored .verdict { color: #ff7f0e; }
.ending { background: #fff3e0; border-left: 5px solid #ff7f0e; padding: 8px 12px; margin: 8px 0; font-weight: 600; }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dl.meta dt { color: #666; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.fail { color: #d62728; font-weight: 600; } td.pass { color: #2ca02c; }
tr.rs td:first-child { padding-left: 22px; color: #555; }
table.kv { width: auto; margin: 0; } table.kv td { border: 0; padding: 0 8px 0 0; }
#what-happened li.broke { color: #b71c1c; } #what-happened li.held { color: #1b5e20; }
.chart { margin: 8px 0 18px; break-inside: avoid; position: relative; }
.marker-band { position: relative; margin: 0 0 2px; min-height: 2px; }
.marker { position: absolute; height: 16px; padding: 0 5px; border-radius: 3px; color: #fff; font-size: 11px; line-height: 16px; white-space: nowrap; cursor: default; box-sizing: border-box; }
.marker-tick { position: absolute; top: 16px; width: 0; border-left: 1px dashed rgba(60, 60, 60, 0.6); pointer-events: none; }
.marker-list { display: none; position: absolute; top: 18px; left: 0; z-index: 10; margin: 0; padding: 6px 8px; list-style: none; background: #fff; color: #222; border: 1px solid #bbb; border-radius: 4px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
.marker:hover .marker-list, .marker:focus .marker-list { display: block; }
.marker-list i { display: inline-block; width: 8px; height: 8px; border-radius: 4px; margin-right: 5px; }
.legend-key span { display: inline-block; margin-right: 10px; } .legend-key i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; vertical-align: middle; }
.hover-legend .u-legend .u-value { visibility: hidden; }
.hover-legend:hover .u-legend .u-value { visibility: visible; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; }
.muted { color: #666; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .chart, table, section { break-inside: avoid; }
  pre { white-space: pre-wrap; }
}
`

/** Marker colours by component. */
const COLOURS: Record<string, string> = {
  runner: '#455a64',
  'mock-as': '#6a1b9a',
  cdn: '#00838f',
  'fault-proxy': '#c62828',
  rs: '#1565c0',
  engine: '#5d4037',
}

function colourOf(component: string): string {
  if (COLOURS[component]) return COLOURS[component]!
  let h = 0
  for (const c of component) h = (h * 31 + c.charCodeAt(0)) % 360
  return `hsl(${h}, 55%, 38%)`
}

/** "What happened", in plain words: faults, then per RS first rejection and recovery, then the SLOs that broke. */
function whatHappened(record: RunRecord, verdict: Verdict, facts: readonly RsFacts[]): string[] {
  const lines: Array<{ cls: string; text: string }> = []
  for (const f of record.faults) {
    if (f.status === 'inject-failed')
      lines.push({
        cls: 'broke',
        text: `${f.fault} could not be injected at ${atSeconds(f.injectedAt)}${f.error ? `: ${f.error}` : ''}.`,
      })
    else
      lines.push({
        cls: '',
        text: `${f.fault} was injected at ${atSeconds(f.injectedAt)}${f.revertedAt !== undefined ? ` and reverted at ${atSeconds(f.revertedAt)}` : ', never reverted'}.`,
      })
  }
  for (const f of facts) {
    const who = `${f.rs} (${f.label})`
    if (!f.firstRejection && f.recoveries.length === 0) {
      if (f.acceptedFault !== undefined || f.recoverFrom)
        lines.push({
          cls: 'held',
          text: `${who} kept accepting valid tokens${f.acceptedFault !== undefined ? ` (${(f.acceptedFault * 100).toFixed(1)}% in the fault window)` : ''}.`,
        })
      continue
    }
    const clauses = [
      f.firstRejection
        ? `${who} first rejected valid tokens at ${atSeconds(f.firstRejection.at)} (${f.firstRejection.reason})`
        : `${who} broke ${f.recoveries.map((r) => r.slo).join(', ')}`,
    ]
    // per SLO that broke here, against its own objective; without one (M3 not scored), against M3's default
    for (const r of f.recoveries) {
      const p = recoveryParts(r)
      clauses.push(
        p === null
          ? `it was never back under ${r.slo}'s objective before the end of the run`
          : `it was back under ${r.slo}'s objective ${p.at}${p.relative ? ` (${p.relative})` : ''}`,
      )
    }
    if (f.recoveries.length === 0 && f.firstRejection) {
      if (f.recoveredAt === null) clauses[0] += ' and never recovered before the end of the run'
      else if (f.recoveredAt !== undefined && f.recoverFrom) {
        const d = f.recoveredAt - f.recoverFrom.at
        clauses.push(
          `it was back under M3's objective at ${atSeconds(f.recoveredAt)} (${d < 0 ? `before the ${f.recoverFrom.what}` : `${(d / 1000).toFixed(1)}s after the ${f.recoverFrom.what}`})`,
        )
      }
    }
    const never = f.recoveries.some((r) => r.recoveredAt === null) || f.recoveredAt === null
    lines.push({ cls: never ? 'broke' : '', text: `${clauses.join('; ')}.` })
  }
  for (const s of verdict.slos.filter((x) => !x.pass)) {
    const at = s.firstBrokeAt !== undefined ? ` at ${atSeconds(s.firstBrokeAt)}` : ''
    lines.push({
      cls: 'broke',
      text: s.noData
        ? `${sloLabel(s)} had no data in its ${s.window} window.`
        : `${sloLabel(s)} ${s.title} broke${at}${s.attribution ? `: ${s.attribution}` : ''}.`,
    })
  }
  if (lines.length === 0) lines.push({ cls: 'held', text: 'No fault was injected and every SLO held.' })
  return lines.map((l) => `<li${l.cls ? ` class="${l.cls}"` : ''}>${e(l.text)}</li>`)
}

function kv(map: Record<string, unknown> | undefined): string {
  const entries = Object.entries(map ?? {})
  if (entries.length === 0) return ''
  return `<table class="kv">${entries.map(([k, v]) => `<tr><td>${e(k)}</td><td>${e(v === null ? 'never / no value' : typeof v === 'object' ? JSON.stringify(v) : String(v))}</td></tr>`).join('')}</table>`
}

function renderHtml(record: RunRecord, verdict: Verdict): string {
  const word = verdictWord(record, verdict)
  const dur = record.load.durationMs
  const events = record.events
  const groupsFor = (pred: (ev: RunEvent) => boolean) => markerGroups(events.filter(pred), dur)
  const lanes = rsLanes(record).map((l) => ({
    ...l,
    lane: true,
    markers: groupsFor((ev) => !ev.source.startsWith('rs:') || ev.source === `rs:${l.rs}`),
  }))
  const all = groupsFor(() => true)
  const charts = [...lanes, ...timeCharts(record).map((c) => ({ ...c, markers: all }))]
  const components = [...new Set(events.map((ev) => componentOf(ev.source)))].sort()
  const data = {
    charts,
    faults: record.faults
      .filter((f) => f.status !== 'inject-failed')
      .map((f) => ({ from: f.injectedAt / 1000, to: (f.revertedAt ?? dur) / 1000, label: f.fault })),
    colours: Object.fromEntries(components.map((c) => [c, colourOf(c)])),
  }
  const facts = rsFacts(record, verdict)
  const ending = runEnding(record, verdict)
  const meta: Array<[string, string]> = [
    ['scenario', record.scenarioId],
    ['run', record.runId],
    ['started', record.startedAt],
    ['ended', record.endedAt],
    ['duration', `${(dur / 1000).toFixed(1)}s`],
    [
      'status',
      `${record.status}${record.abortedBy ? ` (by ${record.abortedBy})` : ''}${record.deviated ? ' (deviated)' : ''}`,
    ],
    ['engine', `${record.engine.id}${record.engine.version ? ` ${record.engine.version}` : ''}`],
    ['runtime', record.runtime],
    ['seed', String(record.seed)],
    ['score', `${(verdict.score * 100).toFixed(0)}% · exit ${verdict.exitCode}`],
    ['issuer', record.targets.issuer],
    ['resource servers', facts.map((f) => `${f.rs} (${f.label})`).join(', ') || '–'],
    [
      'harness',
      `${record.environment.harnessVersion} · node ${record.environment.node} · ${record.environment.platform} · ${record.environment.cpus} cpus`,
    ],
  ]
  const ss = verdict.steadyState
  const ssText = (c: { held: boolean; failed: string[] } | null) =>
    c === null ? 'not checked' : c.held ? 'held' : `deviated: ${c.failed.join(', ')}`
  const sloRows = verdict.slos
    .map((s) => {
      const row = `<tr class="slo"><td>${e(sloLabel(s))}</td><td>${e(s.title)}</td><td><code>${e(s.objective)}</code></td><td>${e(s.window)}</td><td>${e(formatMeasured(s))}</td><td>${e(formatMargin(s))}</td><td>${e(formatBudget(s))}</td><td class="${s.pass ? 'pass' : 'fail'}">${e(sloStatus(s))}</td><td>${s.firstBrokeAt !== undefined ? atSeconds(s.firstBrokeAt) : ''}</td><td>${e(s.attribution ?? '')}</td></tr>`
      if (!s.perRs || s.noData) return row
      const t = parseThreshold(s.objective)
      const rs = s.perRs.map(
        (r) =>
          `<tr class="rs" data-slo="${e(s.id)}" data-rs="${e(r.rs)}"><td>${e(r.rs)}</td><td></td><td></td><td></td><td>${e(shownValue(t, r.measured))}</td><td></td><td></td><td class="${r.pass ? 'pass' : 'fail'}">${r.noData ? 'no data' : r.pass ? 'pass' : 'FAIL'}</td><td>${r.firstBrokeAt !== undefined ? atSeconds(r.firstBrokeAt) : ''}</td><td>${e(r.reason ?? r.forceFail ?? '')}</td></tr>`,
      )
      return [row, ...rs].join('\n')
    })
    .join('\n')
  const probeRows = record.probes
    .map(
      (p) =>
        `<tr><td>${e(p.probe)}</td><td>${e(p.name)}</td><td>${e(formatProbe(p))}${p.value !== null ? ` <span class="muted">(${e(p.unit)})</span>` : ''}</td><td>${e(p.status)}${p.error ? `: ${e(p.error)}` : ''}</td><td>${kv(p.breakdown)}</td><td>${p.observations.length}</td><td>${atSeconds(p.startedAt)}–${atSeconds(p.endedAt)}</td></tr>`,
    )
    .join('\n')
  const attacks = attackTable(record)
  const attackSection = attacks
    ? `<section id="jwt-attacks"><h2>Attacks (S2, per RS: JWT attacks, DPoP abuses)</h2>
<table><thead><tr><th>attack</th>${attacks.rss.map((rs) => `<th>${e(rs)}</th>`).join('')}</tr></thead><tbody>
${attacks.rows.map(([a, ...cells]) => `<tr><td>${e(a ?? '')}</td>${cells.map((c) => `<td${/ACCEPTED|fetched/.test(c) ? ' class="fail"' : ''}>${e(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>
</section>
`
    : ''
  const faultRows = record.faults
    .map(
      (f) =>
        `<tr><td>${f.index}</td><td>${e(f.fault)}</td><td>${kv(f.params)}</td><td>${atSeconds(f.injectedAt)}</td><td>${f.revertedAt === undefined ? '–' : atSeconds(f.revertedAt)}</td><td>${e(f.status)}${f.error ? `: ${e(f.error)}` : ''}</td></tr>`,
    )
    .join('\n')
  const alerts = alertRows(record)
  const alertSection = record.prometheus
    ? `<section id="alerts"><h2>Alerts (Prometheus)</h2>
<p class="muted">Windows: ${e(alertWindowsLine(record.prometheus))}</p>
${
  alerts.rows.length
    ? `<table><thead><tr><th>alert</th><th>fault</th><th>fired</th><th>time to detect</th><th>resolved</th><th>time to resolve</th><th>verdict</th></tr></thead><tbody>\n${alerts.rows
        .map(
          (r) =>
            `<tr><td>${e(r.alert)}</td><td>${e(r.fault)}</td><td>${e(r.firedAt)}</td><td>${e(r.timeToDetect)}</td><td>${e(r.resolvedAt)}</td><td>${e(r.timeToResolve)}</td><td class="${r.verdict === 'detected' ? 'pass' : 'fail'}">${e(r.verdict)}</td></tr>`,
        )
        .join('\n')}\n</tbody></table>`
    : '<p>No alert fired.</p>'
}
${alerts.silent.length ? `<p>Never fired: ${e(alerts.silent.join(', '))}</p>` : ''}
${record.prometheus.skipped.map((s) => `<p class="muted">${e(s.id)}: no alert (no server-side SLI: ${e(s.reason)})</p>`).join('\n')}
</section>`
    : ''
  const chartDiv = (c: { id: string }) =>
    `<div class="chart" id="chart-${e(c.id)}"><div class="marker-band"></div><div class="plot"></div></div>`
  const legend = components.length
    ? `<p class="legend-key muted">Markers by component: ${components.map((c) => `<span><i style="background:${colourOf(c)}"></i>${e(c)}</span>`).join('')} — hover a marker for its events.</p>`
    : ''
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
${ending ? `<div class="ending" role="alert">${e(word)}: ${e(ending)}</div>` : ''}
<div class="verdict">${e(word)} — ${e(record.scenarioId)}</div>
<div>${e(record.title)}</div>
<dl class="meta">${meta.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>
<div>Steady state: before ${e(ssText(ss.before))}; after ${e(ssText(ss.after))}</div>
</header>
<section id="what-happened"><h2>What happened</h2>
<ul>
${whatHappened(record, verdict, facts).join('\n')}
</ul></section>
<section id="slos"><h2>SLOs</h2>
<table><thead><tr><th>id</th><th>indicator</th><th>objective</th><th>window</th><th>measured</th><th>margin</th><th>budget</th><th>status</th><th>first broke</th><th>attribution</th></tr></thead>
<tbody>
${sloRows}
</tbody></table></section>
${lanes.length ? `<section id="lanes"><h2>Per resource server</h2>\n<p class="muted">Valid-token requests per second: accepted, and rejected by reason. Shaded: fault windows.</p>\n${legend}\n${lanes.map(chartDiv).join('\n')}\n</section>` : ''}
<section id="charts"><h2>Over time</h2>
<p class="muted">Shaded: fault windows. Markers: events, grouped by second.</p>
${lanes.length ? '' : legend}
${charts
  .filter((c) => !('lane' in c))
  .map(chartDiv)
  .join('\n')}
</section>
${alertSection}
<section id="probes"><h2>Probes</h2>
${record.probes.length ? `<table><thead><tr><th>probe</th><th>measures</th><th>value</th><th>status</th><th>breakdown</th><th>observations</th><th>when</th></tr></thead><tbody>\n${probeRows}\n</tbody></table>` : '<p class="muted">no probes in this run</p>'}
</section>
${attackSection}<section id="faults"><h2>Faults</h2>
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
    return [{ name: 'report.html', content: renderHtml(record, verdict) }]
  },
}
