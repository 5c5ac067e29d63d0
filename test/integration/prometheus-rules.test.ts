/**
 * The exported SLO rules against the real promtool: `check rules` on the
 * export of every shipped scenario, and `test rules` unit tests (series in,
 * alerts out) proving each alert fires for a burn and stays silent without
 * one, for the 30-day windows and for the game-day windows of `run --prometheus`.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { stringify } from 'yaml'
import { buildSloRules, renderSloRules, type SloRules } from '../../src/prometheus/slo-rules.ts'
import { gameDayWindows } from '../../src/prometheus/windows.ts'
import { describeWithTool, requireTool } from '../helpers/require-tool.ts'

const PROMTOOL = requireTool('promtool').command?.[0]

vi.setConfig({ testTimeout: 120_000 })

interface Result {
  code: number
  out: string
}

function run(bin: string, args: string[], cwd?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err)
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, out: `${stdout}${stderr}` })
    })
  })
}

type AlertRule = { alert: string; labels: Record<string, string>; annotations: Record<string, string> }
const alertRules = (r: SloRules) =>
  (r.file.groups as Array<{ rules: Array<Partial<AlertRule>> }>)
    .flatMap((g) => g.rules)
    .filter((x): x is AlertRule => typeof x.alert === 'string')

const load = (reason: string, source = 'load') =>
  `rs_validations_total{outcome="${reason === '' ? 'accepted' : 'rejected'}",reason="${reason}",source="${source}"}`

describeWithTool('promtool', 'SLO rules in promtool', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-promtool-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Write the rules and one `promtool test rules` file; run it. */
  async function promtoolTest(name: string, rules: SloRules, interval: string, tests: unknown[]): Promise<Result> {
    await writeFile(join(dir, `${name}.rules.yaml`), renderSloRules(name, rules))
    await writeFile(
      join(dir, `${name}.test.yaml`),
      stringify(
        { rule_files: [`${name}.rules.yaml`], evaluation_interval: interval, tests },
        { aliasDuplicateObjects: false },
      ),
    )
    return run(PROMTOOL!, ['test', 'rules', `${name}.test.yaml`], dir)
  }

  /** The alert as promtool reports it: the rule's labels and annotations plus the recorded series' sloth labels. */
  function expected(rules: SloRules, alertname: string, slothWindow: string) {
    const rule = alertRules(rules).find((a) => a.alert === alertname)!
    return {
      exp_labels: {
        ...rule.labels,
        sloth_id: 'rot-m3',
        sloth_service: 'rot',
        sloth_slo: 'm3',
        sloth_window: slothWindow,
      },
      exp_annotations: rule.annotations,
    }
  }

  it('accepts the export of every shipped scenario (promtool check rules), through the CLI', async () => {
    const files = (await readdir('scenarios')).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThan(5)
    const outs = await Promise.all(
      files.map(async (f) => {
        const file = join(dir, `export-${f}`)
        const exported = await run('node', ['dist/cli.js', 'export', 'slo-rules', join('scenarios', f), '--out', file])
        expect(exported.code, exported.out).toBe(0)
        return { f, ...(await run(PROMTOOL!, ['check', 'rules', file])) }
      }),
    )
    for (const o of outs) expect(o.code, `${o.f}: ${o.out}`).toBe(0)
    const withRules = outs.filter((o) => !/SUCCESS: 0 rules/.test(o.out))
    expect(withRules.length).toBeGreaterThan(5)
  })

  it('refuses a rule file with a broken expression (the check is real)', async () => {
    const file = join(dir, 'broken.yaml')
    await writeFile(
      file,
      stringify({
        groups: [{ name: 'x', rules: [{ record: 'slo:sli_error:ratio_rate5m', expr: 'sum(rate(x[5m])' }] }],
      }),
    )
    expect((await run(PROMTOOL!, ['check', 'rules', file])).code).not.toBe(0)
  })

  describe('30-day windows (14.4x 5m/1h, 6x 30m/6h; 3x 2h/1d, 1x 6h/3d)', () => {
    const rules = buildSloRules({ id: 'rot', slos: [{ id: 'M3', objective: 'rate<0.001' }] })
    const page = 'GamedaySLO_M3_page'
    const ticket = 'GamedaySLO_M3_ticket'

    it('pages and tickets while 9% of validations fail, and stays silent at 0.05%', async () => {
      const r = await promtoolTest('rot', rules, '1m', [
        {
          name: 'burn',
          interval: '1m',
          input_series: [
            { series: load(''), values: '0+1000x180' },
            { series: load('unknown_kid'), values: '0+100x180' },
          ],
          alert_rule_test: [
            { eval_time: '1h', alertname: page, exp_alerts: [expected(rules, page, '5m')] },
            { eval_time: '1h', alertname: ticket, exp_alerts: [expected(rules, ticket, '2h')] },
          ],
        },
        {
          name: 'no burn',
          interval: '1m',
          input_series: [
            { series: load(''), values: '0+1000x180' },
            { series: load('unknown_kid'), values: '0+0.5x180' },
          ],
          alert_rule_test: [
            { eval_time: '1h', alertname: page, exp_alerts: [] },
            { eval_time: '3h', alertname: ticket, exp_alerts: [] },
          ],
        },
      ])
      expect(r.code, r.out).toBe(0)
    })

    it('stops paging once the short window is clean while the ticket still fires', async () => {
      const r = await promtoolTest('rot', rules, '1m', [
        {
          name: 'recovered',
          interval: '1m',
          input_series: [
            { series: load(''), values: '0+1000x180' },
            { series: load('unknown_kid'), values: '0+100x30 3000+0x150' },
          ],
          alert_rule_test: [
            { eval_time: '25m', alertname: page, exp_alerts: [expected(rules, page, '5m')] },
            { eval_time: '1h', alertname: page, exp_alerts: [] },
            { eval_time: '1h', alertname: ticket, exp_alerts: [expected(rules, ticket, '2h')] },
          ],
        },
      ])
      expect(r.code, r.out).toBe(0)
    })

    it('ignores deliberate traffic (source="probe") and fires nothing without traffic', async () => {
      const r = await promtoolTest('rot', rules, '1m', [
        {
          name: 'probe burn',
          interval: '1m',
          input_series: [
            { series: load(''), values: '0+1000x180' },
            { series: load('unknown_kid', 'probe'), values: '0+1000x180' },
          ],
          alert_rule_test: [
            { eval_time: '1h', alertname: page, exp_alerts: [] },
            { eval_time: '1h', alertname: ticket, exp_alerts: [] },
          ],
        },
        {
          name: 'idle',
          interval: '1m',
          input_series: [{ series: load(''), values: '0+0x180' }],
          alert_rule_test: [
            { eval_time: '1h', alertname: page, exp_alerts: [] },
            { eval_time: '1h', alertname: ticket, exp_alerts: [] },
          ],
        },
      ])
      expect(r.code, r.out).toBe(0)
    })

    it('fails the unit test when an alert expected to fire does not (the test is real)', async () => {
      const r = await promtoolTest('rot', rules, '1m', [
        {
          name: 'no burn, but a page expected',
          interval: '1m',
          input_series: [{ series: load(''), values: '0+1000x180' }],
          alert_rule_test: [{ eval_time: '1h', alertname: page, exp_alerts: [expected(rules, page, '5m')] }],
        },
      ])
      expect(r.code).not.toBe(0)
      expect(r.out).toMatch(/GamedaySLO_M3_page/)
    })
  })

  describe('game-day windows (14.4x 5s/30s; 1x 15s/the whole load)', () => {
    const rules = buildSloRules(
      { id: 'rot', slos: [{ id: 'M3', objective: 'rate<0.001' }] },
      { periodSeconds: 60, windows: gameDayWindows(60, 1) },
    )
    const page = 'GamedaySLO_M3_page'
    const ticket = 'GamedaySLO_M3_ticket'

    it('fires both alerts within seconds of a burn that starts at 20 s, and none before it', async () => {
      const r = await promtoolTest('gameday', rules, '1s', [
        {
          name: 'rotation burn',
          interval: '1s',
          input_series: [
            { series: load(''), values: '0+10x60' },
            { series: load('unknown_kid'), values: '0x20 5+5x39' },
          ],
          alert_rule_test: [
            { eval_time: '19s', alertname: page, exp_alerts: [] },
            { eval_time: '19s', alertname: ticket, exp_alerts: [] },
            { eval_time: '25s', alertname: page, exp_alerts: [expected(rules, page, '5s')] },
            { eval_time: '25s', alertname: ticket, exp_alerts: [expected(rules, ticket, '15s')] },
          ],
        },
        {
          name: 'clean run',
          interval: '1s',
          input_series: [{ series: load(''), values: '0+10x60' }],
          alert_rule_test: [
            { eval_time: '60s', alertname: page, exp_alerts: [] },
            { eval_time: '60s', alertname: ticket, exp_alerts: [] },
          ],
        },
      ])
      expect(r.code, r.out).toBe(0)
    })

    it('pages on slow token requests for M2 (share above the 0.3 s bucket), not on fast ones', async () => {
      const m2 = buildSloRules(
        { id: 'rot', slos: [{ id: 'M2', objective: 'p(95)<300ms' }] },
        { periodSeconds: 60, windows: gameDayWindows(60, 1) },
      )
      const h = 'mock_as_request_duration_seconds'
      const sel = (le?: string) =>
        `${h}_${le ? 'bucket' : 'count'}{endpoint="/token",source="load"${le ? `,le="${le}"` : ''}}`
      const rule = alertRules(m2).find((a) => a.alert === 'GamedaySLO_M2_page')!
      const exp = {
        exp_labels: { ...rule.labels, sloth_id: 'rot-m2', sloth_service: 'rot', sloth_slo: 'm2', sloth_window: '5s' },
        exp_annotations: rule.annotations,
      }
      const r = await promtoolTest('latency', m2, '1s', [
        {
          // a 5% budget pages above 14.4 x 5% = 72% slow on both windows: 90% slow from 20 s fills the 30 s window by 50 s
          name: '90% of the requests slower than 0.3 s from 20 s',
          interval: '1s',
          input_series: [
            { series: sel(), values: '0+10x60' },
            { series: sel('0.3'), values: '0+10x20 201+1x39' },
          ],
          alert_rule_test: [
            { eval_time: '15s', alertname: 'GamedaySLO_M2_page', exp_alerts: [] },
            { eval_time: '30s', alertname: 'GamedaySLO_M2_page', exp_alerts: [] },
            { eval_time: '50s', alertname: 'GamedaySLO_M2_page', exp_alerts: [exp] },
          ],
        },
        {
          // 4% slow stays inside the 5% budget: nothing fires, not even the 1x ticket
          name: '4% slow',
          interval: '1s',
          input_series: [
            { series: sel(), values: '0+25x60' },
            { series: sel('0.3'), values: '0+24x60' },
          ],
          alert_rule_test: [
            { eval_time: '60s', alertname: 'GamedaySLO_M2_page', exp_alerts: [] },
            { eval_time: '60s', alertname: 'GamedaySLO_M2_ticket', exp_alerts: [] },
          ],
        },
      ])
      expect(r.code, r.out).toBe(0)
    })

    it('resolves the page within the short window after the burn stops', async () => {
      const r = await promtoolTest('gameday', rules, '1s', [
        {
          name: 'burn 20-30 s',
          interval: '1s',
          input_series: [
            { series: load(''), values: '0+10x60' },
            { series: load('unknown_kid'), values: '0x20 5+5x9 50x30' },
          ],
          alert_rule_test: [
            { eval_time: '28s', alertname: page, exp_alerts: [expected(rules, page, '5s')] },
            { eval_time: '40s', alertname: page, exp_alerts: [] },
          ],
        },
      ])
      expect(r.code, r.out).toBe(0)
    })
  })
})
