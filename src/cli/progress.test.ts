import { describe, expect, it } from 'vitest'
import type { RunProgress } from '../runner/run.ts'
import { createProgress } from './progress.ts'

const p = (elapsedMs: number): RunProgress => ({
  phase: 'timeline',
  elapsedMs,
  totalMs: 90_000,
  rate: 49.6,
  p95: 12.4,
  errorRate: 0.02,
  droppedIterations: 0,
  activeFaults: ['bad-key-rotation'],
  slos: { M3: false, M1: null },
})

describe('progress', () => {
  it('prints a plain line at most every 5 s without a TTY', () => {
    let t = 0
    const lines: string[] = []
    const pr = createProgress('bkr', { tty: false, now: () => t, write: (s) => lines.push(s) })
    pr.update(p(0))
    t = 1000
    pr.update(p(1000))
    t = 5000
    pr.update(p(5000))
    t = 6000
    pr.update(p(6000))
    pr.done()
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain(
      'bkr timeline 0ms / 1m30s | rate 49.6/s p95 12ms errors 2.0% | faults bad-key-rotation | slos M3 BROKEN M1 …',
    )
    expect(lines[2]).toContain('6s / 1m30s')
  })

  it('rewrites one block in place on a TTY', () => {
    const out: string[] = []
    const pr = createProgress('bkr', { tty: true, write: (s) => out.push(s) })
    pr.update(p(0))
    pr.update(p(1000))
    expect(out[0]!.startsWith('\x1b[0J')).toBe(true)
    expect(out[1]!.startsWith('\x1b[4F\x1b[0J')).toBe(true)
  })

  it('shows each SLO held so far as ok, broken as BROKEN and not known yet as …, in the block and the plain line', () => {
    const slos = { M1: true, 'M3 (orders)': false, 'M3 [recovery]': null }
    const block: string[] = []
    createProgress('bkr', { tty: true, write: (s) => block.push(s) }).update({ ...p(12_000), slos })
    expect(block[0]).toContain('  slos   M1 ok  M3 (orders) BROKEN  M3 [recovery] …\n')
    const plain: string[] = []
    createProgress('bkr', { tty: false, write: (s) => plain.push(s) }).update({ ...p(12_000), slos })
    expect(plain[0]).toMatch(/\| slos M1 ok M3 \(orders\) BROKEN M3 \[recovery\] …\n$/)
    const none: string[] = []
    createProgress('bkr', { tty: false, write: (s) => none.push(s) }).update({ ...p(0), slos: {} })
    expect(none[0]).toMatch(/\| slos -\n$/)
  })

  it('shows the probes of the timeline running and done when the runner reports them', () => {
    const block: string[] = []
    createProgress('bkr', { tty: true, write: (s) => block.push(s) }).update({
      ...p(12_000),
      phase: 'recovery',
      probes: { running: ['jwks-refresh-latency'], done: 1, total: 2 },
    })
    expect(block[0]).toContain('bkr  recovery  12s / 1m30s')
    expect(block[0]).toContain('  probes jwks-refresh-latency running, 1/2 done\n')
    const plain: string[] = []
    createProgress('bkr', { tty: false, write: (s) => plain.push(s) }).update({
      ...p(12_000),
      probes: { running: [], done: 2, total: 2 },
    })
    expect(plain[0]).toContain('| probes 2/2 done |')
  })

  it('prints a mid-run error above the block on a TTY, then draws the block again below it', () => {
    const out: string[] = []
    const pr = createProgress('bkr', { tty: true, write: (s) => out.push(s) })
    pr.update(p(0))
    pr.note('error ERR_PROBE_FAILED: probe fail-open (timeline[1]) failed: socket hang up\nhint: read the cause')
    pr.update(p(1000))
    // the block is cleared before the note, and the next block does not move up over the note
    expect(out[1]).toBe(
      '\x1b[4F\x1b[0Jerror ERR_PROBE_FAILED: probe fail-open (timeline[1]) failed: socket hang up\nhint: read the cause\n',
    )
    expect(out[2]!.startsWith('\x1b[0J')).toBe(true)
  })

  it('prints nothing with quiet but a mid-run error', () => {
    const out: string[] = []
    const pr = createProgress('bkr', { quiet: true, write: (s) => out.push(s) })
    pr.update(p(0))
    pr.done()
    expect(out).toEqual([])
    pr.note('error ERR_PROBE_FAILED: probe fail-open (timeline[1]) failed\nhint: read the cause')
    expect(out).toEqual(['error ERR_PROBE_FAILED: probe fail-open (timeline[1]) failed\nhint: read the cause\n'])
  })
})
