import { describe, expect, it } from 'vitest'
import { isGamedayError } from '../errors.ts'
import { budgetConsumed, evaluate, margin, parseThreshold } from './threshold.ts'

describe('parseThreshold', () => {
  it('parses rates, percentiles, durations and counts', () => {
    expect(parseThreshold('rate<0.001')).toMatchObject({ aggregate: 'rate', op: '<', target: 0.001 })
    expect(parseThreshold('rate>=0.999')).toMatchObject({ aggregate: 'rate', op: '>=', target: 0.999 })
    expect(parseThreshold('p(95)<300ms')).toMatchObject({ aggregate: 'p', percentile: 95, op: '<', target: 300 })
    expect(parseThreshold('p(99.9)<=1s')).toMatchObject({ aggregate: 'p', percentile: 99.9, op: '<=', target: 1000 })
    expect(parseThreshold('max<10s')).toMatchObject({ aggregate: 'max', target: 10_000 })
    expect(parseThreshold('avg<250')).toMatchObject({ aggregate: 'avg', target: 250 })
    expect(parseThreshold('count==0')).toMatchObject({ aggregate: 'count', op: '==', target: 0 })
    expect(parseThreshold('value==0')).toMatchObject({ aggregate: 'value', op: '==', target: 0 })
    expect(parseThreshold('detected')).toMatchObject({ aggregate: 'detected', op: '==', target: 1 })
    expect(parseThreshold(' p(95) < 1m30s ')).toMatchObject({ target: 90_000 })
  })

  it.each(['rate<', 'p(95)300ms', 'rate<5', 'count==0ms', 'p(0)<1s', 'p(101)<1s', 'foo<1', 'max<10parsecs', ''])(
    'refuses %j with ERR_SCENARIO_INVALID naming it',
    (src) => {
      try {
        parseThreshold(src)
        expect.unreachable()
      } catch (err) {
        expect(isGamedayError(err, 'ERR_SCENARIO_INVALID')).toBe(true)
        expect((err as Error).message).toContain(JSON.stringify(src))
      }
    },
  )
})

describe('evaluate', () => {
  it('compares with every operator', () => {
    expect(evaluate(parseThreshold('rate<0.001'), 0.0009)).toBe(true)
    expect(evaluate(parseThreshold('rate<0.001'), 0.001)).toBe(false)
    expect(evaluate(parseThreshold('rate>=0.999'), 0.999)).toBe(true)
    expect(evaluate(parseThreshold('p(95)<=300ms'), 300)).toBe(true)
    expect(evaluate(parseThreshold('max>1s'), 1000)).toBe(false)
    expect(evaluate(parseThreshold('count==0'), 1)).toBe(false)
    expect(evaluate(parseThreshold('detected'), 1)).toBe(true)
    expect(evaluate(parseThreshold('detected'), 0)).toBe(false)
  })

  it('computes margins positive inside the objective', () => {
    expect(margin(parseThreshold('p(95)<300ms'), 250)).toBe(50)
    expect(margin(parseThreshold('rate>=0.99'), 0.95)).toBeCloseTo(-0.04)
    expect(margin(parseThreshold('count==0'), 3)).toBe(-3)
  })

  it('computes the error budget consumed for rate objectives', () => {
    expect(budgetConsumed(parseThreshold('rate<0.001'), 0.0005)).toBeCloseTo(0.5)
    expect(budgetConsumed(parseThreshold('rate>=0.999'), 0.998)).toBeCloseTo(2)
    expect(budgetConsumed(parseThreshold('rate>=0.999'), 1)).toBe(0)
    expect(budgetConsumed(parseThreshold('rate<0'), 0)).toBe(0)
    expect(budgetConsumed(parseThreshold('rate<0'), 0.1)).toBeNull()
    expect(budgetConsumed(parseThreshold('p(95)<300ms'), 100)).toBeNull()
  })
})
