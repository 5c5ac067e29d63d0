import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import { parseOutputSpec } from './index.ts'
import { jsonLines } from './json.ts'
import { MetricsStream } from './stream.ts'
import type { MetricsSnapshot } from './types.ts'

const snap = (at: number, reqs: number, count: number): MetricsSnapshot => ({
  at,
  scalars: [{ name: 'oauth_token_reqs', kind: 'counter', labels: { flow: 'cc', failed: 'false' }, value: reqs }],
  histograms: [
    {
      name: 'oauth_token_duration',
      labels: { flow: 'cc', failed: 'false' },
      buckets: Array.from({ length: 15 }, (_, i) => (i < 5 ? 0 : count)),
      sum: count * 0.04,
      count,
    },
  ],
})

describe('json output', () => {
  it("writes k6's Metric and Point lines, counters as increments, with the run labels", () => {
    const last = new Map<string, number>()
    const declared = new Set<string>()
    const run = { run_id: 'r1', scenario: 'baseline' }
    const first = jsonLines(snap(Date.UTC(2026, 0, 1), 3, 3), run, last, declared).map((l) => JSON.parse(l))
    expect(first[0]).toEqual({
      type: 'Metric',
      metric: 'oauth_token_reqs',
      data: {
        name: 'oauth_token_reqs',
        type: 'counter',
        contains: 'default',
        tainted: null,
        thresholds: [],
        submetrics: null,
      },
    })
    expect(first[1]).toEqual({
      type: 'Point',
      metric: 'oauth_token_reqs',
      data: {
        time: '2026-01-01T00:00:00.000Z',
        value: 3,
        tags: { flow: 'cc', failed: 'false', run_id: 'r1', scenario: 'baseline' },
      },
    })
    const sum = first.find((l) => l.type === 'Point' && l.metric === 'oauth_token_duration_sum')
    expect(sum.data.value).toBeCloseTo(120, 6) // ms, k6's unit for time values
    expect(first.find((l) => l.type === 'Metric' && l.metric === 'oauth_token_duration_sum').data.contains).toBe('time')
    const les = first
      .filter((l) => l.type === 'Point' && l.metric === 'oauth_token_duration_bucket')
      .map((l) => l.data.tags.le)
    expect(les).toEqual(['50', '100', '250', '300', '500', '1000', '2500', '5000', '10000', '+Inf'])
    const second = jsonLines(snap(Date.UTC(2026, 0, 1, 0, 0, 1), 5, 3), run, last, declared).map((l) => JSON.parse(l))
    // only the counter that moved, by its increment; no Metric line again
    expect(second).toEqual([
      expect.objectContaining({
        type: 'Point',
        metric: 'oauth_token_reqs',
        data: expect.objectContaining({ value: 2 }),
      }),
    ])
    expect(jsonLines(snap(Date.UTC(2026, 0, 1, 0, 0, 2), 5, 3), run, last, declared)).toEqual([])
  })

  it('flushes on its interval and once more at finish, whatever the run became', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gameday-json-out-'))
    try {
      const file = join(dir, 'm.jsonl')
      const events: string[] = []
      const stream = await MetricsStream.start([{ id: 'json', arg: file }], {
        runId: 'r9',
        scenario: 's',
        log: createLogger({ name: 'test', level: 'silent' }),
        emit: (t) => events.push(t),
      })
      stream.add({ counters: [{ name: 'iterations', tags: { flow: 'f' }, values: [{ s: 0, value: 4 }] }] })
      // written by the interval, before any finish (bounded wait, no timing asserted)
      const { stat } = await import('node:fs/promises')
      for (let i = 0; i < 100 && (await stat(file)).size === 0; i++) await new Promise((r) => setTimeout(r, 100))
      const early = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(early.filter((l) => l.type === 'Point').map((l) => l.data.value)).toEqual([4])
      await stream.finish({
        series: [],
        counters: [
          {
            name: 'iterations',
            tags: { flow: 'f' },
            values: [
              { s: 0, value: 4 },
              { s: 1, value: 6 },
            ],
          },
        ],
      })
      await stream.finish()
      const points = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => l.type === 'Point')
      expect(points.map((l) => l.data.value)).toEqual([4, 6])
      expect(points.every((l) => l.data.tags.run_id === 'r9')).toBe(true)
      expect(events).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('--out-metrics values', () => {
  it('parses json=FILE and prometheus-rw=URL', () => {
    expect(parseOutputSpec('json=out/m.jsonl')).toEqual({ id: 'json', arg: 'out/m.jsonl' })
    expect(parseOutputSpec('prometheus-rw=http://127.0.0.1:9090/api/v1/write')).toEqual({
      id: 'prometheus-rw',
      arg: 'http://127.0.0.1:9090/api/v1/write',
    })
  })

  it.each([
    ['influxdb=http://x', /unknown output "influxdb".*expected one of json=FILE, prometheus-rw=URL/],
    ['json', /json needs a value.*expected one of json=FILE, prometheus-rw=URL/],
    ['json=', /json needs a file: json=FILE/],
    ['prometheus-rw=localhost:9090', /needs an http\(s\) URL/],
    ['prometheus-rw=http://me:pw@127.0.0.1:9090/api/v1/write', /takes no credentials in the URL/],
    ['prometheus-rw=not a url', /needs an http\(s\) URL such as http:\/\/127\.0\.0\.1:9090\/api\/v1\/write/],
  ])('refuses %s with the accepted forms', (value, message) => {
    expect(() => parseOutputSpec(value)).toThrow(message)
  })

  it('refuses a push interval that is not a duration', () => {
    process.env.GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL = 'often'
    try {
      expect(() => parseOutputSpec('prometheus-rw=http://127.0.0.1:1/api/v1/write')).toThrow(
        /GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL must be a duration of at least 100ms such as 5s \(got "often"\)/,
      )
    } finally {
      delete process.env.GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL
    }
  })
})
