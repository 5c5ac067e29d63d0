import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { slos as catalog } from '../slo/index.ts'
import { noSli, slis } from './slis.ts'
import { alertName, buildSloRules, errorBudget, latencyBudget, RUNBOOK_BASE } from './slo-rules.ts'
import { burnWindows, gameDayWindows, promDuration } from './windows.ts'

type Rule = {
  record?: string
  alert?: string
  expr: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
const rulesOf = (file: { groups: unknown[] }) =>
  (file.groups as Array<{ name: string; rules: Rule[] }>).flatMap((g) => g.rules)

describe('burnWindows', () => {
  it('gives the SRE workbook windows and factors for 30 days', () => {
    expect(
      burnWindows(30 * 86400).map(
        (w) => `${w.severity} ${w.factor}x ${promDuration(w.shortSeconds)}/${promDuration(w.longSeconds)}`,
      ),
    ).toEqual(['page 14.4x 5m/1h', 'page 6x 30m/6h', 'ticket 3x 2h/1d', 'ticket 1x 6h/3d'])
  })

  it('scales the windows with the period and keeps the factors', () => {
    const w = burnWindows(7 * 86400)
    expect(w.map((x) => x.factor)).toEqual([14.4, 6, 3, 1])
    expect(w[0]).toMatchObject({ shortSeconds: 70, longSeconds: 840 })
  })

  it('keeps game-day windows at five scrape intervals or more', () => {
    expect(gameDayWindows(60, 1)).toEqual([
      { severity: 'page', factor: 14.4, shortSeconds: 5, longSeconds: 30 },
      { severity: 'ticket', factor: 1, shortSeconds: 15, longSeconds: 60 },
    ])
    expect(gameDayWindows(10, 2)).toEqual([
      { severity: 'page', factor: 14.4, shortSeconds: 10, longSeconds: 30 },
      { severity: 'ticket', factor: 1, shortSeconds: 15, longSeconds: 15 },
    ])
  })
})

describe('errorBudget', () => {
  it('reads the budget of rate objectives either way round', () => {
    expect(errorBudget('rate>=0.999')).toBe(0.001)
    expect(errorBudget('rate<0.005')).toBe(0.005)
  })

  it('says why an objective has no budget', () => {
    expect(errorBudget('p(95)<300ms')).toMatch(/not a rate/)
    expect(errorBudget('rate<1')).toMatch(/no error budget/)
  })
})

describe('latencyBudget', () => {
  it('turns a percentile bound into a share of slow requests at a histogram bucket', () => {
    expect(latencyBudget('p(95)<300ms', [0.25, 0.3, 0.5])).toEqual({ budget: 0.05, le: '0.3' })
    expect(latencyBudget('p(99)<=1s', [0.3, 1])).toEqual({ budget: 0.01, le: '1' })
  })

  it('says why it cannot', () => {
    expect(latencyBudget('p(95)<200ms', [0.25, 0.3])).toMatch(/no bucket at 0.2s/)
    expect(latencyBudget('rate<0.01', [0.3])).toMatch(/not an upper bound on a percentile/)
  })
})

describe('buildSloRules', () => {
  const scenario = {
    id: 'rot',
    slos: [
      { id: 'M3' as const },
      { id: 'M3' as const, target: 'orders' },
      { id: 'M9' as const },
      { id: 'M1' as const, objective: 'rate>=0.99' },
    ],
  }

  it('names alerts GamedaySLO_<id>_<severity> and records Sloth series with sloth_* labels', () => {
    const rules = buildSloRules(scenario)
    expect(rules.alerts.map((a) => `${a.alert} ${a.sloth_slo}`)).toEqual([
      'GamedaySLO_M3_page m3',
      'GamedaySLO_M3_ticket m3',
      'GamedaySLO_M3_page m3-orders',
      'GamedaySLO_M3_ticket m3-orders',
      'GamedaySLO_M1_page m1',
      'GamedaySLO_M1_ticket m1',
    ])
    expect(alertName('M10', 'ticket')).toBe('GamedaySLO_M10_ticket')
    const all = rulesOf(rules.file)
    const m3 = all.filter((r) => r.labels?.sloth_id === 'rot-m3' && r.record?.startsWith('slo:sli_error:'))
    expect(m3.map((r) => `${r.record} ${r.labels?.sloth_window}`)).toEqual([
      'slo:sli_error:ratio_rate5m 5m',
      'slo:sli_error:ratio_rate30m 30m',
      'slo:sli_error:ratio_rate1h 1h',
      'slo:sli_error:ratio_rate2h 2h',
      'slo:sli_error:ratio_rate6h 6h',
      'slo:sli_error:ratio_rate1d 1d',
      'slo:sli_error:ratio_rate3d 3d',
      'slo:sli_error:ratio_rate30d 30d',
    ])
    expect(all.find((r) => r.record === 'sloth_slo_info' && r.labels?.sloth_slo === 'm1')?.labels).toMatchObject({
      sloth_objective: '99',
      sloth_service: 'rot',
    })
    expect(all.find((r) => r.record === 'slo:error_budget:ratio' && r.labels?.sloth_slo === 'm1')?.expr).toBe(
      'vector(0.01)',
    )
  })

  it('excludes probe traffic and restricts a targeted SLO to its RS', () => {
    const all = rulesOf(buildSloRules(scenario).file)
    const exprs = all.filter((r) => r.record === 'slo:sli_error:ratio_rate5m').map((r) => r.expr)
    for (const e of exprs) expect(e.match(/source!="probe"/g)).toHaveLength(2)
    const orders = all.find((r) => r.record === 'slo:sli_error:ratio_rate5m' && r.labels?.sloth_slo === 'm3-orders')
    expect(orders?.expr).toContain('rs="orders"')
  })

  it('pairs each short window with its long window at the same factor, with a runbook link', () => {
    const page = rulesOf(buildSloRules(scenario).file).find((r) => r.alert === 'GamedaySLO_M1_page')!
    expect(page.expr).toContain(
      'slo:sli_error:ratio_rate5m{sloth_id="rot-m1", sloth_service="rot", sloth_slo="m1"} > (14.4 * 0.01)',
    )
    expect(page.expr).toContain(
      'slo:sli_error:ratio_rate6h{sloth_id="rot-m1", sloth_service="rot", sloth_slo="m1"} > (6 * 0.01)',
    )
    expect(page.annotations?.runbook_url).toMatch(/prometheus-alerts\.md#m1$/)
    expect(page.annotations?.summary).toContain('14.4x over 5m and 1h')
  })

  it('measures M2 as the share of token requests slower than the objective, from the histogram', () => {
    const rules = buildSloRules({ id: 'x', slos: [{ id: 'M2', objective: 'p(95)<300ms' }] })
    const r5m = rulesOf(rules.file).find((r) => r.record === 'slo:sli_error:ratio_rate5m')!
    expect(r5m.expr).toContain(
      'sum(rate(mock_as_request_duration_seconds_count{endpoint="/token",source!="probe"}[5m])) - sum(rate(mock_as_request_duration_seconds_bucket{endpoint="/token",source!="probe",le="0.3"}[5m]))',
    )
    expect(rulesOf(rules.file).find((r) => r.record === 'slo:error_budget:ratio')?.expr).toBe('vector(0.05)')
    expect(buildSloRules({ id: 'x', slos: [{ id: 'M2', objective: 'p(95)<200ms' }] }).skipped[0]?.reason).toMatch(
      /no bucket at 0.2s/,
    )
  })

  it('says which SLOs have no server-side SLI and why', () => {
    expect(buildSloRules(scenario).skipped).toEqual([{ id: 'M9', reason: expect.stringMatching(/probe/) }])
    expect(buildSloRules({ id: 'x', slos: [{ id: 'M1', target: 'orders' }] }).skipped[0]?.reason).toMatch(
      /not kept per RS/,
    )
  })

  it('uses game-day windows in-run, with the whole load as the period window', () => {
    const rules = buildSloRules({ id: 'rot', slos: [{ id: 'M3' }] }, { periodSeconds: 60, windows: gameDayWindows(60) })
    const names = rulesOf(rules.file)
      .filter((r) => r.record?.startsWith('slo:sli_error:'))
      .map((r) => r.record)
    expect(names).toEqual([
      'slo:sli_error:ratio_rate5s',
      'slo:sli_error:ratio_rate15s',
      'slo:sli_error:ratio_rate30s',
      'slo:sli_error:ratio_rate1m',
    ])
  })
})

describe('docs/prometheus-alerts.md', () => {
  const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../docs/prometheus-alerts.md'), 'utf8')

  it('has a runbook anchor for every alert the rules can define', () => {
    for (const id of Object.keys(slis)) expect(doc, id).toContain(`<a id="${id.toLowerCase()}"></a>`)
    expect(RUNBOOK_BASE).toMatch(/docs\/prometheus-alerts\.md$/)
  })

  it('lists every SLO without a server-side SLI with the reason the export gives', () => {
    for (const [id, reason] of Object.entries(noSli))
      expect(doc, id).toContain(
        `| ${id} | ${reason.replace('(alert on increase(rs_fail_open_total[5m]) > 0)', '(alert on `increase(rs_fail_open_total[5m]) > 0`)')} |`,
      )
    for (const id of Object.keys(catalog)) expect(id in slis || id in noSli, id).toBe(true)
  })

  it('states the windows the code uses', () => {
    expect(doc).toContain('| page | 14.4× | 5m | 1h |')
    expect(doc).toContain('| ticket | 1× | 6h | 3d |')
    const [page, ticket] = gameDayWindows(60)
    expect(doc).toContain(`| page | ${page!.factor}× | ${page!.shortSeconds}s | ${page!.longSeconds}s |`)
    expect(doc).toContain(`| ticket | ${ticket!.factor}× | ${ticket!.shortSeconds}s | the whole load`)
  })
})
