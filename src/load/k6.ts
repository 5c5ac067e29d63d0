/**
 * The k6 engine, for users who have k6 (on PATH or via K6_PATH): generates
 * one script from the scenario, writes it into the run folder (rerun it with
 * plain `k6 run`), runs k6 with JSON output and folds that output into the
 * same per-second series the embedded engine produces.
 */
import { execFile, spawn } from 'node:child_process'
import { createReadStream, existsSync } from 'node:fs'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { GamedayError } from '../errors.ts'
import type { LoadResult } from '../record.ts'
import { parseDuration } from '../util/duration.ts'
import { maskSecrets } from '../util/secrets.ts'
import { K6ResultCollector, parseK6Line } from './k6/results.ts'
import { generateK6Script } from './k6/script.ts'
import type { LoadEngineDefinition } from './types.ts'

const execFileP = promisify(execFile)

/** Find the k6 binary: K6_PATH, else the first `k6` on PATH. */
export function findK6(): string | undefined {
  if (process.env.K6_PATH) return existsSync(process.env.K6_PATH) ? process.env.K6_PATH : undefined
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, 'k6')
    if (existsSync(p)) return p
  }
  return undefined
}

/** `k6 version` → `v0.54.0` (or the whole first line when it does not match). */
export async function k6Version(bin: string): Promise<string> {
  const { stdout } = await execFileP(bin, ['version'], { timeout: 10_000 })
  return /v\d+\.\d+\.\d+\S*/.exec(stdout)?.[0] ?? stdout.split('\n')[0]!.trim()
}

export const k6Engine: LoadEngineDefinition = {
  id: 'k6',
  summary: 'generates a k6 script from the scenario and runs the real k6 binary (K6_PATH or PATH)',
  async available() {
    const bin = findK6()
    if (!bin) return { ok: false, reason: 'no k6 binary on PATH and K6_PATH is not set' }
    try {
      return { ok: true, version: await k6Version(bin) }
    } catch (err) {
      return { ok: false, reason: `${bin} version failed: ${(err as Error).message}` }
    }
  },
  async run(plan, targets, options) {
    const bin = findK6()
    if (!bin) throw new GamedayError('ERR_ENV_K6_NOT_FOUND', 'k6 binary not found (K6_PATH, PATH)')
    const version = await k6Version(bin)
    const dir = join(options.runDir ?? '.', 'k6')
    await mkdir(dir, { recursive: true })
    const { script, env } = generateK6Script(plan, targets, options.slos ?? [])
    const scriptPath = join(dir, 'script.js')
    const outPath = join(dir, 'results.json')
    await writeFile(scriptPath, script)
    await writeFile(outPath, '')
    const startAt = options.startAt ?? Date.now()
    const wait = startAt - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const t0 = Date.now()
    const totalMs = (parseDuration(plan.duration) ?? 0) + (parseDuration(plan.gracefulStop) ?? 0)
    const collector = new K6ResultCollector(t0)
    const proc = spawn(bin, ['run', '--quiet', '--no-usage-report', '--out', `json=${outPath}`, scriptPath], {
      env: { ...process.env, ...env, K6_NO_USAGE_REPORT: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8000)
    })
    proc.stdout.resume()
    let aborted = false
    const onAbort = () => {
      aborted = true
      proc.kill('SIGINT')
      setTimeout(() => proc.kill('SIGKILL'), 10_000).unref()
    }
    options.signal.addEventListener('abort', onAbort, { once: true })
    const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))

    // Tail the JSON output for live progress; the rest is read after k6 exits.
    const handle = await open(outPath, 'r')
    let offset = 0
    let partial = ''
    // k6 has no per-origin socket cap: each k6 VU keeps its own connections
    const warnings: string[] = plan.connections
      ? [`load.connections (${plan.connections}) applies to the embedded engine only: k6 opens connections per VU`]
      : []
    const drain = async () => {
      const buf = Buffer.alloc(1 << 20)
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset)
        if (bytesRead === 0) break
        offset += bytesRead
        const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines) {
          try {
            const p = parseK6Line(line)
            if (p) collector.add(p)
          } catch (err) {
            if (warnings.length < 10) warnings.push((err as Error).message)
          }
        }
      }
    }
    const progress = setInterval(() => {
      void drain().then(() => {
        const s = Math.floor((Date.now() - t0) / 1000) - 1
        const st = collector.secondStats(s)
        // k6 writes its points a little late: a second keeps changing for a while, and is sent again when it does
        const changes = collector.takeChanges(s)
        options.onProgress?.({
          elapsedMs: Date.now() - t0,
          totalMs,
          rate: st.count,
          p95: Number.NaN,
          errorRate: st.count ? st.failed / st.count : 0,
          droppedIterations: st.dropped,
          activeVUs: 0,
          ...changes,
        })
      })
    }, 1000)
    const code = await exit
    clearInterval(progress)
    options.signal.removeEventListener('abort', onAbort)
    await drain()
    await handle.close()
    if (partial.trim()) {
      const p = parseK6Line(partial)
      if (p) collector.add(p)
    }
    // k6 exits 99 when its own thresholds fail: scoring is ours, so that is not an engine error.
    if (!aborted && code !== 0 && code !== 99) {
      throw new GamedayError(
        'ERR_K6_FAILED',
        `k6 exited with code ${code}: ${maskSecrets(stderr.trim().split('\n').slice(-5).join(' | '))}`,
        { hint: `rerun it: k6 run ${scriptPath}` },
      )
    }
    const result: LoadResult = {
      engine: 'k6',
      engineVersion: version,
      startedAt: t0,
      durationMs: Date.now() - t0,
      latencyBasis: 'intended-start',
      series: collector.series(),
      counters: collector.counters(),
      aborted,
      warnings,
    }
    return result
  },
}

/** Read a k6 JSON output file into a collector (for tests and `report`). */
export async function readK6Json(path: string, t0: number): Promise<K6ResultCollector> {
  const collector = new K6ResultCollector(t0)
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of rl) {
    const p = parseK6Line(line)
    if (p) collector.add(p)
  }
  return collector
}
