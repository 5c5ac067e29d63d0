import { describe, expect, it } from 'vitest'
import type { SloEntry } from '../scenario/schema.ts'
import { abortingSlo } from './abort.ts'

const e = (x: Partial<SloEntry>): SloEntry => ({ id: 'M3', ...x }) as SloEntry

describe('abort conditions', () => {
  it('aborts on an abortOnFail SLO broken so far, once past delayAbortEval', () => {
    const slos = [e({ abortOnFail: true, delayAbortEval: '10s' })]
    expect(abortingSlo(slos, { M3: false }, 9_999)).toBeUndefined()
    expect(abortingSlo(slos, { M3: false }, 10_000)).toEqual({ id: 'M3', label: 'M3' })
  })

  it('never aborts on an SLO without abortOnFail, one that holds, or one not known yet', () => {
    expect(abortingSlo([e({})], { M3: false }, 60_000)).toBeUndefined()
    expect(abortingSlo([e({ abortOnFail: true })], { M3: true }, 60_000)).toBeUndefined()
    expect(abortingSlo([e({ abortOnFail: true })], { M3: null }, 60_000)).toBeUndefined()
  })

  it('reads the entry restricted to one RS under its own label', () => {
    const slos = [e({ id: 'M3', target: 'orders', abortOnFail: true }), e({ id: 'M1' })]
    expect(abortingSlo(slos, { 'M3 (orders)': false, M1: false }, 0)).toEqual({ id: 'M3', label: 'M3 (orders)' })
    expect(abortingSlo(slos, { M3: false }, 0)).toBeUndefined()
  })
})
