import { describe, expect, it } from 'vitest'
import { EventLog } from './event-log.ts'

describe('EventLog', () => {
  it('returns the events with seq > since, in order, by one rule', () => {
    let t = 1000
    const log = new EventLog(() => t++, 3)
    for (const type of ['a', 'b', 'c', 'd', 'e']) log.emit(type)
    expect(log.since(0).map((e) => e.seq)).toEqual([3, 4, 5])
    expect(log.since(-1).map((e) => e.seq)).toEqual([3, 4, 5])
    expect(log.since(1).map((e) => e.seq)).toEqual([3, 4, 5])
    expect(log.since(3).map((e) => e.type)).toEqual(['d', 'e'])
    expect(log.since(5)).toEqual([])
    expect(log.since(99)).toEqual([])
  })

  it('emits each event in process and leaves data out when none is given', () => {
    const log = new EventLog(() => 7)
    const seen: unknown[] = []
    log.emitter.on('event', (e) => seen.push(e))
    log.emit('x')
    log.emit('y', { n: 1 })
    expect(seen).toEqual([
      { seq: 1, time: 7, type: 'x' },
      { seq: 2, time: 7, type: 'y', data: { n: 1 } },
    ])
  })
})
