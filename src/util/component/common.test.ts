import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { ControlInputError, EventLog, forwardableHeaders, validateInput } from './common.ts'

describe('validateInput', () => {
  const schema = Type.Object(
    {
      delayMs: Type.Number({ minimum: 0 }),
      when: Type.Optional(Type.String({ pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h|d))+$' })),
    },
    { additionalProperties: false },
  )

  it('names the field, the expected value and what was sent', () => {
    expect(() => validateInput(schema, { delayMs: -1 }, 'body')).toThrow('body.delayMs: must be a number >= 0 (got -1)')
    expect(() => validateInput(schema, { delayMs: 1, when: 'soon' }, 'body')).toThrow(
      'body.when: must be a duration like 30s or 250ms (got "soon")',
    )
    expect(() => validateInput(schema, { delayMs: 1, dealy: 2 }, 'body')).toThrow(
      'body.dealy: unknown field (expected one of delayMs, when)',
    )
    expect(() => validateInput(schema, {}, 'body')).toThrow('body.delayMs: required (expected a number >= 0)')
    expect(() => validateInput(schema, {}, 'body')).toThrow(ControlInputError)
  })

  it('returns valid input unchanged', () => {
    expect(validateInput(schema, { delayMs: 3 }, 'body')).toEqual({ delayMs: 3 })
  })
})

describe('EventLog', () => {
  it('numbers events from 1 and returns those after since', () => {
    const log = new EventLog(() => 42, 3)
    for (const t of ['a', 'b', 'c', 'd']) log.emit(t)
    expect(log.since(0).map((e) => [e.seq, e.type])).toEqual([
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
    ])
    expect(log.since(3)).toEqual([{ seq: 4, time: 42, type: 'd' }])
  })
})

describe('forwardableHeaders', () => {
  it('drops hop-by-hop headers and those named in Connection', () => {
    expect(
      forwardableHeaders(
        { connection: 'x-private', 'x-private': '1', 'keep-alive': 'timeout=5', accept: '*/*', host: 'h' },
        ['host'],
      ),
    ).toEqual({ accept: '*/*' })
  })
})
