import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { STARTUP_SLOPE_LIMIT, startupSlope } from '../../bench/benchmarks.ts'
import { recordSize, syntheticRecord } from '../../bench/curves/record-size.ts'
import type { FamilyFigures } from '../../bench/curves/refresh-families.ts'
import type { StackSizeFigures } from '../../bench/curves/stack-size.ts'

function child<T>(script: string, size: number, nodeArgs: string[] = []): T {
  const r = spawnSync(
    process.execPath,
    [
      ...nodeArgs,
      '--import',
      'tsx',
      fileURLToPath(new URL(`../../bench/curves/${script}`, import.meta.url)),
      String(size),
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LOG_LEVEL: 'warn' } },
  )
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T
}

describe('bench curves', () => {
  it('counts the heap of refresh families and what the sweep returns', () => {
    const f = child<FamilyFigures>('refresh-families.ts', 5000, ['--expose-gc'])
    expect(f.families).toBe(5000)
    // a family holds at least its token strings, and the sweep empties the store (the script checks it)
    expect(f.bytesPerFamily).toBeGreaterThan(200)
    expect(f.heapReturned).toBeGreaterThan(0.5)
    expect(f.heapReturned).toBeLessThanOrEqual(1.05)
  }, 60_000)

  it('refuses to run without --expose-gc', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../../bench/curves/refresh-families.ts', import.meta.url)), '10'],
      { encoding: 'utf8', timeout: 60_000 },
    )
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/--expose-gc/)
  }, 60_000)

  it('synthesizes a record of the asked length and sizes it and every report', async () => {
    const record = syntheticRecord(2)
    expect(record.load.durationMs).toBe(120_000)
    expect(Math.max(...record.load.series.flatMap((x) => x.buckets.map((b) => b.s)))).toBe(119)
    const p = await recordSize(1)
    expect(p.minutes).toBe(1)
    expect(p.recordBytesPerMinute).toBeGreaterThan(1000)
    // the reports carry at least the HTML page and the JSON record
    expect(p.reportBytesPerMinute).toBeGreaterThan(p.htmlBytes)
  }, 60_000)

  it('starts a stack of N reference RSs and reads the harness and component memory', () => {
    const f = child<StackSizeFigures>('stack-size.ts', 2)
    expect(f.rs).toBe(2)
    expect(f.startMs).toBeGreaterThan(0)
    expect(f.harnessRssMb).toBeGreaterThan(10)
    // mock-as and two RSs, each a Node process of some tens of MB
    expect(f.childrenRssMb).toBeGreaterThan(f.harnessRssMb / 4)
    // three Node boots cost CPU, read from /proc: at least a tenth of a second, and no more than the cores allowed
    expect(f.childrenCpuMs).toBeGreaterThan(100)
    expect(f.childrenCpuMs).toBeLessThan(f.startMs * cpus().length + 200)
    expect(f.harnessCpuMs).toBeGreaterThan(0)
  }, 120_000)
})

describe('bench stack start-up slope', () => {
  const point = (rs: number, startMs: number, childrenCpuMs: number) => ({
    rs,
    startMs,
    childrenCpuMs,
    harnessCpuMs: 100,
  })

  it('sets the wall time per added RS beside the boot CPU per RS spread over the cores', () => {
    // 15 more RSs: 4500 ms more wall time, 7500 ms more CPU, on 2 cores: 300 ms per RS against a floor of 250
    const s = startupSlope([point(1, 500, 700), point(4, 1400, 2200), point(16, 5000, 8200)], 2)
    expect(s.msPerRs).toBe(300)
    expect(s.cpuMsPerRs).toBe(500)
    expect(s.floorMsPerRs).toBe(250)
    expect(s.ratio).toBeCloseTo(1.2, 6)
  })

  it('sees RSs started one after another as a slope well above the CPU floor', () => {
    // each RS waits for the one before: 340 ms each for 510 ms of CPU
    const s = startupSlope([point(1, 400, 700), point(16, 400 + 15 * 340, 700 + 15 * 510)], 2)
    expect(s.ratio).toBeGreaterThan(STARTUP_SLOPE_LIMIT)
  })
})
