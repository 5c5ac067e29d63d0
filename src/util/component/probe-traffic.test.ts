import { describe, expect, it } from 'vitest'
import { PROBE_HEADER, sourceOf } from './probe-traffic.ts'

describe('sourceOf', () => {
  it('labels a marked request probe, whatever the unit id', () => {
    expect(sourceOf({ [PROBE_HEADER]: 'pkce-enforcement' })).toBe('probe')
    expect(sourceOf({ [PROBE_HEADER]: '' })).toBe('probe')
  })

  it('labels an unmarked request load', () => {
    expect(sourceOf({ authorization: 'Bearer x' })).toBe('load')
  })
})
