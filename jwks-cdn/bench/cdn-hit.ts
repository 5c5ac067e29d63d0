/**
 * Benchmark: the latency the JWKS CDN adds on a cache hit. An origin serving a
 * JWKS-sized document is called directly and through the CDN (every request
 * a hit), alternating request by request over keep-alive undici pools on
 * loopback, so the two series see the same machine load. The budget is an added p99 under
 * 1 ms. Run: `tsx jwks-cdn/bench/cdn-hit.ts [--requests N] [--concurrency C]`.
 */
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { Pool } from 'undici'
import { serveCdn } from '../main.ts'
import { isMain } from '../../src/util/component/common.ts'

/** Latency summary of one target, in microseconds. */
export interface LatencySummary {
  requests: number
  p50Us: number
  p90Us: number
  p99Us: number
  maxUs: number
}

/** Result of {@link measureCdnHitOverhead}. */
export interface CdnHitBench {
  concurrency: number
  direct: LatencySummary
  viaCdn: LatencySummary
  /** p99 through the CDN minus p99 direct, in microseconds. */
  addedP99Us: number
  addedP50Us: number
  /** Whether the added p99 stays under the 1 ms budget. */
  withinBudget: boolean
}

function summarize(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b)
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0)
  return { requests: s.length, p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99), maxUs: Math.round(s.at(-1) ?? 0) }
}

async function once(pool: Pool, path: string): Promise<number> {
  const t0 = process.hrtime.bigint()
  const res = await pool.request({ path, method: 'GET' })
  await res.body.arrayBuffer()
  if (res.statusCode !== 200) throw new Error(`unexpected status ${res.statusCode}`)
  return Number(process.hrtime.bigint() - t0) / 1000
}

// each worker alternates direct and via-CDN requests, so both series see the same machine noise
async function drive(
  direct: Pool,
  viaCdn: Pool,
  requests: number,
  concurrency: number,
  a: number[],
  b: number[],
): Promise<void> {
  let left = requests
  const worker = async (odd: boolean) => {
    while (left-- > 0) {
      if (odd) {
        b.push(await once(viaCdn, '/jwks'))
        a.push(await once(direct, '/jwks'))
      } else {
        a.push(await once(direct, '/jwks'))
        b.push(await once(viaCdn, '/jwks'))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i % 2 === 1)))
}

/**
 * Measure direct vs through-the-CDN latency on hits.
 *
 * @example
 * ```ts
 * const r = await measureCdnHitOverhead({ requests: 20_000, concurrency: 1 })
 * console.log(r.addedP99Us)
 * ```
 */
export async function measureCdnHitOverhead(
  opts: { requests?: number; concurrency?: number } = {},
): Promise<CdnHitBench> {
  const requests = opts.requests ?? 20_000
  const concurrency = opts.concurrency ?? 1
  const jwks = JSON.stringify({
    keys: Array.from({ length: 2 }, (_, i) => ({
      kty: 'RSA',
      kid: `key-${i}`,
      use: 'sig',
      alg: 'RS256',
      e: 'AQAB',
      n: 'x'.repeat(342),
    })),
  })
  const origin = Fastify({ logger: false })
  origin.get('/jwks', async (_req, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('application/json').send(jwks),
  )
  await origin.listen({ port: 0, host: '127.0.0.1' })
  const originUrl = `http://127.0.0.1:${(origin.server.address() as { port: number }).port}`
  const cdn = await serveCdn({ origin: originUrl, logger: false })
  const direct = new Pool(originUrl, { connections: concurrency })
  const viaCdn = new Pool(cdn.url, { connections: concurrency })
  try {
    await drive(direct, viaCdn, 2000, concurrency, [], [])
    const a: number[] = []
    const b: number[] = []
    await drive(direct, viaCdn, requests, concurrency, a, b)
    const d = summarize(a)
    const c = summarize(b)
    return {
      concurrency,
      direct: d,
      viaCdn: c,
      addedP99Us: c.p99Us - d.p99Us,
      addedP50Us: c.p50Us - d.p50Us,
      withinBudget: c.p99Us - d.p99Us < 1000,
    }
  } finally {
    await direct.close()
    await viaCdn.close()
    await cdn.close()
    await origin.close()
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { requests: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '1,8' } },
  })
  for (const c of String(values.concurrency).split(',').map(Number)) {
    const r = await measureCdnHitOverhead({ requests: Number(values.requests), concurrency: c })
    process.stdout.write(`${JSON.stringify(r)}\n`)
  }
}
