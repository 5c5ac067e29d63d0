import { describe, expect, it } from 'vitest'
import { buildRecord } from '../test/fixtures/records/build.ts'
import type { CounterSeries } from './record.ts'
import { type CapacityEvaluation, droppedShare, findCapacity, tokenStats } from './capacity.ts'
import { renderCapacity } from './report/capacity.ts'

/** A synthetic stack: p95 follows a queueing curve that crosses 300 ms at `knee` req/s. */
function synthetic(knee: number, stepMs = 30_000) {
  let clock = 0
  const calls: number[] = []
  const capacity = knee * 1.05
  const evaluate = async (rate: number): Promise<CapacityEvaluation> => {
    calls.push(rate)
    clock += stepMs
    const rho = Math.min(rate / capacity, 0.999)
    const p95Ms = 15 / (1 - rho)
    const pass = p95Ms < 300
    return { pass, p95Ms, achievedRate: Math.min(rate, capacity), ...(pass ? {} : { failing: ['M2'] }) }
  }
  return { evaluate, calls, now: () => clock }
}

describe('findCapacity', () => {
  it.each([37, 420, 1234])('finds a knee at %i req/s within 10%', async (knee) => {
    const s = synthetic(knee)
    const r = await findCapacity(s.evaluate, {
      startRate: 5,
      maxRate: 5000,
      budgetMs: 3_600_000,
      now: s.now,
      holds: 'the token endpoint holds p(95)<300ms',
    })
    expect(r.highestPassingRate).not.toBeNull()
    expect(Math.abs(r.highestPassingRate! - knee) / knee).toBeLessThan(0.1)
    expect(r.firstFailingRate!).toBeGreaterThan(r.highestPassingRate!)
    expect(r.firstFailingSlo).toBe('M2')
    expect(r.steps[0]!.phase).toBe('exponential')
    expect(r.steps.at(-1)!.phase).toBe('search')
    expect(r.kneeRate).not.toBeNull()
    expect(r.kneeRate!).toBeLessThanOrEqual(r.highestPassingRate!)
    expect(r.statement).toBe(
      `the token endpoint holds p(95)<300ms up to ${r.highestPassingRate} req/s on this stack; above it M2 breaks (at ${r.firstFailingRate} req/s)`,
    )
    expect(r.budgetExhausted).toBe(false)
  })

  it('doubles the rate until the first failure, then bisects', async () => {
    const s = synthetic(100)
    await findCapacity(s.evaluate, { startRate: 10, maxRate: 1000, budgetMs: 3_600_000, now: s.now })
    expect(s.calls.slice(0, 5)).toEqual([10, 20, 40, 80, 160])
    expect(s.calls[5]).toBe(120)
  })

  it('stops inside the time budget', async () => {
    const s = synthetic(1000, 60_000)
    const r = await findCapacity(s.evaluate, { startRate: 1, maxRate: 10_000, budgetMs: 5 * 60_000, now: s.now })
    expect(r.elapsedMs).toBeLessThanOrEqual(5 * 60_000)
    expect(r.steps).toHaveLength(5)
    expect(r.budgetExhausted).toBe(true)
    expect(r.statement).toContain('time budget exhausted')
  })

  it('reports the max rate when nothing fails, and no passing rate when everything fails', async () => {
    const up = synthetic(100_000)
    const a = await findCapacity(up.evaluate, { startRate: 10, maxRate: 100, budgetMs: 3_600_000, now: up.now })
    expect(a).toMatchObject({ highestPassingRate: 100, firstFailingRate: null, reachedMaxRate: true })
    let clock = 0
    const b = await findCapacity(
      async () => {
        clock += 1000
        return { pass: false, failing: ['M1'] }
      },
      { startRate: 64, maxRate: 1000, budgetMs: 3_600_000, now: () => clock },
    )
    expect(b.highestPassingRate).toBeNull()
    expect(b.statement).toContain('at no tested rate')
    expect(b.steps.length).toBeLessThanOrEqual(7)
  })

  it('refuses a start rate above the max rate', async () => {
    await expect(
      findCapacity(async () => ({ pass: true }), { startRate: 10, maxRate: 5, budgetMs: 1000 }),
    ).rejects.toMatchObject({ code: 'ERR_CLI_USAGE' })
  })
})

describe('capacity report', () => {
  it('writes capacity.json and a self-contained capacity.html, deterministically', async () => {
    const s = synthetic(200)
    const r = await findCapacity(s.evaluate, { startRate: 10, maxRate: 1000, budgetMs: 3_600_000, now: s.now })
    const files = renderCapacity(r, { scenarioId: 'capacity', title: 'token endpoint capacity' })
    expect(files.map((f) => f.name)).toEqual(['capacity.json', 'capacity.html'])
    const json = JSON.parse(files[0]!.content as string)
    expect(json).toMatchObject({ scenarioId: 'capacity', highestPassingRate: r.highestPassingRate })
    const html = files[1]!.content as string
    expect(html).toContain(r.statement)
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/)
    expect(renderCapacity(r, { scenarioId: 'capacity', title: 'token endpoint capacity' })[1]!.content).toBe(html)
  })
})

describe('tokenStats', () => {
  it('reads the token endpoint p95 and the achieved rate from a record', () => {
    const r = buildRecord({
      durationMs: 10_000,
      series: [
        { metric: 'oauth_token', rate: 20, latencyMs: (_s, i) => (i < 18 ? 10 : 100) },
        { metric: 'rs_request', rate: 50, latencyMs: 1000 },
      ],
    })
    const s = tokenStats(r)
    expect(s.achievedRate).toBe(20)
    expect(s.p95Ms!).toBeGreaterThan(99)
    expect(s.p95Ms!).toBeLessThan(101)
    expect(tokenStats(buildRecord())).toEqual({ achievedRate: 0 })
  })
})

describe('droppedShare', () => {
  it('is the share of scheduled iterations the engine dropped', () => {
    const counters: CounterSeries[] = [
      {
        name: 'iterations',
        tags: {},
        values: [
          { s: 0, value: 30 },
          { s: 1, value: 30 },
        ],
      },
      { name: 'dropped_iterations', tags: { reason: 'not_ready' }, values: [{ s: 0, value: 20 }] },
    ]
    expect(droppedShare(buildRecord({ counters }))).toBeCloseTo(0.25)
    expect(droppedShare(buildRecord())).toBe(0)
  })
})
