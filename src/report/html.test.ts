import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { scoreRun } from '../slo/score.ts'
import { timeCharts } from './charts.ts'
import { html } from './html.ts'

function dataOf(page: string) {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(page)
  return JSON.parse(m![1]!)
}

describe('html reporter', () => {
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
    expect(data.charts.map((c: { id: string }) => c.id)).toEqual(['rate', 'latency', 'errors'])
    expect(data.faults).toEqual([{ from: 10, to: 20, label: 'bad-key-rotation' }])
    expect(data.markers.map((m: { label: string }) => m.label)).toEqual([
      'fault.injected',
      'key.published',
      'token.rejected',
      'refresh_token.reused',
      'fault.reverted',
    ])
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
    expect(dataOf(page).charts[2].series[0].label).toBe('</script><script>alert(1)</script>')
  })

  it('computes per-second rate, percentiles and errors by reason', () => {
    const { record } = sampleRun()
    const [rate, latency, errors] = timeCharts(record)
    expect(rate!.x).toHaveLength(30)
    expect(rate!.series.find((s) => s.label === 'rs_request')!.values[11]).toBe(52)
    const p99 = latency!.series.find((s) => s.label === 'p99')!.values
    expect(p99[15]!).toBeGreaterThan(p99[5]!)
    expect(errors!.series.find((s) => s.label === 'unknown_kid')!.values.slice(9, 12)).toEqual([0, 12, 12])
  })

  it('renders a record without traffic', async () => {
    const record = buildRecord({ durationMs: 0, aborted: true })
    const page = (await html.render(record, scoreRun(record, [], [])))[0]!.content as string
    expect(page).toContain('ABORTED')
    expect(dataOf(page).charts[0].x).toEqual([0])
  })
})
