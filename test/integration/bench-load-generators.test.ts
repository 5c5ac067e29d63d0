import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generators, type LoadGenerator, parseWrk } from '../../bench/load/generators.ts'
import { type Fixture, startFixture } from '../../bench/load/harness.ts'
import { benchPeers } from '../../bench/load/peers.ts'

const byId = (id: LoadGenerator['id']) => generators.find((g) => g.id === id)!

// A run of wrk 4.1 on the fixture, kept as printed: microsecond and millisecond units side by side.
const WRK_OUT = `Running 1s test @ http://127.0.0.1:38633/hello
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.66ms   18.26ms 119.35ms   93.71%
    Req/Sec     3.85k     4.01k   14.11k    88.89%
  Latency Distribution
     50%  386.00us
     75%    1.89ms
     90%    6.45ms
     99%  102.25ms
  7106 requests in 1.01s, 1.27MB read
  Non-2xx or 3xx responses: 6
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:   7022.06
Transfer/sec:      1.26MB
`

describe('bench load generators', () => {
  let fixture: Fixture
  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('parses wrk output with its time units, non-2xx answers and socket errors', () => {
    expect(parseWrk(WRK_OUT)).toEqual({ requests: 7100, durationS: 1.01, rps: 7022.06, p99Ms: 102.25, errors: 9 })
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/wrk output not understood/)
  })

  // wrk is a Debian package the bench expects; outside CI a machine without it skips, in CI it fails
  const wrkMissing = byId('wrk').missing()
  it.skipIf(wrkMissing !== null && !process.env.CI).each(['wrk', 'autocannon', 'engine'] as const)(
    'runs %s as a measured child process and reads its figures',
    async (id) => {
      const g = byId(id)
      expect(g.missing(), `${id} cannot run here`).toBeNull()
      const r = await g.run(`${fixture.url}/hello`, { connections: 4, seconds: 1 })
      expect(r.requests).toBeGreaterThan(10)
      expect(r.errors).toBe(0)
      expect(r.durationS).toBeGreaterThanOrEqual(0.9)
      // each tool rounds its own duration: the rate it reports agrees with requests / duration within 1%
      expect(Math.abs(r.rps - r.requests / r.durationS) / (r.requests / r.durationS)).toBeLessThan(0.01)
      expect(r.p99Ms).toBeGreaterThan(0)
      // CPU of the process tree, read from the wrapper: at least one 10 ms tick, no more than wall time on every core
      expect(r.cpuMs).toBeGreaterThan(0)
      expect(r.cpuMs).toBeLessThan(r.wallMs * 4)
    },
    90_000,
  )

  it.skipIf(wrkMissing !== null && !process.env.CI).each(['wrk', 'autocannon'] as const)(
    'paces %s at an aimed rate, within a wide tolerance',
    async (id) => {
      const r = await byId(id).paced!(`${fixture.url}/hello`, { rate: 100, seconds: 2, connections: 4 })
      expect(r.errors).toBe(0)
      // the pacing holds the rate down (closed loop, it would be thousands a second); a busy machine may fall short
      expect(r.rps).toBeLessThan(130)
      expect(r.rps).toBeGreaterThan(30)
    },
    60_000,
  )

  // Artillery is installed on demand (`npm run bench -- --only peers --install-peers`), never a dependency
  const artilleryMissing = byId('artillery').missing()
  it.skipIf(artilleryMissing !== null)(
    `runs Artillery closed-loop and reads its JSON report${artilleryMissing ? ' (skipped: not installed)' : ''}`,
    async () => {
      const r = await byId('artillery').run(`${fixture.url}/hello`, { connections: 2, seconds: 1 })
      expect(r.requests).toBeGreaterThan(10)
      expect(r.errors).toBe(0)
      expect(r.durationS).toBe(1)
      expect(r.p99Ms).toBeGreaterThan(0)
      expect(r.cpuMs).toBeGreaterThan(0)
    },
    120_000,
  )

  it('says which peer is missing and how to get it, and skips only that one', async () => {
    const absent: LoadGenerator = {
      id: 'artillery',
      label: 'absent generator',
      missing: () => 'not installed: run the installer',
      run: () => Promise.reject(new Error('must not run')),
    }
    const lines: string[] = []
    const prev = process.env.BENCH_WRK
    process.env.BENCH_WRK = '/nonexistent/wrk'
    try {
      expect(byId('wrk').missing()).toMatch(/\/nonexistent\/wrk not found: install wrk/)
    } finally {
      if (prev === undefined) delete process.env.BENCH_WRK
      else process.env.BENCH_WRK = prev
    }
    const f = await benchPeers({
      repeats: 1,
      seconds: 1,
      shortS: 1,
      connections: 2,
      generators: [byId('autocannon'), absent],
      log: (l) => lines.push(l),
    })
    expect(f.missing).toEqual({ artillery: 'not installed: run the installer' })
    expect(lines.some((l) => l.includes('absent generator is missing, its entries are skipped: not installed'))).toBe(
      true,
    )
    expect(f.samples.artillery).toBeUndefined()
    expect(f.samples.autocannon).toHaveLength(1)
    const s = f.samples.autocannon![0]!
    // marginal CPU: the long run's extra CPU over its extra requests
    expect(s.long.requests).toBeGreaterThan(s.short.requests)
    expect(s.cpuUsPerRequest).toBeCloseTo(
      ((s.long.cpuMs - s.short.cpuMs) * 1000) / (s.long.requests - s.short.requests),
      6,
    )
  }, 90_000)
})
