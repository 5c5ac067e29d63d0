/**
 * The load generators users would pick instead of the embedded engine, each
 * run the same way: a child process under the CPU wrapper (bench/lib/
 * cpu-wrap.mjs), closed loop, `connections` at a time, for `seconds`, against
 * one URL on loopback. Each returns requests, rate, p99 and CPU; a generator
 * that is not installed says so in `missing()` and its entry is skipped.
 *
 * Artillery is never a project dependency (2.0.21 is the last release that
 * runs on Node 20, and it brings 591 MB of node_modules): `npm run bench --
 * --install-peers` puts it in bench/.peers/artillery (gitignored).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runMeasured } from '../lib/measured.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where `--install-peers` puts the generators that must stay out of the dependency tree. */
export const PEERS_DIR = join(ROOT, 'bench/.peers')
export const ARTILLERY_VERSION = '2.0.21'
const ARTILLERY_DIR = join(PEERS_DIR, 'artillery')
const ARTILLERY_BIN = join(ARTILLERY_DIR, 'node_modules/artillery/bin/run')
/** wrk's path, read at each call so a test can point it elsewhere. */
const wrkBin = () => process.env.BENCH_WRK ?? '/usr/bin/wrk'

export interface GeneratorRun {
  /** Requests answered with a 2xx over the run. */
  requests: number
  durationS: number
  /** Requests per second over the run, as the generator reports it. */
  rps: number
  p99Ms: number
  /** Socket errors, timeouts and non-2xx answers. */
  errors: number
  /** CPU of the generator's process tree (children included), ms. */
  cpuMs: number
  wallMs: number
}

export interface RunOptions {
  connections: number
  seconds: number
}

export interface LoadGenerator {
  id: 'engine' | 'wrk' | 'autocannon' | 'artillery'
  /** Name and version as shown in the bench table. */
  label: string
  /** `null` when it can run here; otherwise what is missing and how to get it. */
  missing(): string | null
  run(url: string, opts: RunOptions): Promise<GeneratorRun>
  /**
   * Aim at `rate` requests per second for `seconds` in the tool's own way of pacing (wrk: a Lua `delay()` per
   * connection; autocannon: `--overallRate`; Artillery: arrivals, an open model). Absent for the engine, whose
   * open model the coordinated-omission bench measures.
   */
  paced?(url: string, opts: { rate: number; seconds: number; connections: number }): Promise<GeneratorRun>
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function wrkTime(v: string, unit: string): number {
  const f = UNIT_MS[unit]
  if (f === undefined) throw new Error(`wrk output: unknown time unit ${JSON.stringify(unit)}`)
  return Number(v) * f
}

/** Figures from wrk 4.x's text output (run with `--latency`). */
export function parseWrk(out: string): Omit<GeneratorRun, 'cpuMs' | 'wallMs'> {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h),/.exec(out)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const p99 = /^\s*99(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(out)
  if (!total || !rps || !p99)
    throw new Error(`wrk output not understood (no requests, Requests/sec or 99% line): ${out.slice(0, 400)}`)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = non2xx + (sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0)
  return {
    requests: Number(total[1]) - non2xx,
    durationS: wrkTime(total[2]!, total[3]!) / 1000,
    rps: Number(rps[1]),
    p99Ms: wrkTime(p99[1]!, p99[2]!),
    errors,
  }
}

/** Figures from `autocannon --json`. */
export function parseAutocannon(out: string): Omit<GeneratorRun, 'cpuMs' | 'wallMs'> {
  const line = out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop()
  if (!line) throw new Error(`autocannon output not understood (no JSON line): ${out.slice(0, 400)}`)
  const j = JSON.parse(line) as {
    requests: { total: number; average: number }
    latency: { p99: number }
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
  }
  return {
    requests: j['2xx'],
    durationS: j.duration,
    rps: j['2xx'] / j.duration,
    p99Ms: j.latency.p99,
    errors: j.errors + j.timeouts + j.non2xx,
  }
}

/** Figures from Artillery 2's `--output` JSON report; `seconds` is the length of the loop the VUs ran. */
export function parseArtillery(report: string, seconds: number): Omit<GeneratorRun, 'cpuMs' | 'wallMs'> {
  const j = JSON.parse(report) as {
    aggregate?: { counters?: Record<string, number>; summaries?: Record<string, { p99?: number }> }
  }
  const c = j.aggregate?.counters
  const p99 = j.aggregate?.summaries?.['http.response_time']?.p99
  if (!c || c['http.requests'] === undefined || p99 === undefined)
    throw new Error('artillery report not understood (no aggregate http.requests or http.response_time)')
  const ok = Object.entries(c)
    .filter(([k]) => /^http\.codes\.2\d\d$/.test(k))
    .reduce((s, [, v]) => s + v, 0)
  const errors =
    (c['http.requests'] ?? 0) -
    ok +
    Object.entries(c)
      .filter(([k]) => k.startsWith('errors.'))
      .reduce((s, [, v]) => s + v, 0)
  return { requests: ok, durationS: seconds, rps: ok / seconds, p99Ms: p99, errors }
}

function failed(what: string, r: { code: number | null; stderr: string; stdout: string }): Error {
  return new Error(`${what} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-600)}`)
}

const require = createRequire(import.meta.url)

/**
 * Run one of the engine's bench entries (bench/load/engine-closed-loop.ts,
 * engine-open-loop.ts: `<url> <n> <seconds>`) as a child process under the
 * CPU wrapper, bounded by its seconds plus a minute; resolves with its JSON
 * line and the CPU and wall time of the run.
 */
export async function runEngineEntry<T>(
  script: 'engine-closed-loop.ts' | 'engine-open-loop.ts',
  url: string,
  n: number,
  seconds: number,
): Promise<{ json: T; cpuMs: number; wallMs: number }> {
  const r = await runMeasured(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(`./${script}`, import.meta.url)), url, String(n), String(seconds)],
    { cwd: ROOT, env: { LOG_LEVEL: 'warn' }, timeoutMs: (seconds + 60) * 1000 },
  )
  if (r.code !== 0) throw failed(script, r)
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!) as T, cpuMs: r.cpuMs, wallMs: r.wallMs }
}

const engine: LoadGenerator = {
  id: 'engine',
  label: 'embedded engine constant-vus',
  missing: () =>
    existsSync(join(ROOT, 'dist/load-worker.js')) ? null : 'dist/load-worker.js is not built: run `npm run build`',
  async run(url, { connections, seconds }) {
    const {
      json: j,
      cpuMs,
      wallMs,
    } = await runEngineEntry<{
      requests: number
      failed: number
      durationS: number
      p99Ms: number
    }>('engine-closed-loop.ts', url, connections, seconds)
    return {
      requests: j.requests,
      durationS: j.durationS,
      rps: j.requests / j.durationS,
      p99Ms: j.p99Ms,
      errors: j.failed,
      cpuMs,
      wallMs,
    }
  },
}

const wrk: LoadGenerator = {
  id: 'wrk',
  label: 'wrk 4.1',
  missing: () =>
    existsSync(wrkBin())
      ? null
      : `${wrkBin()} not found: install wrk (Debian: apt-get install wrk), or set BENCH_WRK to its path`,
  async run(url, { connections, seconds }) {
    // two threads for the closed loop (one per core), one for the paced run (200 req/s)
    const r = await runMeasured(wrkBin(), ['-t2', `-c${Math.max(2, connections)}`, `-d${seconds}s`, '--latency', url], {
      timeoutMs: (seconds + 30) * 1000,
    })
    if (r.code !== 0) throw failed('wrk', r)
    return { ...parseWrk(r.stdout), cpuMs: r.cpuMs, wallMs: r.wallMs }
  },
  async paced(url, { rate, seconds, connections }) {
    // wrk has no rate flag: each connection waits connections/rate before each request (its latency adds to that)
    const dir = await mkdtemp(join(tmpdir(), 'bench-wrk-'))
    try {
      await writeFile(
        join(dir, 'pace.lua'),
        `function delay()\n  return ${Math.round((connections / rate) * 1000)}\nend\n`,
      )
      const r = await runMeasured(
        wrkBin(),
        ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', join(dir, 'pace.lua'), url],
        { timeoutMs: (seconds + 30) * 1000 },
      )
      if (r.code !== 0) throw failed('wrk', r)
      return { ...parseWrk(r.stdout), cpuMs: r.cpuMs, wallMs: r.wallMs }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
}

const autocannon: LoadGenerator = {
  id: 'autocannon',
  label: `autocannon ${(require('autocannon/package.json') as { version: string }).version}`,
  missing: () => null,
  async run(url, { connections, seconds }) {
    const bin = require.resolve('autocannon/autocannon.js')
    const r = await runMeasured(process.execPath, [bin, '-c', String(connections), '-d', String(seconds), '-j', url], {
      timeoutMs: (seconds + 30) * 1000,
    })
    if (r.code !== 0) throw failed('autocannon', r)
    return { ...parseAutocannon(r.stdout), cpuMs: r.cpuMs, wallMs: r.wallMs }
  },
  async paced(url, { rate, seconds, connections }) {
    const bin = require.resolve('autocannon/autocannon.js')
    const r = await runMeasured(
      process.execPath,
      [bin, '-c', String(connections), '-d', String(seconds), '-R', String(rate), '-j', url],
      { timeoutMs: (seconds + 30) * 1000 },
    )
    if (r.code !== 0) throw failed('autocannon', r)
    return { ...parseAutocannon(r.stdout), cpuMs: r.cpuMs, wallMs: r.wallMs }
  },
}

/** The VUs arrive over the first second, then each loops until `seconds` after the first request. */
function artilleryScript(url: URL, connections: number): string {
  return `config:
  target: "${url.origin}"
  phases:
    - duration: 1
      arrivalCount: ${connections}
  processor: "./loop.cjs"
scenarios:
  - flow:
      - loop:
          - get:
              url: "${url.pathname}"
        whileTrue: "running"
`
}

const LOOP_PROCESSOR = `let end
module.exports = {
  running(_context, next) {
    end ??= Date.now() + Number(process.env.BENCH_SECONDS) * 1000
    return next(Date.now() < end)
  },
}
`

const artillery: LoadGenerator = {
  id: 'artillery',
  label: `Artillery ${ARTILLERY_VERSION}`,
  missing: () =>
    existsSync(ARTILLERY_BIN)
      ? null
      : `not installed in bench/.peers/artillery: run \`npm run bench -- --only peers --install-peers\``,
  async run(url, { connections, seconds }) {
    const dir = await mkdtemp(join(tmpdir(), 'bench-artillery-'))
    try {
      await writeFile(join(dir, 'script.yml'), artilleryScript(new URL(url), connections))
      await writeFile(join(dir, 'loop.cjs'), LOOP_PROCESSOR)
      const r = await runMeasured(
        process.execPath,
        [ARTILLERY_BIN, 'run', '--quiet', '--output', join(dir, 'report.json'), join(dir, 'script.yml')],
        {
          cwd: dir,
          env: { BENCH_SECONDS: String(seconds), ARTILLERY_DISABLE_TELEMETRY: 'true' },
          timeoutMs: (seconds + 90) * 1000,
        },
      )
      if (r.code !== 0) throw failed('artillery', r)
      return {
        ...parseArtillery(await readFile(join(dir, 'report.json'), 'utf8'), seconds),
        cpuMs: r.cpuMs,
        wallMs: r.wallMs,
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
  async paced(url, { rate, seconds }) {
    // Artillery's own model: `rate` new VUs a second, one request each
    const dir = await mkdtemp(join(tmpdir(), 'bench-artillery-'))
    try {
      const u = new URL(url)
      await writeFile(
        join(dir, 'script.yml'),
        `config:\n  target: "${u.origin}"\n  phases:\n    - duration: ${seconds}\n      arrivalRate: ${rate}\nscenarios:\n  - flow:\n      - get:\n          url: "${u.pathname}"\n`,
      )
      const r = await runMeasured(
        process.execPath,
        [ARTILLERY_BIN, 'run', '--quiet', '--output', join(dir, 'report.json'), join(dir, 'script.yml')],
        {
          cwd: dir,
          env: { ARTILLERY_DISABLE_TELEMETRY: 'true' },
          timeoutMs: (seconds + 90) * 1000,
        },
      )
      if (r.code !== 0) throw failed('artillery', r)
      return {
        ...parseArtillery(await readFile(join(dir, 'report.json'), 'utf8'), seconds),
        cpuMs: r.cpuMs,
        wallMs: r.wallMs,
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
}

/** Every closed-loop generator of the peers benchmark, the engine first. */
export const generators: readonly LoadGenerator[] = [engine, wrk, autocannon, artillery]

/** Install the generators kept outside the dependency tree (Artillery) into bench/.peers/; a no-op when present. */
export async function installPeers(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  if (existsSync(ARTILLERY_BIN)) return
  await mkdir(ARTILLERY_DIR, { recursive: true })
  await writeFile(
    join(ARTILLERY_DIR, 'package.json'),
    `${JSON.stringify({ name: 'bench-peer-artillery', private: true }, null, 2)}\n`,
  )
  log(
    `peers: installing artillery@${ARTILLERY_VERSION} into bench/.peers/artillery (about 600 MB, browsers skipped)...`,
  )
  const r = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', `artillery@${ARTILLERY_VERSION}`],
    {
      cwd: ARTILLERY_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
      timeout: 1_200_000,
    },
  )
  if (r.status !== 0)
    throw new Error(`npm install artillery@${ARTILLERY_VERSION} in bench/.peers/artillery failed (exit ${r.status})`)
}
