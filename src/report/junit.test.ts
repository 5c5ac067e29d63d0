import { describe, expect, it } from 'vitest'
import { multiRsRun } from '../../test/fixtures/records/multi-rs.ts'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { junit } from './junit.ts'

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
}

describe('junit reporter', () => {
  it('writes one testsuite per scenario and one testcase per SLO with failures measured vs objective', async () => {
    const { record, verdict } = sampleRun()
    const [file] = await junit.render(record, verdict)
    const xml = file!.content as string
    expect(file!.name).toBe('junit.xml')
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true)
    const suites = xml.match(/<testsuite [^>]*>/g)!
    expect(suites).toHaveLength(1)
    const suite = attrs(suites[0]!)
    expect(suite).toMatchObject({
      name: 'bad-key-rotation',
      failures: '1',
      errors: '0',
      skipped: '0',
      time: '30.000',
      timestamp: '2026-01-02T03:04:05',
    })
    const cases = xml.match(/<testcase [^>]*>/g)!
    // every SLO plus the two steady-state checks
    expect(cases).toHaveLength(verdict.slos.length + 2)
    expect(suite.tests).toBe(String(cases.length))
    for (const c of cases) expect(Object.keys(attrs(c))).toEqual(['classname', 'name', 'time'])
    const failures = xml.match(/<failure [^>]*>/g)!
    expect(failures).toHaveLength(1)
    expect(attrs(failures[0]!)).toEqual({
      message:
        'measured 0.078341 vs objective rate&lt;0.001, first broke at 10.0s, back under the objective 8.0s after key publication (at 18.0s)',
      type: 'slo.breached',
    })
    expect(xml).toContain('attribution: RS did not refetch the key set')
    // balanced elements
    for (const tag of ['testsuites', 'testsuite', 'properties', 'failure']) {
      expect(xml.match(new RegExp(`<${tag}[ >]`, 'g'))?.length, tag).toBe(
        xml.match(new RegExp(`</${tag}>`, 'g'))?.length,
      )
    }
  })

  it('reports an interrupted run as an error and unmeasured optional SLOs as skipped', async () => {
    const { record, verdict } = sampleRun({ aborted: true })
    verdict.slos.push({ ...verdict.slos[0]!, id: 'M6', noData: true, pass: true, measured: null })
    const xml = (await junit.render(record, verdict))[0]!.content as string
    const suite = attrs(xml.match(/<testsuite [^>]*>/)![0])
    expect(suite.errors).toBe('1')
    expect(suite.skipped).toBe('1')
    expect(xml).toContain('<error message="run interrupted" type="run.interrupted">')
    expect(xml).toMatch(/<skipped message="no data in the run window"\/>/)
  })

  it('writes one testcase per SLO × RS for the SLOs scored per RS, naming the RS, when and why', async () => {
    const { record, verdict } = multiRsRun()
    const xml = (await junit.render(record, verdict))[0]!.content as string
    const names = [...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]!)
    expect(names.filter((n) => n.startsWith('M3'))).toEqual([
      'M3@billing token validation failure rate at the RSs (valid tokens) [rate&lt;0.001, run]',
      'M3@payments token validation failure rate at the RSs (valid tokens) [rate&lt;0.001, run]',
      'M3@orders token validation failure rate at the RSs (valid tokens) [rate&lt;0.001, run]',
    ])
    expect(names.filter((n) => n.startsWith('M9')).map((n) => n.split(' ')[0])).toEqual([
      'M9@payments',
      'M9@billing',
      'M9@orders',
    ])
    // M1 and M2 are not measured at the RSs: one case each
    expect(names.filter((n) => /^M[12] /.test(n))).toHaveLength(2)
    const failures = [...xml.matchAll(/<failure message="([^"]*)"/g)].map((m) => m[1]!)
    // when (or whether) each RS was back under the SLO's own objective
    expect(failures).toContain(
      'billing: measured 37.3% vs objective rate&lt;0.001, first broke at 10.0s, back under the objective 4.0s after revert (at 24.0s)',
    )
    expect(failures).toContain(
      'payments: measured 1.6% vs objective rate&lt;0.001, first broke at 11.0s, back under the objective before the revert (at 13.0s)',
    )
    expect(failures.find((f) => f.startsWith('payments: measured') && f.includes('max&lt;10s'))).toMatch(
      /, never back under the objective$/,
    )
    expect(failures.some((f) => f.startsWith('orders:'))).toBe(false)
    expect(xml).toContain('most rejections: validator_unavailable')
    const suite = attrs(xml.match(/<testsuite [^>]*>/)![0])
    expect(suite.failures).toBe(String(failures.length))
    expect(suite.tests).toBe(String(names.length))
  })

  it('puts how an errored run ended first, with its time and cause', async () => {
    const { record, verdict } = multiRsRun({
      status: 'errored',
      error: { code: 'ERR_COMPONENT_EXITED', message: 'mock-rs billing exited (code 1)' },
    })
    const xml = (await junit.render(record, verdict))[0]!.content as string
    const first = xml.match(/<testcase [^>]*>/)![0]
    expect(attrs(first).name).toBe('run completed')
    expect(xml).toContain(
      '<error message="ERR_COMPONENT_EXITED: mock-rs billing exited (code 1)" type="ERR_COMPONENT_EXITED">the run errored at 30.0s (',
    )
  })

  it('has one testcase per RS × attack of jwt-attacks: an accepted attack or an attacker-URL fetch fails, n/a is skipped', async () => {
    const { record, verdict } = sampleRun()
    const observations = [
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
      { rs: 'orders', attack: 'expired', applicable: false, accepted: false, status: 0 },
    ]
    record.probes.push({
      index: 9,
      probe: 'jwt-attacks',
      name: 'JWT attacks',
      status: 'ok',
      value: 2,
      unit: 'count',
      observations,
      startedAt: 1000,
      endedAt: 2000,
    })
    const xml = (await junit.render(record, verdict))[0]!.content as string
    expect(xml).toContain('name="S2@orders attack alg-none" time="0"/>')
    expect(xml).toMatch(
      /name="S2@weak attack alg-none" time="0">\s*<failure message="weak: ACCEPTED \(200\)" type="attack.accepted">/,
    )
    expect(xml).toMatch(
      /name="S2@orders attack jku-injection" time="0">\s*<failure message="orders: fetched attacker URL"/,
    )
    expect(xml).toMatch(
      /name="S2@orders attack expired" time="0">\s*<skipped message="expired does not apply to orders"\/>/,
    )
    const failures = Number(/<testsuite [^>]*failures="(\d+)"/.exec(xml)![1])
    const before = Number(
      /<testsuite [^>]*failures="(\d+)"/.exec(
        (await junit.render(sampleRun().record, sampleRun().verdict))[0]!.content as string,
      )![1],
    )
    expect(failures - before).toBe(2)
  })
  it('writes one case per RS × DPoP attack of the stolen-dpop-token and dpop-proof-replay faults, an accepted one failing', async () => {
    const { record, verdict } = sampleRun()
    record.faults.push({
      index: 8,
      fault: 'stolen-dpop-token',
      params: {},
      injectedAt: 1000,
      revertedAt: 2000,
      status: 'reverted',
      details: {
        findings: [
          { rs: 'orders', attack: 'dpop-stolen-other-key', applicable: true, accepted: false, status: 401 },
          { rs: 'orders', attack: 'dpop-downgrade-bearer', applicable: true, accepted: true, status: 200 },
        ],
        unattacked: [],
      },
    })
    const xml = (await junit.render(record, verdict))[0]!.content as string
    expect(xml).toContain('name="S2@orders attack dpop-stolen-other-key" time="0"/>')
    expect(xml).toMatch(
      /name="S2@orders attack dpop-downgrade-bearer" time="0">\s*<failure message="orders: ACCEPTED \(200\)" type="attack.accepted">/,
    )
  })
})
