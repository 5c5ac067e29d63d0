import { describe, expect, it } from 'vitest'
import { type BenchEntry, type BenchFile, type BenchRef, commandOf, mergeUpdate } from './run.ts'

const bench = (id: string, group: string): BenchRef => ({ id, group }) as BenchRef
const tokens = bench('token-endpoint', 'as')
const peers = bench('peers', 'peers')

const row = (name: string, b: BenchRef, value = 1): BenchEntry => ({
  name,
  unit: 'req/s',
  value,
  spread: 0,
  peer: null,
  peerValue: null,
  ratio: null,
  target: 'informational',
  pass: true,
  command: commandOf(b),
  repeats: 1,
})

const file = (date: string, entries: BenchEntry[], extra: Partial<BenchFile> = {}): BenchFile => ({
  date,
  node: 'v20',
  cpus: 2,
  entries,
  ...extra,
})

describe('bench --update', () => {
  it('puts the rerun rows where the old ones stood, keeps the others, and records the rerun once per label', () => {
    const latest = file(
      '2026-11-28T00:00:00.000Z',
      [row('tokens', tokens, 1), row('peers a', peers, 1), row('peers b', peers, 1)],
      {
        seconds: { 'token-endpoint': 100, peers: 200 },
        updates: [{ date: '2026-12-01T00:00:00.000Z', only: 'peers' }],
      },
    )
    const run = file('2026-12-05T00:00:00.000Z', [row('peers a', peers, 2)], { seconds: { peers: 150 } })
    const merged = mergeUpdate(latest, run, [peers], 'peers')
    expect(merged.entries.map((e) => [e.name, e.value])).toEqual([
      ['tokens', 1],
      ['peers a', 2],
    ])
    expect(merged.seconds).toEqual({ 'token-endpoint': 100, peers: 150 })
    expect(merged.updates).toEqual([{ date: '2026-12-05T00:00:00.000Z', only: 'peers' }])
    expect(merged.date).toBe('2026-11-28T00:00:00.000Z')
  })
})
