import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { scoreRun } from '../slo/score.ts'
import { multiRsRun } from '../../test/fixtures/records/multi-rs.ts'
import { rsLanes, timeCharts } from './charts.ts'
import { html, markerGroups } from './html.ts'

function dataOf(page: string) {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(page)
  return JSON.parse(m![1]!)
}

describe('html reporter', () => {
  it('renders the per-RS × attack table of jwt-attacks, accepted cells marked', async () => {
    const { record, verdict } = sampleRun()
    const obs = [
      { rs: 'orders', attack: 'alg-none', applicable: true, accepted: false, status: 401 },
      { rs: 'weak', attack: 'alg-none', applicable: true, accepted: true, status: 200 },
    ]
    record.probes.push({
      index: 9,
      probe: 'jwt-attacks',
      name: 'JWT attacks accepted (all RSs)',
      status: 'ok',
      value: 1,
      unit: 'count',
      observations: obs,
      startedAt: 1000,
      endedAt: 2000,
    })
    const page = (await html.render(record, verdict))[0]!.content as string
    expect(page).toContain('<section id="jwt-attacks">')
    expect(page).toContain('<tr><td>alg-none</td><td>refused (401)</td><td class="fail">ACCEPTED (200)</td></tr>')
    expect((await html.render(sampleRun().record, verdict))[0]!.content).not.toContain('id="jwt-attacks"')
  })

  it('renders one self-contained page with inline uPlot, data, fault windows and event markers', async () => {
    const { record, verdict } = sampleRun()
    const [file] = await html.render(record, verdict)
    const page = file!.content as string
    expect(file!.name).toBe('report.html')
    expect(page.startsWith('<!doctype html>')).toBe(true)
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|@import/i)
    expect(page).toContain('uPlot')
    expect(page).toContain('<div class="verdict">FAIL — bad-key-rotation</div>')
    expect(page).toContain('@media print')
    const data = dataOf(page)
    expect(data.charts.map((c: { id: string }) => c.id)).toEqual([
      'rs-rs1',
      'rate',
      'latency-introspection',
      'latency-oauth_token',
      'latency-rs_request',
      'errors',
    ])
    expect(data.faults).toEqual([{ from: 10, to: 20, label: 'bad-key-rotation' }])
    // events grouped by second: fault.injected (9.95 s) alone, key.published and token.rejected together at 10 s
    const groups = data.charts[1].markers as Array<{ s: number; events: Array<{ type: string; component: string }> }>
    expect(groups.map((g) => [g.s, g.events.map((ev) => ev.type)])).toEqual([
      [9, ['fault.injected']],
      [10, ['key.published', 'token.rejected']],
      [15, ['refresh_token.reused']],
      [20, ['fault.reverted']],
    ])
    expect(groups[1]!.events.map((ev) => ev.component)).toEqual(['mock-as', 'rs'])
    expect(page).toContain('<section id="what-happened">')
    expect(page).toContain(
      'rs1 (resilient) first rejected valid tokens at 10.0s (unknown_kid); it was back under M3&apos;s objective at 18.0s (8.0s after the key publication).',
    )
    expect(page).toContain('timeline:\n  - at: 10s') // the scenario as YAML
  })

  it('keeps a hostile string from closing the data script', async () => {
    const record = buildRecord({
      series: [
        { metric: 'rs_request', failed: true, tags: { status: '401', reason: '</script><script>alert(1)</script>' } },
      ],
    })
    const page = (await html.render(record, scoreRun(record, [], [])))[0]!.content as string
    expect(page).not.toContain('<script>alert(1)')
    const errors = dataOf(page).charts.find((c: { id: string }) => c.id === 'errors')
    expect(errors.series[0].label).toBe('</script><script>alert(1)</script>')
  })

  it('computes per-second rate, percentiles and errors by reason', () => {
    const { record } = sampleRun()
    const charts = timeCharts(record)
    const [rate, errors] = [charts[0]!, charts.at(-1)!]
    const latency = charts.find((c) => c.id === 'latency-oauth_token')!
    expect(rate.x).toHaveLength(30)
    expect(rate.series.find((s) => s.label === 'rs_request')!.values[11]).toBe(52)
    const p99 = latency.series.find((s) => s.label === 'p99')!.values
    expect(p99[15]!).toBeGreaterThan(p99[5]!)
    expect(errors.series.find((s) => s.label === 'unknown_kid')!.values.slice(9, 12)).toEqual([0, 12, 12])
  })

  it('draws latency in one unit per chart and a lane per RS', () => {
    const { record } = multiRsRun()
    const charts = timeCharts(record)
    const units = Object.fromEntries(charts.filter((c) => c.id.startsWith('latency-')).map((c) => [c.id, c.unit]))
    expect(units).toEqual({ 'latency-browser_login': 's', 'latency-oauth_token': 'ms', 'latency-rs_request': 'ms' })
    const browser = charts.find((c) => c.id === 'latency-browser_login')!
    expect(browser.series[0]!.values[3]).toBeCloseTo(2.4, 1)
    const lanes = rsLanes(record)
    expect(lanes.map((l) => l.id)).toEqual(['rs-orders', 'rs-billing', 'rs-payments'])
    // titled like the per-RS table: description, else profile, else external
    expect(lanes.map((l) => l.title.split(':')[0])).toEqual([
      'orders (resilient)',
      'billing (jose-defaults)',
      'payments (payments API (express-oauth2-jwt-bearer))',
    ])
    const billing = lanes[1]!
    expect(billing.series.map((s) => s.label)).toEqual(['accepted', 'rejected: validator_unavailable'])
    expect(billing.series[0]!.values.slice(9, 11)).toEqual([30, 6])
    expect(billing.series[1]!.values.slice(23, 25)).toEqual([24, 0])
    expect(lanes[0]!.series.map((s) => s.label)).toEqual(['accepted'])
  })

  it("says per RS when it was back under each broken SLO's objective, or that it never was", async () => {
    const { record, verdict } = multiRsRun()
    const page = (await html.render(record, verdict))[0]!.content as string
    expect(page).toContain(
      '<li class="broke">payments (payments API (express-oauth2-jwt-bearer)) first rejected valid tokens at 11.0s (unknown_kid); it was back under M3&apos;s objective at 13.0s (before the revert); it was never back under M9&apos;s objective before the end of the run.</li>',
    )
    expect(page).toContain(
      '<li>billing (jose-defaults) first rejected valid tokens at 10.0s (validator_unavailable); it was back under M3&apos;s objective at 24.0s (4.0s after the revert).</li>',
    )
  })

  it('shows how a run that did not complete ended at the top', async () => {
    const { record, verdict } = multiRsRun({
      status: 'errored',
      error: { code: 'ERR_COMPONENT_EXITED', message: 'mock-rs billing exited (code 1)' },
    })
    const page = (await html.render(record, verdict))[0]!.content as string
    const header = page.slice(page.indexOf('<header'), page.indexOf('</header>'))
    expect(header).toMatch(
      /^<header class="errored">\n<div class="ending" role="alert">ERRORED: errored at 30\.0s \(2026-01-02T03:04:35\.000Z\): ERR_COMPONENT_EXITED: mock-rs billing exited \(code 1\)/,
    )
  })

  it('groups events by second and keeps them inside the load', () => {
    const groups = markerGroups(
      [
        { t: -10, source: 'runner', type: 'run.started' },
        { t: 1500, source: 'rs:a', type: 'x.happened' },
        { t: 1999, source: 'cdn', type: 'y.happened' },
        { t: 2000, source: 'rs:b', type: 'z.happened' },
        { t: 99_000, source: 'runner', type: 'late.happened' },
      ],
      10_000,
    )
    expect(groups).toEqual([
      {
        s: 1,
        events: [
          { t: 1.5, type: 'x.happened', source: 'rs:a', component: 'rs' },
          { t: 1.999, type: 'y.happened', source: 'cdn', component: 'cdn' },
        ],
      },
      { s: 2, events: [{ t: 2, type: 'z.happened', source: 'rs:b', component: 'rs' }] },
    ])
  })

  it('renders a record without traffic', async () => {
    const record = buildRecord({ durationMs: 0, aborted: true })
    const page = (await html.render(record, scoreRun(record, [], [])))[0]!.content as string
    expect(page).toContain('INTERRUPTED')
    expect(dataOf(page).charts[0].x).toEqual([0])
  })
})
