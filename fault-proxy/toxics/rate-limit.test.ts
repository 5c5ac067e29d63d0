import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { rateLimit } from './rate-limit.ts'
import type { ToxicContext } from './types.ts'

function fakeContext(clock: { t: number }, state: unknown) {
  const answers: Array<{ status: number; headers: Record<string, unknown> }> = []
  const res = {
    writeHead(status: number, headers: Record<string, unknown>) {
      answers.push({ status, headers })
    },
    end() {},
  } as unknown as ServerResponse
  const req = { resume() {} } as unknown as IncomingMessage
  const ctx: ToxicContext<{ tokens: number; last: number }> = {
    req,
    res,
    state: state as { tokens: number; last: number },
    now: () => clock.t,
    random: () => 0.5,
    signal: new AbortController().signal,
    maxHoldMs: 1000,
  }
  return { ctx, answers }
}

describe('rate-limit toxic', () => {
  it('passes the burst, then answers 429 with Retry-After, and refills at the rate', () => {
    const params = { rate: 2, burst: 3 }
    const clock = { t: 1_000_000 }
    const state = rateLimit.init!(params)
    const { ctx, answers } = fakeContext(clock, state)
    const verdicts = Array.from({ length: 5 }, () => rateLimit.onRequest!(ctx, params))
    expect(verdicts).toEqual(['continue', 'continue', 'continue', 'handled', 'handled'])
    expect(answers.map((a) => [a.status, a.headers['retry-after']])).toEqual([
      [429, '1'],
      [429, '1'],
    ])
    clock.t += 500 // one token at 2/s
    expect(rateLimit.onRequest!(ctx, params)).toBe('continue')
    expect(rateLimit.onRequest!(ctx, params)).toBe('handled')
    clock.t += 60_000 // never more than the burst
    expect(Array.from({ length: 4 }, () => rateLimit.onRequest!(ctx, params))).toEqual([
      'continue',
      'continue',
      'continue',
      'handled',
    ])
  })

  it('asks a slow limiter to wait several seconds', () => {
    const params = { rate: 0.2, burst: 1 }
    const { ctx, answers } = fakeContext({ t: 0 }, rateLimit.init!(params))
    rateLimit.onRequest!(ctx, params)
    rateLimit.onRequest!(ctx, params)
    expect(answers[0]?.headers['retry-after']).toBe('5')
  })
})
