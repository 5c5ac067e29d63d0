import { afterAll, describe, expect, it } from 'vitest'
import { type Fixture, startFixture } from '../../bench/load/harness.ts'
import { OPEN_FRACTIONS, type OpenStep, openModelMax } from '../../bench/load/peers.ts'

describe('bench open-model search beside the closed loop', () => {
  it('steps down from the closed-loop rate and stops at the first rate that delivers 99% of its arrivals', async () => {
    const tried: number[] = []
    // a generator that delivers at most 8,600 req/s
    const step = async (_url: string, rate: number): Promise<OpenStep> => {
      tried.push(rate)
      return { target: rate, achieved: Math.min(rate, 8600), dropped: Math.max(0, rate - 8600) }
    }
    const o = await openModelMax('http://127.0.0.1:1/hello', 10_000, 3, step)
    expect(tried).toEqual([10_000, 9500, 9000, 8500])
    expect(o).toMatchObject({ closed: 10_000, open: 8500 })
    expect(o.steps).toHaveLength(4)
  })

  it('reports 0 when no fraction it tries holds', async () => {
    const step = async (_url: string, rate: number): Promise<OpenStep> => ({
      target: rate,
      achieved: 10,
      dropped: rate,
    })
    const o = await openModelMax('http://127.0.0.1:1/hello', 10_000, 3, step)
    expect(o.open).toBe(0)
    expect(o.steps).toHaveLength(OPEN_FRACTIONS.length)
  })

  describe('with the real engine in its own process', () => {
    let fixture: Fixture | undefined
    afterAll(async () => {
      await fixture?.stop()
    })

    it('holds a modest rate at the first step against the fixture route', async () => {
      fixture = await startFixture()
      const o = await openModelMax(`${fixture.url}/hello`, 300, 1)
      expect(o.steps[0]!.target).toBe(300)
      expect(o.steps[0]!.achieved).toBeGreaterThanOrEqual(297)
      expect(o.open).toBe(300)
    })
  })
})
