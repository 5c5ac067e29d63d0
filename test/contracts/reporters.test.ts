import { describe, expect, it } from 'vitest'
import { reporters } from '../../src/report/index.ts'
import type { ReporterDefinition } from '../../src/report/types.ts'
import { JWT_SHAPE } from '../../src/util/secrets.ts'
import { CANARY_JWT, CANARY_OPAQUE, CANARY_SECRET, sampleRun } from '../fixtures/records/sample.ts'

const text = (c: string | Uint8Array) => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8'))

describe.each(Object.entries(reporters))('reporter %s', (key, reporter: ReporterDefinition) => {
  it('has an id matching its registry key and a summary', () => {
    expect(reporter.id).toBe(key)
    expect(reporter.summary.length).toBeGreaterThan(10)
  })

  it('renders deterministically', async () => {
    const a = sampleRun()
    const b = sampleRun()
    const first = await reporter.render(a.record, a.verdict)
    const second = await reporter.render(b.record, b.verdict)
    expect(first.length).toBeGreaterThan(0)
    expect(second.map((f) => [f.name, text(f.content)])).toEqual(first.map((f) => [f.name, text(f.content)]))
  })

  it('leaks no token-shaped string and no registered secret, even from event data, params and warnings', async () => {
    for (const aborted of [false, true]) {
      const { record, verdict } = sampleRun({ aborted })
      for (const f of await reporter.render(record, verdict)) {
        const body = text(f.content)
        expect(body.match(new RegExp(JWT_SHAPE.source, 'g')) ?? [], f.name).toEqual([])
        for (const canary of [CANARY_JWT, CANARY_OPAQUE, CANARY_SECRET])
          expect(body.includes(canary), `${f.name} contains a canary`).toBe(false)
        expect(body).not.toContain('eyJhbGci')
      }
    }
  })
})
