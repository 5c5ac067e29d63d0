import { describe, expect, it } from 'vitest'
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
      message: 'measured 0.078341 vs objective rate&lt;0.001',
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

  it('reports an aborted run as an error and unmeasured optional SLOs as skipped', async () => {
    const { record, verdict } = sampleRun({ aborted: true })
    verdict.slos.push({ ...verdict.slos[0]!, id: 'M6', noData: true, pass: true, measured: null })
    const xml = (await junit.render(record, verdict))[0]!.content as string
    const suite = attrs(xml.match(/<testsuite [^>]*>/)![0])
    expect(suite.errors).toBe('1')
    expect(suite.skipped).toBe('1')
    expect(xml).toContain('<error message="run aborted" type="run.aborted">')
    expect(xml).toMatch(/<skipped message="no data in the run window"\/>/)
  })
})
