import { describe, expect, it } from 'vitest'
import { benchmarks } from './benchmarks.ts'
import {
  type BenchEntry,
  type BenchFile,
  type BenchRef,
  carryOptIn,
  commandOf,
  mergeUpdate,
  renderTable,
  selectBenchmarks,
} from './run.ts'

const bench = (id: string, group: string): BenchRef => ({ id, group }) as BenchRef
const tokens = bench('token-endpoint', 'as')
const peers = bench('peers', 'peers')
const suite = { id: 'default-suite', group: 'suite', optIn: '--suite' } as BenchRef
const soak = { id: 'soak', group: 'soak', optIn: '--soak' } as BenchRef

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

const ids = (args: string[]) => selectBenchmarks(benchmarks, args).selected.map((b) => b.id)

describe('bench selection', () => {
  it('leaves the opt-in soak and suite out of the default bench and out of every group', () => {
    const all = ids([])
    expect(all).toContain('harness-overhead')
    expect(all).not.toContain('default-suite')
    expect(all).not.toContain('soak')
    expect(selectBenchmarks(benchmarks, []).label).toBeUndefined()
    expect(ids(['--only', 'harness'])).toEqual(['harness-overhead'])
  })

  it('runs an opt-in benchmark by its own flag, and both flags together run both', () => {
    expect(selectBenchmarks(benchmarks, ['--suite'])).toMatchObject({ label: 'suite' })
    expect(ids(['--suite'])).toEqual(['default-suite'])
    expect(ids(['--soak'])).toEqual(['soak'])
    expect(ids(['--soak', '--suite']).sort()).toEqual(['default-suite', 'soak'])
  })

  it('refuses --only for an opt-in benchmark and names its flag', () => {
    for (const name of ['default-suite', 'suite'])
      expect(() => selectBenchmarks(benchmarks, ['--only', name])).toThrow(
        'default-suite is opt-in: run `npm run bench -- --suite`',
      )
    expect(() => selectBenchmarks(benchmarks, ['--only', 'peers,soak'])).toThrow(
      'soak is opt-in: run `npm run bench -- --soak`',
    )
    expect(() => selectBenchmarks(benchmarks, ['--suite', '--only', 'peers'])).toThrow(/drop --only/)
    expect(() => selectBenchmarks(benchmarks, ['--only', 'nothing-by-this-name'])).toThrow(/no benchmark matches/)
  })

  it('gives opt-in rows the command that reruns them', () => {
    expect(commandOf(suite)).toBe('npm run bench -- --suite')
    expect(commandOf(peers)).toBe('npm run bench -- --only peers')
  })
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

  it('replaces an opt-in row recorded before it was opt-in (`--only ID`) instead of adding a second one', () => {
    const old = { ...row('suite wall clock', suite, 500), command: 'npm run bench -- --only default-suite' }
    const latest = file('2026-11-28T00:00:00.000Z', [row('tokens', tokens), old])
    const run = file('2026-12-05T00:00:00.000Z', [row('suite wall clock', suite, 480)])
    const merged = mergeUpdate(latest, run, [suite], 'suite')
    expect(merged.entries.map((e) => [e.name, e.value, e.command])).toEqual([
      ['tokens', 1, 'npm run bench -- --only token-endpoint'],
      ['suite wall clock', 480, 'npm run bench -- --suite'],
    ])
  })
})

describe('a full bench run', () => {
  const previous = file(
    '2026-11-28T00:00:00.000Z',
    [
      row('tokens', tokens, 1),
      // measured by that full run, before the suite was opt-in
      { ...row('suite wall clock', suite, 506), command: 'npm run bench -- --only default-suite' },
      row('soak rate', soak, 500),
    ],
    {
      totalSeconds: 1360,
      seconds: { 'token-endpoint': 100, 'default-suite': 670, soak: 610 },
      updates: [
        { date: '2026-12-01T00:00:00.000Z', only: 'peers' },
        { date: '2026-12-02T00:00:00.000Z', only: 'soak' },
      ],
    },
  )
  const fresh = file('2026-12-05T00:00:00.000Z', [row('tokens', tokens, 2)], {
    totalSeconds: 690,
    seconds: { 'token-endpoint': 90 },
  })

  it('keeps the opt-in rows of the file it replaces, with their seconds and when they were measured', () => {
    const next = carryOptIn(previous, fresh, benchmarks)
    expect(next.entries.map((e) => [e.name, e.value])).toEqual([
      ['tokens', 2],
      ['suite wall clock', 506],
      ['soak rate', 500],
    ])
    expect(next.seconds).toEqual({ 'token-endpoint': 90, 'default-suite': 670, soak: 610 })
    // the --only rerun is replaced by the fresh figures; the suite's rows date from the replaced full run
    expect(next.updates).toEqual([
      { date: '2026-11-28T00:00:00.000Z', only: 'suite' },
      { date: '2026-12-02T00:00:00.000Z', only: 'soak' },
    ])
    expect(next).toMatchObject({ date: fresh.date, totalSeconds: 690 })
  })

  it('says above the table when the carried opt-in rows were measured, and claims no rerun', () => {
    const text = renderTable(carryOptIn(previous, fresh, benchmarks)).split('\n')[0]!
    expect(text).toContain(': suite on 2026-11-28, soak on 2026-12-02;')
    expect(text).toContain('opt-in rows measured (`npm run bench -- --suite`, `npm run bench -- --soak`)')
    expect(text).not.toContain('rerun since')
  })

  it('writes its own rows alone when there was no earlier file or it had no opt-in rows', () => {
    expect(carryOptIn(undefined, fresh, benchmarks)).toEqual(fresh)
    expect(carryOptIn(file(previous.date, [row('tokens', tokens)]), fresh, benchmarks)).toEqual(fresh)
  })
})
