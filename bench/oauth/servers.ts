/** Benchmark servers in child processes, and autocannon measurements against them. */
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { spawnServer } from '../lib/spawn.ts'
import { clientSecretBasic } from '../../src/oauth/client-auth.ts'

const SERVE = fileURLToPath(new URL('../serve.ts', import.meta.url))

export interface BenchServer {
  info: { url: string; tokenEndpoint?: string; apiUrl?: string; clientId?: string; clientSecret?: string }
  child: ChildProcess
  stop(): Promise<void>
}

/** Start `kind` (see bench/serve.ts) in its own process; resolves with the info line it prints. */
export async function startBenchServer(kind: string, opts: Record<string, string> = {}): Promise<BenchServer> {
  const s = await spawnServer(
    SERVE,
    { BENCH_SERVER: kind, BENCH_OPTS: JSON.stringify(opts), LOG_LEVEL: 'warn' },
    kind,
    'pipe',
  )
  return { info: JSON.parse(s.line) as BenchServer['info'], child: s.child, stop: s.stop }
}

export interface Throughput {
  /** Requests per second (2xx only). */
  rate: number
  /** Closed-loop p99 in ms at that throughput (same tool, same connections for every peer). */
  p99: number
  non2xx: number
}

interface CannonOpts {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  connections?: number
  durationS?: number
  /** Unmeasured seconds first (default 2; 0 for none). */
  warmupS?: number
  /** A fresh `DPoP` header for every request (a proof is accepted once). */
  proof?: () => string
  /**
   * Build every request through autocannon's per-request path (`setupRequest`) even without a proof, as a
   * subject with `proof` does: a bearer twin then costs the generator as much per request as its DPoP
   * subject, and on 2 shared cores their ratio is the servers' (autocannon otherwise sends one prebuilt request).
   */
  perRequest?: boolean
}

/**
 * Closed-loop maximum throughput with autocannon after a warm-up. Used for
 * throughput only: latency figures from it are closed-loop service times,
 * compared between peers measured the same way, never as an SLO oracle.
 */
export async function maxThroughput(o: CannonOpts): Promise<Throughput> {
  const base = {
    url: o.url,
    method: o.method ?? 'GET',
    headers: o.headers,
    body: o.body,
    connections: o.connections ?? 32,
    ...(o.proof || o.perRequest
      ? {
          requests: [
            {
              setupRequest: (req: { headers?: Record<string, string> }) => {
                req.headers = o.proof ? { ...req.headers, dpop: o.proof() } : { ...req.headers }
                return req
              },
            },
          ],
        }
      : {}),
  }
  // warm the server's JIT (and the connections) before measuring
  if ((o.warmupS ?? 2) > 0)
    await (autocannon as unknown as (x: unknown) => Promise<unknown>)({ ...base, duration: o.warmupS ?? 2 })
  const r = (await (
    autocannon as unknown as (x: unknown) => Promise<{
      requests: { average: number }
      latency: { p99: number }
      non2xx: number
      '2xx': number
      duration: number
    }>
  )({
    ...base,
    duration: o.durationS ?? 5,
  })) as { requests: { average: number }; latency: { p99: number }; non2xx: number; '2xx': number; duration: number }
  const ok = r['2xx'] / Math.max(1, r.duration)
  if (r.non2xx > 0.01 * (r['2xx'] + r.non2xx))
    throw new Error(`${o.url}: ${r.non2xx} non-2xx answers during the measurement`)
  return { rate: Math.round(ok), p99: r.latency.p99, non2xx: r.non2xx }
}

/** The token request every token-endpoint benchmark sends (client_secret_basic, client_credentials). */
export function tokenRequest(info: BenchServer['info']): CannonOpts {
  return {
    url: info.tokenEndpoint!,
    method: 'POST',
    headers: {
      authorization: clientSecretBasic(info.clientId!, info.clientSecret!),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=orders:read',
  }
}

/**
 * One request at a time over one keep-alive connection for `durationS`,
 * timed with hrtime into a µs HDR histogram: the per-request service time,
 * with no queueing (so no coordinated omission) and sub-ms resolution.
 */
export async function sequentialLatency(
  url: string,
  durationS = 5,
): Promise<{ p50: number; p99: number; count: number }> {
  const { Pool } = await import('undici')
  const { createHistogram, percentileMs, recordMs } = await import('../../src/record/histogram.ts')
  const u = new URL(url)
  const pool = new Pool(u.origin, { connections: 1 })
  const path = u.pathname + u.search
  const once = async () => {
    const res = await pool.request({ path, method: 'GET' })
    await res.body.dump()
    if (res.statusCode >= 400) throw new Error(`${url} answered ${res.statusCode}`)
  }
  const warmEnd = Date.now() + 1000
  while (Date.now() < warmEnd) await once()
  const h = createHistogram()
  const end = Date.now() + durationS * 1000
  let count = 0
  while (Date.now() < end) {
    const t = process.hrtime.bigint()
    await once()
    recordMs(h, Number(process.hrtime.bigint() - t) / 1e6)
    count++
  }
  await pool.close()
  return { p50: percentileMs(h, 50), p99: percentileMs(h, 99), count }
}
