import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import type { RunRecord } from '../record/index.ts'
import { alertRows } from './alert-rows.ts'
import { html } from './html.ts'
import { markdown } from './markdown.ts'
import { RunRecordSchema } from '../record/schema.ts'

function withPrometheus(): ReturnType<typeof sampleRun> {
  const run = sampleRun()
  const labels = (alertname: string) => ({
    alertname,
    slo: 'M3',
    severity: alertname.endsWith('page') ? 'page' : 'ticket',
  })
  const prometheus: NonNullable<RunRecord['prometheus']> = {
    version: '2.42.0',
    scrapeIntervalSeconds: 1,
    windows: [
      { severity: 'page', factor: 14.4, shortSeconds: 5, longSeconds: 30 },
      { severity: 'ticket', factor: 1, shortSeconds: 15, longSeconds: 30 },
    ],
    alerts: [
      { alert: 'GamedaySLO_M3_page', slo: 'M3', severity: 'page' },
      { alert: 'GamedaySLO_M3_ticket', slo: 'M3', severity: 'ticket' },
      { alert: 'GamedaySLO_M1_page', slo: 'M1', severity: 'page' },
    ],
    skipped: [{ id: 'M9', reason: 'a probe measurement' }],
    transitions: [
      { alertname: 'GamedaySLO_M3_page', state: 'firing', labels: labels('GamedaySLO_M3_page'), at: 13_000 },
      { alertname: 'GamedaySLO_M3_ticket', state: 'firing', labels: labels('GamedaySLO_M3_ticket'), at: 13_000 },
    ],
    detections: [
      {
        alertname: 'GamedaySLO_M3_page',
        slo: 'M3',
        severity: 'page',
        firedAt: 13_000,
        resolvedAt: 24_000,
        faultIndex: 0,
        fault: 'bad-key-rotation',
        timeToDetectSeconds: 3,
        timeToResolveSeconds: 4,
        falseAlarm: false,
      },
      { alertname: 'GamedaySLO_M3_ticket', slo: 'M3', severity: 'ticket', firedAt: 2_000, falseAlarm: true },
    ],
  }
  run.record.prometheus = prometheus
  for (const t of prometheus.transitions)
    run.record.events.push({ t: t.at, source: 'prometheus', type: `alert.${t.state}`, data: { ...t } })
  return run
}

describe('alert rows', () => {
  it('gives time to detect and resolve per firing, false alarms, and the alerts that never fired', () => {
    const { rows, silent } = alertRows(withPrometheus().record)
    expect(rows).toEqual([
      {
        alert: 'GamedaySLO_M3_page',
        severity: 'page',
        fault: 'bad-key-rotation (#0)',
        firedAt: '13.0s',
        timeToDetect: '3.0s',
        resolvedAt: '24.0s',
        timeToResolve: '4.0s',
        verdict: 'detected',
      },
      {
        alert: 'GamedaySLO_M3_ticket',
        severity: 'ticket',
        fault: '–',
        firedAt: '2.0s',
        timeToDetect: '–',
        resolvedAt: 'still firing',
        timeToResolve: '–',
        verdict: 'false alarm',
      },
    ])
    expect(silent).toEqual(['GamedaySLO_M1_page'])
    // the section is part of the published run.json schema
    const record = JSON.parse(JSON.stringify(withPrometheus().record))
    expect([...Value.Errors(RunRecordSchema, record)].map((e) => `${e.path} ${e.message}`)).toEqual([])
    record.prometheus.detections[0].extra = 1
    expect(Value.Check(RunRecordSchema, record)).toBe(false)
    expect(alertRows(sampleRun().record)).toEqual({ rows: [], silent: [] })
  })

  it('shows the alerts in summary.md and report.html, with one chart mark per alert', async () => {
    const { record, verdict } = withPrometheus()
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md).toContain(
      'Windows: page 14.4x over 5s and 30s; ticket 1x over 15s and 30s (scrape and evaluation every 1s, Prometheus 2.42.0)',
    )
    expect(md).toContain('| GamedaySLO_M3_page | bad-key-rotation (#0) | 13.0s | 3.0s | 24.0s | 4.0s | detected |')
    expect(md).toContain('| GamedaySLO_M3_ticket | – | 2.0s | – | still firing | – | false alarm |')
    expect(md).toContain('Never fired: `GamedaySLO_M1_page`')
    const page = (await html.render(record, verdict))[0]!.content as string
    expect(page).toContain('<section id="alerts"><h2>Alerts (Prometheus)</h2>')
    const data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(page)![1]!)
    const marks = data.charts[0].markers.flatMap((g: { events: Array<{ type: string }> }) =>
      g.events.map((ev) => ev.type),
    )
    expect(marks).toContain('GamedaySLO_M3_page firing')
    expect(marks).toContain('GamedaySLO_M3_ticket firing')
    const plain = (await markdown.render(sampleRun().record, sampleRun().verdict))[0]!.content as string
    expect(plain).not.toContain('Alerts (Prometheus)')
  })
})
