/**
 * Every benchmark `npm run bench` runs, in order. Each measures the product
 * beside a peer in the same run, interleaving the two across repeats, and
 * returns entries with the median, the spread, the ratio and the target.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchAccuracy, benchCoordinatedOmission, benchMaxRate, benchMemory } from './load/index.ts'
import { runEngine, startFixture } from './load/harness.ts'
import { benchPeers, type PeerSample } from './load/peers.ts'
import { benchPeersStall } from './load/peers-stall.ts'
import { engineCpuCurve } from './curves/engine-cpu.ts'
import { CHROMIUM, htmlTimeToCharts, recordSize } from './curves/record-size.ts'
import type { FamilyFigures } from './curves/refresh-families.ts'
import type { SoakFigures } from './curves/soak.ts'
import { SOAK_RATE } from './curves/soak.ts'
import type { StackSizeFigures } from './curves/stack-size.ts'
import type { MaxRateFigures } from './load/max-rate.ts'
import {
  type BenchServer,
  maxThroughput,
  sequentialLatency,
  startBenchServer,
  type Throughput,
  tokenRequest,
} from './oauth/servers.ts'
import { ath, createDpopProof, type DpopKey, generateDpopKey } from '../src/oauth/dpop.ts'
import type { BenchEntry } from './run.ts'
import { median, spread } from './run.ts'

type Entry = Omit<BenchEntry, 'command' | 'repeats'>

export interface Benchmark {
  id: string
  /** `--only` group: `as` (the components), `engine`, `peers`, `curves`, `harness`; `soak` and `suite` are opt-in. */
  group: 'as' | 'engine' | 'peers' | 'curves' | 'harness' | 'soak' | 'suite'
  /**
   * Set on an opt-in benchmark: the flag that runs it (`npm run bench -- --soak`, `--suite`). It is never part of
   * the default bench, a group or `--only`, and its seconds count outside the budget.
   */
  optIn?: '--soak' | '--suite'
  repeats: number
  /** `quick`: check the harness with short windows (`--quick`); the figures mean little. `soakMinutes`: `--soak-minutes`. */
  run(repeats: number, opts: { quick: boolean; soakMinutes?: number }): Promise<Entry[]>
}

const ROOT = fileURLToPath(new URL('../', import.meta.url))

function entry(
  name: string,
  unit: string,
  values: number[],
  peer: string | null,
  peerValues: number[] | null,
  target: string,
  pass: (value: number, ratio: number | null) => boolean,
  ratioOf?: (v: number, p: number) => number,
): Entry {
  const value = median(values)
  const peerValue = peerValues ? median(peerValues) : null
  const ratio = peerValue === null ? null : ratioOf ? ratioOf(value, peerValue) : value / peerValue
  // A value near zero (an added cost) has its spread stated relative to the peer's scale.
  const scale = Math.max(Math.abs(value), peerValue === null ? 0 : Math.abs(peerValue))
  const s = scale ? (Math.max(...values) - Math.min(...values)) / scale : spread(values)
  return { name, unit, value, spread: s, peer, peerValue, ratio, target, pass: pass(value, ratio) }
}

async function withServers<T>(
  kinds: Array<[string, Record<string, string>?]>,
  fn: (servers: BenchServer[]) => Promise<T>,
): Promise<T> {
  const servers: BenchServer[] = []
  try {
    for (const [kind, opts] of kinds) servers.push(await startBenchServer(kind, opts))
    return await fn(servers)
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

/** Measure each of `subjects` once per repeat, rotating the order so no one always goes first. */
async function interleaved(repeats: number, subjects: Array<() => Promise<Throughput>>): Promise<Throughput[][]> {
  const out: Throughput[][] = subjects.map(() => [])
  for (let r = 0; r < repeats; r++) {
    for (let k = 0; k < subjects.length; k++) {
      const i = (k + r) % subjects.length
      out[i]!.push(await subjects[i]!())
    }
  }
  return out
}

async function mintToken(tokenEndpoint: string): Promise<string> {
  const req = tokenRequest({ url: '', tokenEndpoint, clientId: 'svc', clientSecret: 'svc-secret' })
  const res = await fetch(tokenEndpoint, { method: 'POST', headers: req.headers, body: req.body })
  const json = (await res.json()) as { access_token?: string }
  if (!json.access_token) throw new Error(`no token from ${tokenEndpoint}: ${JSON.stringify(json)}`)
  return json.access_token
}

const tokenEndpoint: Benchmark = {
  id: 'token-endpoint',
  group: 'as',
  repeats: 3,
  async run(repeats) {
    return await withServers(
      [['mock-as'], ['bare-sign-sync'], ['bare-sign-jose'], ['oidc-provider'], ['oauth2-mock-server']],
      async ([as, sync, jose, oidc, o2m]) => {
        const subjects = [as!, sync!, jose!, oidc!, o2m!]
        const measure = (s: BenchServer, durationS = 4) =>
          maxThroughput({ ...tokenRequest(s.info), connections: 32, warmupS: 0, durationS })
        // each server's JIT is warmed once (it stays warm while the others are measured), then 4 s windows
        for (const s of subjects) await measure(s, 2)
        const [asR, syncR, joseR, oidcR, o2mR] = subjects.map(() => [] as Throughput[]) as [
          Throughput[],
          Throughput[],
          Throughput[],
          Throughput[],
          Throughput[],
        ]
        // The 2× target compares mock-as with oidc-provider: they are measured back to back, in
        // alternating order (ABBA), one pair more than the repeats, and their ratio is the median
        // of the pairs' ratios, so the drift of a shared machine cancels out. The ceiling peers run
        // in every repeat; oauth2-mock-server (informational) in the first only.
        for (let r = 0; r <= repeats; r++) {
          const pair = async () => {
            for (const [s, out] of r % 2 === 0
              ? ([
                  [as!, asR],
                  [oidc!, oidcR],
                ] as const)
              : ([
                  [oidc!, oidcR],
                  [as!, asR],
                ] as const))
              out.push(await measure(s))
          }
          const others: Array<() => Promise<void>> = []
          if (r < repeats)
            others.push(
              async () => void syncR.push(await measure(sync!)),
              async () => void joseR.push(await measure(jose!)),
            )
          if (r === 0) others.push(async () => void o2mR.push(await measure(o2m!)))
          const order = [pair, ...others]
          for (let k = 0; k < order.length; k++) await order[(k + r) % order.length]!()
        }
        const pairedRatio = median(asR.map((x, i) => x.rate / Math.max(1, oidcR[i]!.rate)))
        const rate = (xs: Throughput[]) => xs.map((x) => x.rate)
        const p99 = (xs: Throughput[]) => xs.map((x) => x.p99)
        const ceiling = median(rate(syncR!)) >= median(rate(joseR!)) ? syncR! : joseR!
        const ceilingName =
          ceiling === syncR
            ? 'bare ES256 route, node:crypto sync (the faster)'
            : 'bare ES256 route, jose async (the faster)'
        return [
          entry(
            'ES256 ceiling: bare route, node:crypto sync sign',
            'req/s',
            rate(syncR!),
            'bare route, jose async sign',
            rate(joseR!),
            'informational',
            () => true,
          ),
          entry(
            'mock-as client_credentials vs the ES256 ceiling',
            'req/s',
            rate(asR!),
            ceilingName,
            rate(ceiling),
            '≥ 0.70',
            (_v, r) => (r ?? 0) >= 0.7,
          ),
          entry(
            'mock-as vs node-oidc-provider 8 (rate; ratio = median of back-to-back pairs)',
            'req/s',
            rate(asR),
            'oidc-provider 8.x',
            rate(oidcR),
            '≥ 2.0',
            (_v, r) => (r ?? 0) >= 2,
            () => pairedRatio,
          ),
          entry(
            'mock-as vs node-oidc-provider 8 (closed-loop p99)',
            'ms',
            p99(asR!),
            'oidc-provider 8.x',
            p99(oidcR!),
            'ratio ≤ 1.0',
            (_v, r) => (r ?? 2) <= 1,
          ),
          entry(
            'mock-as vs oauth2-mock-server 8 (rate; first repeat only)',
            'req/s',
            rate(asR!),
            'oauth2-mock-server 8.x',
            rate(o2mR!),
            'informational',
            () => true,
          ),
        ]
      },
    )
  },
}

const rsValidation: Benchmark = {
  id: 'rs-validation',
  group: 'as',
  repeats: 3,
  async run(repeats) {
    return await withServers([['mock-as']], async ([as]) => {
      const issuer = as!.info.url
      const token = await mintToken(as!.info.tokenEndpoint!)
      return await withServers(
        [
          ['rs-resilient', { issuer }],
          ['bare-verify', { issuer, jwksUri: `${issuer}/jwks` }],
        ],
        async ([rs, bare]) => {
          const headers = { authorization: `Bearer ${token}` }
          for (const s of [rs!, bare!])
            await maxThroughput({ url: s.info.apiUrl!, headers, connections: 32, warmupS: 0, durationS: 2 })
          const [rsR, bareR] = await interleaved(
            repeats,
            [rs!, bare!].map(
              (s) => () => maxThroughput({ url: s.info.apiUrl!, headers, connections: 32, warmupS: 0, durationS: 4 }),
            ),
          )
          return [
            entry(
              'mock-rs resilient vs bare jose jwtVerify route (rate, warm keys)',
              'req/s',
              rsR!.map((x) => x.rate),
              'fastify + jose jwtVerify',
              bareR!.map((x) => x.rate),
              '≥ 0.75 (overhead < 25%)',
              (_v, r) => (r ?? 0) >= 0.75,
            ),
          ]
        },
      )
    })
  },
}

/** A token from `tokenEndpoint`, DPoP-bound to `key` (RFC 9449 §5). */
async function mintDpopToken(tokenEndpoint: string, key: DpopKey): Promise<string> {
  const req = tokenRequest({ url: '', tokenEndpoint, clientId: 'svc', clientSecret: 'svc-secret' })
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { ...req.headers, dpop: createDpopProof({ key, htm: 'POST', htu: tokenEndpoint }) },
    body: req.body,
  })
  const json = (await res.json()) as { access_token?: string; token_type?: string }
  if (!json.access_token || json.token_type !== 'DPoP')
    throw new Error(`no DPoP-bound token from ${tokenEndpoint}: ${JSON.stringify(json)}`)
  return json.access_token
}

/** DPoP proofs signed ahead of a measurement, each taken once (a server accepts a proof's jti once). */
class ProofPool {
  private proofs: string[] = []
  /** Proofs signed on the spot because the pool was empty. */
  live = 0
  constructor(private readonly sign: () => string) {}
  fill(n: number): void {
    this.proofs = []
    for (let i = 0; i < n; i++) this.proofs.push(this.sign())
  }
  readonly take = (): string => {
    const p = this.proofs.pop()
    if (p !== undefined) return p
    this.live++
    return this.sign()
  }
}

/**
 * DPoP (RFC 9449) costs, each beside its bearer twin in the same run: the
 * token endpoint with a proof per request (mock-as, and node-oidc-provider 8
 * with `features.dPoP`), and the resilient RS checking proof, `ath` and
 * `cnf.jkt`. Proofs are signed by the load generator (node:crypto, ES256)
 * before each measurement, for the DPoP and the peer subjects alike. Needs mock-as and mock-rs with
 * DPoP support (issue 23).
 */
const dpop: Benchmark = {
  id: 'dpop',
  group: 'as',
  repeats: 3,
  async run(repeats) {
    const key = generateDpopKey('ES256')
    return await withServers([['mock-as'], ['oidc-provider', { dpop: '1' }]], async ([as, oidc]) => {
      const issuer = as!.info.url
      const token = await mintToken(as!.info.tokenEndpoint!)
      const bound = await mintDpopToken(as!.info.tokenEndpoint!, key)
      return await withServers([['rs-resilient', { issuer }]], async ([rs]) => {
        // Proofs are signed before each measurement (a pool sized from the bearer twin's rate), so
        // the generator's ES256 signing does not take the server's CPU on 2 shared cores; a pool that
        // runs dry signs on the spot (counted, and printed with the figures).
        const proofFor = (htm: string, htu: string, accessToken?: string) => {
          const boundAth = accessToken === undefined ? undefined : ath(accessToken)
          return new ProofPool(() => createDpopProof({ key, htm, htu, ...(boundAth ? { ath: boundAth } : {}) }))
        }
        const asPool = proofFor('POST', as!.info.tokenEndpoint!)
        const oidcPool = proofFor('POST', oidc!.info.tokenEndpoint!)
        const api = rs!.info.apiUrl!
        const rsPool = proofFor('GET', api, bound)
        // the bearer twins go through autocannon's per-request path as the DPoP subjects do (perRequest)
        const asBearer = () => ({ ...tokenRequest(as!.info), connections: 32, warmupS: 0, perRequest: true })
        const asDpop = () => ({ ...asBearer(), proof: asPool.take })
        const oidcDpop = () => ({
          ...tokenRequest(oidc!.info),
          connections: 32,
          warmupS: 0,
          proof: oidcPool.take,
        })
        const rsBearer = () => ({
          url: api,
          headers: { authorization: `Bearer ${token}` },
          connections: 32,
          warmupS: 0,
          perRequest: true,
        })
        const rsDpop = () => ({
          url: api,
          headers: { authorization: `DPoP ${bound}` },
          connections: 32,
          warmupS: 0,
          proof: rsPool.take,
        })
        const subjects = [asBearer, asDpop, oidcDpop, rsBearer, rsDpop]
        // each DPoP subject's pool is filled before its run, sized from its bearer twin's last rate
        const pools = new Map<(typeof subjects)[number], [ProofPool, () => number]>([
          [asDpop, [asPool, () => asLast]],
          [oidcDpop, [oidcPool, () => asLast]],
          [rsDpop, [rsPool, () => rsLast]],
        ])
        let asLast = 20_000
        let rsLast = 20_000
        const measure = async (o: (typeof subjects)[number], durationS: number) => {
          const pool = pools.get(o)
          if (pool) pool[0].fill(Math.ceil(pool[1]() * durationS * 1.3) + 1000)
          const t = await maxThroughput({ ...o(), durationS })
          if (o === asBearer) asLast = t.rate
          if (o === rsBearer) rsLast = t.rate
          return t
        }
        for (const o of subjects) await measure(o, 2)
        const [asB, asD, oidcD, rsB, rsD] = await interleaved(
          repeats,
          subjects.map((o) => () => measure(o, 4)),
        )
        const signedLive = asPool.live + oidcPool.live + rsPool.live
        if (signedLive > 0) console.error(`  dpop: ${signedLive} proofs signed during a measurement (a pool ran dry)`)
        const rate = (xs: Throughput[] | undefined) => xs!.map((x) => x.rate)
        return [
          entry(
            'mock-as client_credentials with DPoP vs without',
            'req/s',
            rate(asD),
            'mock-as, bearer',
            rate(asB),
            '≥ 0.5',
            (_v, r) => (r ?? 0) >= 0.5,
          ),
          entry(
            'mock-as with DPoP vs node-oidc-provider 8 with DPoP',
            'req/s',
            rate(asD),
            'oidc-provider 8.x, features.dPoP',
            rate(oidcD),
            '≥ 2.0',
            (_v, r) => (r ?? 0) >= 2,
          ),
          entry(
            'mock-rs resilient: DPoP proof, ath, cnf.jkt checks vs bearer',
            'req/s',
            rate(rsD),
            'mock-rs resilient, bearer',
            rate(rsB),
            '≥ 0.5',
            (_v, r) => (r ?? 0) >= 0.5,
          ),
        ]
      })
    })
  },
}

/**
 * The embedded engine as a DPoP client: the api-call flow closed-loop (32
 * VUs) against the fixture route, with `dpop: true` (an ES256 proof with
 * `ath` signed per request) beside the same flow with bearer tokens,
 * interleaved. The fixture checks nothing, so the ratio is the client's cost.
 */
const engineDpop: Benchmark = {
  id: 'engine-dpop',
  group: 'engine',
  repeats: 3,
  async run(repeats, { quick }) {
    const fixture = await startFixture()
    try {
      const seconds = quick ? 3 : 5
      const run = (dpop: boolean) => async () => {
        const r = await runEngine(fixture.url, '/hello', 1, seconds, {
          executor: 'constant-vus',
          vus: 32,
          rate: undefined,
          dpop,
        })
        // `p99` carries the CPU µs per request here (the shape `interleaved` collects)
        return { rate: r.rate(1, seconds), p99: r.cpuUsPerRequest, non2xx: 0 }
      }
      const [bearer, dpop] = await interleaved(repeats, [run(false), run(true)])
      return [
        entry(
          'embedded engine api-call with DPoP vs bearer (closed loop, 32 VUs)',
          'req/s',
          dpop!.map((x) => x.rate),
          'embedded engine, bearer',
          bearer!.map((x) => x.rate),
          'informational',
          () => true,
        ),
        entry(
          'embedded engine CPU per api-call request, DPoP vs bearer',
          'µs',
          dpop!.map((x) => x.p99),
          'embedded engine, bearer',
          bearer!.map((x) => x.p99),
          'informational',
          () => true,
        ),
      ]
    } finally {
      await fixture.stop()
    }
  },
}

const cdnHit: Benchmark = {
  id: 'cdn-hit',
  group: 'as',
  repeats: 3,
  async run(repeats) {
    return await withServers([['mock-as']], async ([as]) => {
      const origin = as!.info.url
      return await withServers([['cdn', { origin }]], async ([cdn]) => {
        await fetch(`${cdn!.info.url}/jwks`)
        // One request at a time: each latency is one request's service time, no queueing, no omission.
        const direct: number[] = []
        const viaCdn: number[] = []
        for (let r = 0; r < repeats; r++) {
          const pair =
            r % 2 === 0 ? [`${origin}/jwks`, `${cdn!.info.url}/jwks`] : [`${cdn!.info.url}/jwks`, `${origin}/jwks`]
          for (const url of pair) (url.startsWith(origin) ? direct : viaCdn).push((await sequentialLatency(url, 2)).p99)
        }
        const added = viaCdn.map((x, i) => x - direct[i]!)
        return [
          entry(
            'JWKS CDN added p99 on a cache hit',
            'ms',
            added,
            'origin /jwks direct p99',
            direct,
            '< 1 ms added',
            (v) => v < 1,
            (v) => v,
          ),
        ]
      })
    })
  },
}

/** The engine's max sustained rate found in this run (the memory benchmark runs at it). */
let measuredMaxRate: number | undefined
/** The engine's corrected p99 on the stalling route found in this run by engine-co (peers-latency shows it beside the peers). */
let measuredCorrectedP99: number | undefined

const engineMaxRate: Benchmark = {
  id: 'engine-max-rate',
  group: 'engine',
  repeats: 3,
  async run(repeats) {
    const figures: MaxRateFigures[] = []
    // short steps keep the searches to about 70 s (npm run bench must stay under 15 minutes). The first
    // climbs from 0.8 × autocannon (the target) by 1.1 (0.8, 0.88, 0.97, 1.06, ...) until a step fails, then
    // bisects; starting at 0.5 and climbing by 1.25 spent two steps far below the target and left gaps one
    // bisection could not resolve. The others start just under the first one's ratio to their own
    // autocannon figure (the machine's speed moves between searches) and climb by the same factor. Each
    // search has room to climb past its start: with 3 steps, a first search whose autocannon figure
    // doubled between its two runs (18k before, 38k after) ended with no step failed, and the repeats
    // started from its ratio never reached the ceiling either
    for (let r = 0; r < repeats; r++) {
      const first = figures[0]
      const f = await benchMaxRate(
        first?.ratio
          ? { stepS: 3, maxSteps: 4, autocannonS: 3, startRatio: first.ratio * 0.95, growth: 1.1 }
          : { stepS: 3, maxSteps: 6, autocannonS: 3, startRatio: 0.8, growth: 1.1 },
      )
      figures.push(f)
      // each search on its own line: a median hides which minute failed and how (dropped arrivals, a late step)
      const steps = f.steps
        .map((x) => `${x.target}→${x.achieved}${x.dropped ? ` (${x.dropped} dropped)` : ''}`)
        .join(', ')
      process.stderr.write(
        `  search ${r + 1}: ${f.engineMaxRate} req/s vs autocannon ${f.autocannonBefore}/${f.autocannonAfter} (ratio ${f.ratio.toFixed(2)}${f.bracketed ? '' : ', no step failed: a lower bound'}); steps target→achieved, drops of the unmeasured first second included: ${steps}\n`,
      )
    }
    measuredMaxRate = median(figures.map((f) => f.engineMaxRate)) || undefined
    // each search has its own autocannon figure (runs just before and after it): the ratio is the median of
    // the searches' ratios, so a machine that is busier in one minute than in the next cancels out
    const pairedRatio = median(figures.map((f) => f.ratio))
    return [
      entry(
        'embedded engine max sustained rate (≥ 99% achieved) vs autocannon max (ratio = median of per-search ratios)',
        'req/s',
        figures.map((f) => f.engineMaxRate),
        'autocannon (closed loop, before and after each search)',
        figures.map((f) => f.autocannonRps),
        '≥ 0.80',
        (_v, r) => (r ?? 0) >= 0.8,
        () => pairedRatio,
      ),
    ]
  },
}

const engineAccuracy: Benchmark = {
  id: 'engine-accuracy',
  group: 'engine',
  repeats: 3,
  async run(repeats) {
    const figures = []
    for (let r = 0; r < repeats; r++) figures.push(await benchAccuracy())
    return [
      entry(
        'embedded engine p50 on a fixed 20 ms route at 500 req/s',
        'ms',
        figures.map((f) => f.p50),
        null,
        null,
        '20 ± 2 ms',
        (v) => Math.abs(v - 20) <= 2,
      ),
      entry(
        'embedded engine p99 on a fixed 20 ms route at 500 req/s',
        'ms',
        figures.map((f) => f.p99),
        null,
        null,
        '≤ 25 ms',
        (v) => v <= 25,
      ),
    ]
  },
}

const engineCo: Benchmark = {
  id: 'engine-co',
  group: 'engine',
  repeats: 3,
  async run(repeats) {
    const figures = []
    // autocannon's figure is informational (it cannot see the stall): measured in the first repeat only, to keep the bench under 15 minutes
    for (let r = 0; r < repeats; r++) figures.push(await benchCoordinatedOmission({ peer: r === 0 }))
    measuredCorrectedP99 = median(figures.map((f) => f.correctedP99))
    return [
      entry(
        'corrected p99 with one 1 s stall in 10 s at 200 req/s',
        'ms',
        figures.map((f) => f.correctedP99),
        'uncorrected p99 (same run)',
        figures.map((f) => f.uncorrectedP99),
        '≥ 400 ms',
        (v) => v >= 400,
      ),
      entry(
        'autocannon p99 on the same stalling route (first repeat only)',
        'ms',
        figures.flatMap((f) => (f.autocannonP99 === undefined ? [] : [f.autocannonP99])),
        null,
        null,
        'informational (misses the stall)',
        () => true,
      ),
    ]
  },
}

const engineMemory: Benchmark = {
  id: 'engine-memory',
  group: 'engine',
  repeats: 1,
  async run() {
    // "at the max rate": the one the max-rate benchmark found in this run (2000/s when it did not run)
    const f = await benchMemory(measuredMaxRate ? { rate: measuredMaxRate } : {})
    return [
      entry(
        `engine RSS after ${Math.round(f.requests / Math.max(1, f.rate))} s at ${f.rate} req/s vs after 5 s`,
        'MB',
        [f.rssAtEndMb],
        'RSS after 5 s',
        [f.rssAt5sMb],
        '≤ 2.0',
        (_v, r) => (r ?? 3) <= 2,
      ),
    ]
  },
}

/**
 * Spawn the CLI on a scenario folder (the clone's dist/cli.js, or `cli` such
 * as an installed package's bin); resolve with wall time, the run.json t0 of
 * the first run, and the CLI's peak RSS.
 */
async function runCli(
  paths: string[],
  out: string,
  cli = join(ROOT, 'dist/cli.js'),
  /** Called with each run folder the CLI prints (one per game day, as each ends). */
  onRun?: (dir: string) => void,
): Promise<{ wallMs: number; spawnedAt: number; firstT0: number; peakRssMb: number; code: number | null }> {
  const spawnedAt = Date.now()
  const child = spawn(process.execPath, [cli, 'run', ...paths, '--out', out, '--quiet'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  })
  let peakKb = 0
  const sampler = setInterval(async () => {
    try {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
      peakKb = Math.max(peakKb, kb)
    } catch {
      // the process is gone
    }
  }, 250)
  let stdout = ''
  let seen = 0
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    const lines = stdout.split('\n').slice(0, -1)
    for (; seen < lines.length; seen++) if (lines[seen]!.trim()) onRun?.(lines[seen]!.trim())
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearInterval(sampler)
  const wallMs = Date.now() - spawnedAt
  const firstDir = stdout.trim().split('\n')[0]
  let firstT0 = Number.NaN
  if (firstDir) {
    const json = JSON.parse(await readFile(join(firstDir, 'run.json'), 'utf8')) as { record: { t0: number } }
    firstT0 = json.record.t0
  }
  return { wallMs, spawnedAt, firstT0, peakRssMb: peakKb / 1024, code }
}

/** `npm pack` of this tree installed into a fresh project, as a user gets it; resolves with the project folder. */
async function installedPackage(): Promise<string> {
  const project = await mkdtemp(join(tmpdir(), 'bench-installed-'))
  const sh = (cmd: string, args: string[], cwd: string) => {
    // a user's shell: none of the npm_* variables `npm run bench` sets (they point at this clone), but npm's cache and settings
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) =>
          !k.startsWith('npm_') || ['npm_config_cache', 'npm_config_userconfig', 'npm_config_cafile'].includes(k),
      ),
    )
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, env })
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
    return r.stdout
  }
  const tgz = sh('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], ROOT)
    .trim()
    .split('\n')
    .pop()!
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'bench-consumer', private: true, type: 'module' }),
  )
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(project, tgz)], project)
  return project
}

/** Bytes under `dir` (files, not blocks), skipping folders named in `skip`. */
function sizeOf(dir: string, skip: readonly string[] = []): number {
  let bytes = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!skip.includes(e.name)) bytes += sizeOf(join(dir, e.name), skip)
    } else bytes += statSync(join(dir, e.name)).size
  }
  return bytes
}

/** Wall time of one command to its exit. */
function wallMs(cmd: string, args: string[], cwd: string): number {
  const start = performance.now()
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`)
  return performance.now() - start
}

const harnessOverhead: Benchmark = {
  id: 'harness-overhead',
  group: 'harness',
  repeats: 5,
  async run(repeats) {
    const project = await installedPackage()
    const dir = await mkdtemp(join(tmpdir(), 'bench-overhead-'))
    try {
      const pkg = join(project, 'node_modules', 'oauth-gameday')
      const cli = join(pkg, 'dist', 'cli.js')
      await writeFile(
        join(dir, 'overhead.yaml'),
        `id: overhead
title: time to first request
stack:
  authorizationServer: {}
  resourceServers: [{ name: orders, profile: resilient }]
load:
  duration: 2s
  warmup: 0s
  gracefulStop: 1s
  flows: [{ flow: client-credentials, executor: constant-arrival-rate, rate: 5 }]
`,
      )
      const help: number[] = []
      const bareNode: number[] = []
      const times: number[] = []
      // one unmeasured run of each first: the page cache is cold after the install
      wallMs(process.execPath, [cli, '--help'], project)
      await runCli([join(dir, 'overhead.yaml')], join(dir, 'reports'), cli)
      for (let r = 0; r < repeats; r++) {
        // interleaved with its peer, an empty Node process: what --help costs above Node's own start
        if (r % 2 === 0) {
          help.push(wallMs(process.execPath, [cli, '--help'], project))
          bareNode.push(wallMs(process.execPath, ['-e', '0'], project))
        } else {
          bareNode.push(wallMs(process.execPath, ['-e', '0'], project))
          help.push(wallMs(process.execPath, [cli, '--help'], project))
        }
        const res = await runCli([join(dir, 'overhead.yaml')], join(dir, 'reports'), cli)
        times.push(res.firstT0 - res.spawnedAt)
      }
      const own = sizeOf(pkg, ['node_modules']) / 1e6
      const withDeps = sizeOf(join(project, 'node_modules')) / 1e6
      return [
        entry(
          'time from `oauth-gameday run` to the first request (installed tarball, process runtime)',
          'ms',
          times,
          null,
          null,
          '< 2000 ms',
          (v) => v < 2000,
        ),
        entry(
          '`oauth-gameday --help` wall time (installed tarball)',
          'ms',
          help,
          'node -e 0 (same run)',
          bareNode,
          'informational',
          () => true,
        ),
        entry(
          'installed size of the package itself (node_modules/oauth-gameday, its own files)',
          'MB',
          [own],
          'with its production dependencies',
          [withDeps],
          'informational',
          () => true,
        ),
      ]
    } finally {
      await rm(dir, { recursive: true, force: true })
      await rm(project, { recursive: true, force: true })
    }
  },
}

const defaultSuite: Benchmark = {
  id: 'default-suite',
  group: 'suite',
  optIn: '--suite',
  repeats: 1,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'bench-suite-'))
    try {
      // a line per game day as it ends: the suite runs for about 11 minutes
      const total = readdirSync(join(ROOT, 'scenarios')).filter((f) => /\.ya?ml$/.test(f)).length
      const t0 = Date.now()
      let done = 0
      const res = await runCli(['scenarios/'], dir, undefined, (run) =>
        process.stderr.write(
          `  suite: ${++done}/${total} game days done after ${Math.round((Date.now() - t0) / 1000)} s (${basename(run)})\n`,
        ),
      )
      return [
        entry(
          'default game-day suite wall clock (process runtime, one run)',
          's',
          [res.wallMs / 1000],
          null,
          null,
          '< 600 s',
          (v) => v < 600,
        ),
        entry(
          'harness peak RSS during the default suite (CLI process)',
          'MB',
          [res.peakRssMb],
          null,
          null,
          'informational',
          () => true,
        ),
      ]
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
}

/** A row for a peer that is not installed here: shown as skipped, never as a pass or a failure. */
function skipped(name: string, unit: string, peer: string, target: string, why: string): Entry {
  return {
    name,
    unit,
    value: Number.NaN,
    spread: 0,
    peer,
    peerValue: null,
    ratio: null,
    target,
    pass: true,
    skipped: why,
  }
}

const peers: Benchmark = {
  id: 'peers',
  group: 'peers',
  repeats: 3,
  async run(repeats, { quick }) {
    const f = await benchPeers({ repeats, seconds: quick ? 2 : 4, openModel: true })
    const engine = f.samples.engine
    if (!engine) throw new Error(`the engine cannot run: ${f.missing.engine}`)
    const c = f.connections
    const rps = (xs: PeerSample[]) => xs.map((x) => x.rps)
    const cpu = (xs: PeerSample[]) => xs.map((x) => x.cpuUsPerRequest)
    const out: Entry[] = []
    // ratios are the medians of the per-repeat ratios: the engine and the peer ran back to back in the same repeat
    const paired = (peer: PeerSample[], of: (x: PeerSample) => number) =>
      median(peer.map((p, i) => of(engine[i]!) / of(p)))
    const vs = (id: 'wrk' | 'autocannon' | 'artillery', rateTarget: number, cpuTarget: number | null) => {
      const label = f.labels[id]!
      const xs = f.samples[id]
      const once = id === 'artillery' ? ' (first repeat only)' : ''
      const rateName = `closed-loop max rate on /hello at ${c} connections: engine constant-vus vs ${label}${once}`
      const cpuName = `CPU per request at that max (marginal, process tree): engine vs ${label}${once}`
      if (!xs) {
        out.push(skipped(rateName, 'req/s', label, `≥ ${rateTarget}`, f.missing[id] ?? 'did not run'))
        out.push(
          skipped(
            cpuName,
            'µs',
            label,
            cpuTarget === null ? 'informational' : `ratio ≤ ${cpuTarget}`,
            f.missing[id] ?? 'did not run',
          ),
        )
        return
      }
      const rr = paired(xs, (x) => x.rps)
      const cr = paired(xs, (x) => x.cpuUsPerRequest)
      out.push(
        entry(
          rateName,
          'req/s',
          rps(engine),
          label,
          rps(xs),
          `≥ ${rateTarget}`,
          () => rr >= rateTarget,
          () => rr,
        ),
      )
      out.push(
        entry(
          cpuName,
          'µs',
          cpu(engine),
          label,
          cpu(xs),
          cpuTarget === null ? 'informational' : `ratio ≤ ${cpuTarget}`,
          () => cpuTarget === null || cr <= cpuTarget,
          () => cr,
        ),
      )
    }
    vs('wrk', 0.9, 2)
    vs('autocannon', 1, 1)
    vs('artillery', 10, null) // first repeat only: see benchPeers
    // the open model's max sustained rate, searched right after each closed-loop sample of the engine (same server,
    // same minute), as the median of the per-repeat ratios
    const openRatio = median(f.open.map((o) => o.open / o.closed))
    out.push(
      entry(
        `engine open-model max sustained rate (≥ 99% of the arrivals, searched down from each closed-loop sample) vs its closed-loop max`,
        'req/s',
        f.open.map((o) => o.open),
        'engine constant-vus closed-loop max (same repeat)',
        f.open.map((o) => o.closed),
        '≥ 0.90',
        () => openRatio >= 0.9,
        () => openRatio,
      ),
    )
    return out
  },
}

/** Rounds of the stack start-up curve (each size once a round, the order reversed every other round). */
const STACK_ROUNDS = 3

/** How far the start-up slope may sit above the boots' CPU spread over the cores (1 = as fast as the CPU allows). */
export const STARTUP_SLOPE_LIMIT = 1.2

/**
 * The stack start-up curve's slope (ms of wall time per added RS, first size
 * to last) beside its floor: the CPU each added RS costs (its boot, and the
 * harness's work to start and check it) spread over the cores. A harness that
 * started RSs one at a time, or waited between them, shows a ratio well above
 * 1 (a lone boot takes 340 ms of wall time for 510 ms of CPU on 2 cores: 1.33).
 */
export function startupSlope(
  points: ReadonlyArray<Pick<StackSizeFigures, 'rs' | 'startMs' | 'childrenCpuMs' | 'harnessCpuMs'>>,
  cores: number,
): { msPerRs: number; cpuMsPerRs: number; floorMsPerRs: number; ratio: number } {
  const a = points[0]!
  const b = points.at(-1)!
  const added = b.rs - a.rs
  const msPerRs = (b.startMs - a.startMs) / added
  const cpuMsPerRs = (b.childrenCpuMs + b.harnessCpuMs - a.childrenCpuMs - a.harnessCpuMs) / added
  const floorMsPerRs = cpuMsPerRs / cores
  return { msPerRs, cpuMsPerRs, floorMsPerRs, ratio: floorMsPerRs > 0 ? msPerRs / floorMsPerRs : Number.NaN }
}

/**
 * Run a curve's child entry (`node [--expose-gc] --import tsx <script> <size>`) and parse its JSON line.
 * Killed after `timeoutMs` (every child is bounded; this is the backstop). With `progress`, the child's
 * stderr is shown as it comes (a long child's progress lines) instead of kept for the error message.
 */
function curveChild<T>(
  script: string,
  size: number,
  nodeArgs: string[] = [],
  opts: { timeoutMs?: number; progress?: boolean } = {},
): T {
  const timeoutMs = opts.timeoutMs ?? 600_000
  const r = spawnSync(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), String(size)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', opts.progress ? 'inherit' : 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  )
  if (r.status !== 0)
    throw new Error(
      `${script} ${size} ${r.status === null ? `was stopped (${r.signal ?? 'no signal'}${r.error ? `: ${r.error.message}` : ''}; backstop ${timeoutMs / 1000} s)` : `exited ${r.status}`}: ${(r.stderr ?? '').trim().slice(-600)}`,
    )
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T
}

const short = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n))

/**
 * A curve as one row: the figure at the largest size beside the figure at the smallest, the ratio is the
 * growth, the points in the name and in `curve` (docs/bench.md plots them).
 */
function curveEntry(
  what: string,
  x: string,
  unit: string,
  points: Array<[number, number]>,
  target: string,
  pass: (growth: number) => boolean,
  growthOf?: (first: number, last: number) => number,
): Entry {
  const [firstX, first] = points[0]!
  const [, last] = points.at(-1)!
  const growth = growthOf ? growthOf(first, last) : last / first
  const pts = points.map(([px, py]) => `${short(px)}: ${py >= 100 ? Math.round(py) : py.toFixed(1)}`).join(', ')
  return {
    ...entry(
      `${what} against ${x} (${pts} ${unit})`,
      unit,
      [last],
      `at ${short(firstX)} ${x}`,
      [first],
      target,
      () => pass(growth),
      () => growth,
    ),
    curve: { x, y: unit, points },
  }
}

const peersLatency: Benchmark = {
  id: 'peers-latency',
  group: 'peers',
  repeats: 1,
  async run(_repeats, { quick }) {
    const corrected = measuredCorrectedP99 ?? (await benchCoordinatedOmission({ peer: false })).correctedP99
    const f = await benchPeersStall(quick ? { warmS: 1, durationS: 7 } : {})
    const how: Record<string, string> = {
      wrk: 'paced by a Lua delay()',
      autocannon: 'paced by --overallRate',
      artillery: 'arrivals (open model)',
    }
    const out: Entry[] = []
    for (const id of ['wrk', 'autocannon', 'artillery'] as const) {
      const label = f.labels[id]
      if (!label) continue
      const r = f.runs[id]
      const name = `p99 on the stalling route (one 1 s stall, ${f.rate} req/s aimed): ${label} ${how[id]}${r ? `, ${Math.round(r.rps)} req/s achieved` : ''}`
      if (!r) out.push(skipped(name, 'ms', 'engine corrected p99', 'informational', f.missing[id] ?? 'did not run'))
      else
        out.push(
          entry(
            name,
            'ms',
            [r.p99Ms],
            `engine corrected p99 (open model, ${measuredCorrectedP99 === undefined ? 'same bench' : 'engine-co median'})`,
            [corrected],
            'informational (≥ 400 ms sees the stall)',
            () => true,
          ),
        )
    }
    return out
  },
}

const curves: Benchmark = {
  id: 'curves',
  group: 'curves',
  repeats: 1,
  async run(_repeats, { quick }) {
    const log = (l: string) => process.stderr.write(`  curves: ${l}\n`)
    const out: Entry[] = []
    // engine CPU per request against the arrival rate (open model)
    const rates = quick ? [1000, 5000] : [1000, 5000, 20_000]
    const cpu = await engineCpuCurve(rates, quick ? 3 : 4)
    for (const p of cpu) log(`engine at ${p.rate} req/s: achieved ${p.achieved}, ${p.cpuUsPerRequest} µs CPU/request`)
    out.push(
      curveEntry(
        'engine CPU per request',
        'req/s',
        'µs',
        cpu.map((p) => [p.rate, p.cpuUsPerRequest]),
        'growth ≤ 1.10 (flat or falling)',
        (g) => g <= 1.1,
      ),
    )
    // stack start-up and memory against the number of reference RSs, one fresh harness process per size;
    // the sizes are interleaved over rounds and each point is the median of its rounds, so a minute of load
    // on a shared box lands on every size instead of on the one that ran then
    const sizes = quick ? [1, 2] : [1, 4, 16]
    const rounds = quick ? 1 : STACK_ROUNDS
    const runs: StackSizeFigures[][] = sizes.map(() => [])
    for (let r = 0; r < rounds; r++)
      for (let k = 0; k < sizes.length; k++) {
        const i = r % 2 ? sizes.length - 1 - k : k
        const f = curveChild<StackSizeFigures>('./curves/stack-size.ts', sizes[i]!)
        runs[i]!.push(f)
        log(
          `round ${r + 1}/${rounds}, ${f.rs} RS: healthy in ${f.startMs} ms, harness RSS ${f.harnessRssMb} MB, components ${f.childrenRssMb} MB`,
        )
      }
    const stacks: StackSizeFigures[] = runs.map((rs, i) => ({
      rs: sizes[i]!,
      startMs: median(rs.map((f) => f.startMs)),
      harnessRssMb: median(rs.map((f) => f.harnessRssMb)),
      childrenRssMb: median(rs.map((f) => f.childrenRssMb)),
      childrenCpuMs: median(rs.map((f) => f.childrenCpuMs)),
      harnessCpuMs: median(rs.map((f) => f.harnessCpuMs)),
    }))
    // every RS is a Node process whose boot costs CPU: the slope can be no lower than that CPU spread over the cores,
    // and the target is that the harness adds no wait or serialisation on top of it
    const slope = startupSlope(stacks, cpus().length)
    log(
      `start-up slope ${slope.msPerRs.toFixed(0)} ms per added RS; boot CPU ${slope.cpuMsPerRs.toFixed(0)} ms per RS over ${cpus().length} cores = ${slope.floorMsPerRs.toFixed(0)} ms`,
    )
    out.push(
      curveEntry(
        `stack start-up time (process runtime, mock-as + N resilient RSs; ${slope.msPerRs.toFixed(0)} ms per added RS, boot CPU ${slope.cpuMsPerRs.toFixed(0)} ms per RS)`,
        'RSs',
        'ms',
        stacks.map((f) => [f.rs, f.startMs]),
        `slope ≤ ${STARTUP_SLOPE_LIMIT} × boot CPU per RS ÷ cores (ratio = slope ÷ that floor)`,
        () => slope.ratio <= STARTUP_SLOPE_LIMIT,
        () => slope.ratio,
      ),
    )
    out.push(
      curveEntry(
        'harness RSS with the stack up',
        'RSs',
        'MB',
        stacks.map((f) => [f.rs, f.harnessRssMb]),
        'growth ≤ 1.25',
        (g) => g <= 1.25,
      ),
    )
    out.push(
      curveEntry(
        'component RSS per RS (mock-as included)',
        'RSs',
        'MB',
        stacks.map((f) => [f.rs, f.childrenRssMb / f.rs]),
        'informational',
        () => true,
      ),
    )
    // mock-as memory per outstanding refresh family, and what the expiry sweep returns
    const counts = quick ? [10_000, 100_000] : [100_000, 1_000_000]
    const fams = counts.map((n) =>
      curveChild<FamilyFigures>('./curves/refresh-families.ts', n, ['--expose-gc', '--max-old-space-size=6144']),
    )
    for (const f of fams)
      log(
        `${f.families} refresh families: ${f.bytesPerFamily} B heap/family (${f.rssBytesPerFamily} B RSS), ${(f.heapReturned * 100).toFixed(1)}% of the heap returned by the sweep + GC, RSS ${f.rssMb} → ${f.rssAfterMb} MB`,
      )
    out.push(
      curveEntry(
        'mock-as heap per outstanding refresh family',
        'families',
        'B',
        fams.map((f) => [f.families, f.bytesPerFamily]),
        'growth ≤ 1.10 (linear memory)',
        (g) => g <= 1.1,
      ),
    )
    const last = fams.at(-1)!
    out.push(
      entry(
        `heap returned by the expiry sweep + forced GC at ${short(last.families)} families (RSS ${last.rssMb} → ${last.rssAfterMb} MB)`,
        'share',
        [last.heapReturned],
        null,
        null,
        '≥ 0.90',
        (v) => v >= 0.9,
      ),
    )
    // run record and report size per minute of run; the HTML report's time to charts in Chromium
    const minutes = quick ? [1, 2] : [1, 5, 10]
    const sizes2: Awaited<ReturnType<typeof recordSize>>[] = []
    for (const m of minutes) sizes2.push(await recordSize(m))
    out.push(
      curveEntry(
        'run record size per minute of run (synthesized game day)',
        'minutes',
        'B/min',
        sizes2.map((p) => [p.minutes, p.recordBytesPerMinute]),
        'growth ≤ 1.10 (linear in run length)',
        (g) => g <= 1.1,
      ),
    )
    out.push(
      curveEntry(
        'report files size per minute of run (html, json, markdown, junit)',
        'minutes',
        'B/min',
        sizes2.map((p) => [p.minutes, p.reportBytesPerMinute]),
        'growth ≤ 1.10 (linear in run length)',
        (g) => g <= 1.1,
      ),
    )
    const longest = minutes.at(-1)!
    const chartsMs = await htmlTimeToCharts(longest, quick ? 1 : 3)
    const chartsName = `HTML report of a synthesized ${longest}-minute record: time to every chart drawn in headless Chromium`
    out.push(
      chartsMs === null
        ? skipped(
            chartsName,
            'ms',
            '—',
            '< 2000 ms',
            `Chromium not found at ${CHROMIUM}: set CHROMIUM_PATH or apt-get install chromium`,
          )
        : entry(chartsName, 'ms', [chartsMs], null, null, '< 2000 ms', (v) => v < 2000),
    )
    return out
  },
}

/** Growth allowed after the soak's warm-up (last fifth over first fifth of what follows it). */
const SOAK_GROWTH = 1.1

const soakBench: Benchmark = {
  id: 'soak',
  group: 'soak',
  optIn: '--soak',
  repeats: 1,
  async run(_repeats, { soakMinutes }) {
    const minutes = soakMinutes ?? 10
    // the soak runs for `minutes` after its stack starts: the backstop leaves it three minutes more
    const f = curveChild<SoakFigures>('./curves/soak.ts', minutes, [], {
      timeoutMs: (minutes * 60 + 180) * 1000,
      progress: true,
    })
    const log = (l: string) => process.stderr.write(`  soak: ${l}\n`)
    log(
      `${minutes} min at ${SOAK_RATE} tokens/s: ${Math.round(f.achievedRate)} tokens/s answered, ${(f.failedShare * 100).toFixed(2)}% failed; after ${Math.round(f.warmupS)} s of warm-up: harness RSS ×${f.harnessRssGrowth.toFixed(3)} (${f.harnessRssSlopeMbPerMin.toFixed(2)} MB/min), mock-as RSS ×${f.asRssGrowth.toFixed(3)} (${f.asRssSlopeMbPerMin.toFixed(2)} MB/min), record bytes/s ×${f.recordBytesGrowth.toFixed(3)}`,
    )
    const after = f.samples.filter((s) => s.t >= f.warmupS)
    const flat = `growth ≤ ${SOAK_GROWTH} after warm-up (last fifth / first fifth)`
    const row = (what: string, unit: string, pick: (s: SoakFigures['samples'][number]) => number, growth: number) => {
      const fifth = Math.max(1, Math.floor(after.length / 5))
      const first = after.slice(0, fifth).map(pick)
      const last = after.slice(-fifth).map(pick)
      return {
        ...entry(
          `soak, ${minutes} min at ${SOAK_RATE} tokens/s: ${what} at the end vs just after warm-up`,
          unit,
          last,
          'just after warm-up',
          first,
          flat,
          () => growth <= SOAK_GROWTH,
        ),
        ratio: growth,
      }
    }
    return [
      entry(
        `soak, ${minutes} min: client_credentials tokens answered per second (aimed at ${SOAK_RATE})`,
        'tokens/s',
        [f.achievedRate],
        null,
        null,
        `≥ ${SOAK_RATE * 0.99} (99%)`,
        (v) => v >= SOAK_RATE * 0.99,
      ),
      row(
        `harness RSS (${f.harnessRssSlopeMbPerMin.toFixed(2)} MB/min)`,
        'MB',
        (s) => s.harnessRssMb,
        f.harnessRssGrowth,
      ),
      row(`mock-as RSS (${f.asRssSlopeMbPerMin.toFixed(2)} MB/min)`, 'MB', (s) => s.asRssMb, f.asRssGrowth),
      row('run record bytes per second', 'B/s', (s) => s.recordBytes, f.recordBytesGrowth),
    ]
  },
}

export const benchmarks: Benchmark[] = [
  tokenEndpoint,
  rsValidation,
  dpop,
  cdnHit,
  engineMaxRate,
  engineAccuracy,
  engineCo,
  engineMemory,
  engineDpop,
  peers,
  peersLatency,
  curves,
  harnessOverhead,
  defaultSuite,
  soakBench,
]
