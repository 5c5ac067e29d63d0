import MarkdownIt from 'markdown-it'
import { describe, expect, it } from 'vitest'
import { multiRsRun } from '../../test/fixtures/records/multi-rs.ts'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { markdown } from './markdown.ts'

type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number]

/** Every table of a CommonMark (+ GFM tables) document as rows of cell texts, header first. */
function tables(md: string): string[][][] {
  const tokens = new MarkdownIt().parse(md, {})
  const out: string[][][] = []
  let table: string[][] | undefined
  let row: string[] | undefined
  tokens.forEach((t: Token, i: number) => {
    if (t.type === 'table_open') table = []
    else if (t.type === 'table_close') {
      out.push(table!)
      table = undefined
    } else if (t.type === 'tr_open') row = []
    else if (t.type === 'tr_close') table!.push(row!)
    else if ((t.type === 'th_open' || t.type === 'td_open') && row)
      row.push(tokens[i + 1]?.type === 'inline' ? tokens[i + 1]!.content : '')
  })
  return out
}

/** Lines that start with `|` but did not end up in a parsed table. */
function strayTableLines(md: string): string[] {
  const tokens = new MarkdownIt().parse(md, {})
  const inTable = new Set<number>()
  for (const t of tokens) if (t.type === 'table_open' && t.map) for (let l = t.map[0]; l < t.map[1]; l++) inTable.add(l)
  return md.split('\n').filter((l, i) => l.startsWith('|') && !inTable.has(i))
}

async function summaryOf(run: ReturnType<typeof multiRsRun>): Promise<string> {
  return (await markdown.render(run.record, run.verdict))[0]!.content as string
}

describe('markdown reporter', () => {
  it('writes a short summary: verdict, SLO table, probes and why it broke', async () => {
    const { record, verdict } = sampleRun()
    const [file] = await markdown.render(record, verdict)
    const md = file!.content as string
    expect(file!.name).toBe('summary.md')
    expect(md.split('\n')[0]).toBe('# ❌ FAIL — bad-key-rotation')
    expect(md).toContain('| SLO | objective | window | measured | margin | budget | status | first broke |')
    expect(md).toMatch(
      /\| M3 token validation failure rate .*\| `rate<0\.001` \| run \| 0\.078341 \| -0\.077341 \| 7834\.1% \| FAIL \| 10\.0s \|/,
    )
    expect(md).toMatch(/\| M2 token endpoint latency p95 \| `p\(95\)<300ms` \| run \| \d+(\.\d)?ms \|/)
    const probes = tables(md).find((t) => t[0]![0] === 'probe')!
    expect(probes[0]).toEqual(['probe', 'measures', 'value', 'status', 'when'])
    expect(probes[1]!.slice(0, 4)).toEqual([
      '`jwks-refresh-latency`',
      'jwks refresh latency (max over RSs)',
      '8200ms',
      'ok',
    ])
    expect(md).toContain('- M3: RS did not refetch the key set after the new kid appeared')
    expect(md.split('\n').length).toBeLessThan(45)
  })

  it('parses as CommonMark with every table a real table', async () => {
    for (const run of [
      sampleRun(),
      multiRsRun(),
      multiRsRun({
        status: 'errored',
        error: { code: 'ERR_COMPONENT_EXITED', message: 'mock-rs billing exited (code 1)' },
      }),
    ]) {
      const md = await summaryOf(run)
      const found = tables(md)
      expect(found.length).toBeGreaterThanOrEqual(2)
      for (const t of found) {
        const width = t[0]!.length
        expect(width).toBeGreaterThan(1)
        for (const r of t) expect(r).toHaveLength(width)
      }
      expect(strayTableLines(md)).toEqual([])
    }
  })

  it('has a per-RS table that names the RS that broke, when, why and when it recovered', async () => {
    const md = await summaryOf(multiRsRun())
    const [, perRs, sloPerRs] = tables(md)
    expect(perRs![0]).toEqual([
      'RS',
      'profile',
      'accepted in fault window',
      'accepted after',
      'first rejection',
      'time to recover (per SLO objective)',
      'JWKS refresh (from publication)',
    ])
    const byRs = Object.fromEntries(perRs!.slice(1).map((r) => [r[0], r]))
    expect(byRs.orders).toEqual(['orders', 'resilient', '100.0%', '100.0%', '–', 'did not break', '106ms'])
    // billing: 6 of 30 accepted per second in the fault window; after the revert 4 more bad seconds of 10
    expect(byRs.billing).toEqual([
      'billing',
      'jose-defaults',
      '20.0%',
      '68.0%',
      '10.0s (validator_unavailable)',
      'M3 4.0s after revert (at 24.0s)',
      '6.6s',
    ])
    // the entry's description, and a key it never accepted
    expect(byRs.payments!.slice(1, 2)).toEqual(['payments API (express-oauth2-jwt-bearer)'])
    expect(byRs.payments![4]).toBe('11.0s (unknown_kid)')
    expect(byRs.payments![5]).toBe('M3 before the revert (at 13.0s); M9 never')
    expect(byRs.payments![6]).toBe('never')
    expect(sloPerRs![0]).toEqual(['SLO', 'RS', 'measured', 'reason', 'status', 'first broke'])
    expect(sloPerRs!.filter((r) => r[0] === 'M3').map((r) => [r[1], r[4], r[5]])).toEqual([
      ['billing', 'FAIL', '10.0s'],
      ['payments', 'FAIL', '11.0s'],
      ['orders', 'pass', ''],
    ])
    expect(md).toContain(
      '- M3 broke at billing: 37.3% rejections, validator_unavailable; payments 1.6% rejections, unknown_kid; orders 0.0% — ',
    )
  })

  it('leaves out the per-RS columns the record has no figure for', async () => {
    const { record, verdict } = sampleRun()
    const md = (await markdown.render({ ...record, probes: [] }, verdict))[0]!.content as string
    const perRs = tables(md)[1]!
    expect(perRs[0]).toEqual([
      'RS',
      'profile',
      'accepted in fault window',
      'accepted after',
      'first rejection',
      'time to recover (per SLO objective)',
    ])
    // 502 valid-token requests in the fault window, 102 rejected; a rotation: recovery counts from the key publication (10 s)
    expect(perRs[1]).toEqual([
      'rs1',
      'resilient',
      '79.7%',
      '100.0%',
      '10.0s (unknown_kid)',
      'M3 8.0s after key publication (at 18.0s)',
    ])
  })

  it('adds the per-RS × attack table when jwt-attacks ran', async () => {
    const { record, verdict } = sampleRun()
    const obs = [
      { rs: 'orders', attack: 'alg-none', applicable: true, accepted: false, status: 401 },
      { rs: 'weak', attack: 'alg-none', applicable: true, accepted: true, status: 200 },
      {
        rs: 'orders',
        attack: 'jku-injection',
        applicable: true,
        accepted: false,
        status: 401,
        fetchedAttackerUrl: true,
      },
      {
        rs: 'weak',
        attack: 'jku-injection',
        applicable: true,
        accepted: false,
        status: 500,
        robustness: 'server_error',
      },
      { rs: 'orders', attack: 'expired', applicable: false, accepted: false, status: 0 },
    ]
    record.probes.push({
      index: 9,
      probe: 'jwt-attacks',
      name: 'JWT attacks accepted (all RSs)',
      status: 'ok',
      value: 2,
      unit: 'count',
      observations: obs,
      startedAt: 1000,
      endedAt: 2000,
    })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md).toContain('| attack | orders | weak |')
    expect(md).toContain('| alg-none | refused (401) | ACCEPTED (200) |')
    expect(md).toContain('| jku-injection | fetched attacker URL | server_error |')
    expect(md).toContain('| expired | n/a |  |')
  })

  it('puts the DPoP abuse faults findings in the same per-RS × attack table, after the JWT attacks', async () => {
    const { record, verdict } = sampleRun()
    record.faults.push({
      index: 8,
      fault: 'dpop-proof-replay',
      params: {},
      injectedAt: 1000,
      revertedAt: 2000,
      status: 'reverted',
      details: {
        findings: [
          { rs: 'orders', attack: 'dpop-proof-replay', applicable: true, accepted: false, status: 401 },
          { rs: 'weak', attack: 'dpop-proof-replay', applicable: true, accepted: true, status: 200 },
        ],
        unattacked: [],
      },
    })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md).toContain('**Attacks** (S2, per RS: JWT attacks, DPoP abuses)')
    expect(md).toContain('| dpop-proof-replay | refused (401) | ACCEPTED (200) |')
  })

  it('says INTERRUPTED for an interrupted run', async () => {
    const { record, verdict } = sampleRun({ aborted: true })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md.split('\n')[0]).toBe('# ⚠️ INTERRUPTED — bad-key-rotation')
    expect(md).toContain('exit 105')
  })

  it('says ERRORED, never FAIL, for a run whose harness failed', async () => {
    const { record, verdict } = sampleRun({
      status: 'errored',
      error: {
        code: 'ERR_COMPONENT_EXITED',
        message: 'mock-as exited (signal SIGKILL)',
        hint: 'read logs/as.log in the run folder',
      },
    })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md.split('\n')[0]).toBe('# ⚠️ ERRORED — bad-key-rotation')
    expect(md).toContain('exit 103')
    expect(md).toContain('**Hint**: read logs/as.log in the run folder')
  })

  it('says at the top when and why a run did not complete', async () => {
    const errored = await summaryOf(
      multiRsRun({
        status: 'errored',
        error: { code: 'ERR_COMPONENT_EXITED', message: 'mock-rs billing exited (code 1)' },
      }),
    )
    expect(errored.split('\n')[2]).toBe(
      '> **ERRORED**: errored at 30.0s (2026-01-02T03:04:35.000Z): ERR_COMPONENT_EXITED: mock-rs billing exited (code 1). The SLOs were not measured over a whole run and say nothing about the system under test.',
    )
    const interrupted = await summaryOf(multiRsRun({ status: 'interrupted' }))
    expect(interrupted.split('\n')[2]).toMatch(
      /^> \*\*INTERRUPTED\*\*: interrupted at 30\.0s \(2026-01-02T03:04:35\.000Z\) by SIGINT\/SIGTERM/,
    )
    const run = multiRsRun({ status: 'aborted', abortedBy: 'slo' })
    ;(run.record.scenario as { slos: unknown[] }).slos = [{ id: 'M3', abortOnFail: true }]
    const aborted = await summaryOf(run)
    expect(aborted.split('\n')[2]).toBe(
      '> **ABORTED**: aborted at 30.0s (2026-01-02T03:04:35.000Z): M3 (broke at 10.0s) broke and has abortOnFail.',
    )
    const gate = multiRsRun({ status: 'aborted', abortedBy: 'steady-state' })
    gate.verdict.steadyState.before = { held: false, failed: ['M1'] }
    expect((await summaryOf(gate)).split('\n')[2]).toContain(
      'by the steady-state gate: the system deviated before any fault (M1).',
    )
    expect((await summaryOf(multiRsRun())).split('\n')[2]).not.toMatch(/^>/)
  })
})
