/**
 * A real Prometheus beside the stack, for `run --prometheus`: on 127.0.0.1,
 * scraping the reference components every second, evaluating the in-run SLO
 * rules every second, with its data in a temporary folder that is removed
 * when it stops. Like any component the harness starts, it is stopped on
 * success, error and Ctrl-C; `died` settles if it exits on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { GamedayError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { isLoopbackHost } from '../util/loopback.ts'

/** One component to scrape: `url` is its base URL; metrics are at `<url>/metrics`. */
export interface ScrapeTarget {
  readonly job: string
  readonly url: string
  readonly labels?: Readonly<Record<string, string>>
}

/** An alert as `GET /api/v1/alerts` lists it. */
export interface ApiAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing' | 'inactive'
  activeAt?: string
  value?: string
}

/** One scrape target as `GET /api/v1/targets` reports it. */
export interface ScrapeHealth {
  job: string
  scrapeUrl: string
  health: 'up' | 'down' | 'unknown'
  lastError?: string
}

export interface StartedPrometheus {
  readonly url: string
  readonly version: string
  /** Alerts currently pending or firing. */
  alerts(signal?: AbortSignal): Promise<ApiAlert[]>
  /** The scrape targets and their health (`GET /api/v1/targets`). */
  targets(signal?: AbortSignal): Promise<ScrapeHealth[]>
  /** Settles with the exit code when the process exits before `stop()`. */
  readonly died: Promise<number | null>
  /** Stop the process and remove its folder; safe to call twice. */
  stop(): Promise<void>
}

export interface StartPrometheusOptions {
  readonly bin: string
  readonly targets: readonly ScrapeTarget[]
  /** The rule file (YAML). */
  readonly rules: string
  readonly scrapeIntervalSeconds?: number
  /** More command-line flags (`--web.enable-remote-write-receiver`). */
  readonly extraArgs?: readonly string[]
  readonly log: Logger
  readonly signal?: AbortSignal
}

const READY_TIMEOUT_MS = 30_000
const LOG_LIMIT = 64 * 1024

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}

/** The prometheus.yml for these targets (exported for tests and for `promtool check config`). */
export function prometheusConfig(targets: readonly ScrapeTarget[], scrapeSeconds: number, ruleFile: string): string {
  return stringify({
    global: {
      scrape_interval: `${scrapeSeconds}s`,
      scrape_timeout: `${scrapeSeconds}s`,
      evaluation_interval: `${scrapeSeconds}s`,
    },
    rule_files: [ruleFile],
    scrape_configs: targets.map((t) => {
      const u = new URL(t.url)
      return {
        job_name: t.job,
        scheme: u.protocol.replace(':', ''),
        metrics_path: `${u.pathname.replace(/\/$/, '')}/metrics`,
        static_configs: [{ targets: [u.host], ...(t.labels ? { labels: { ...t.labels } } : {}) }],
      }
    }),
  })
}

/**
 * Start Prometheus and wait until it is ready.
 *
 * @example
 * ```ts
 * const prom = await startPrometheus({ bin, targets: [{ job: 'mock-as', url: issuer }], rules, log })
 * await prom.stop()
 * ```
 */
export async function startPrometheus(o: StartPrometheusOptions): Promise<StartedPrometheus> {
  for (const t of o.targets) {
    if (!isLoopbackHost(new URL(t.url).hostname))
      throw new GamedayError(
        'ERR_TARGET_NOT_LOOPBACK',
        `prometheus: scrape target ${t.job} is not on loopback (got ${t.url})`,
        { hint: 'run --prometheus scrapes only the components the harness started on 127.0.0.1' },
      )
  }
  const scrape = o.scrapeIntervalSeconds ?? 1
  const dir = await mkdtemp(join(tmpdir(), 'oauth-gameday-prometheus-'))
  let proc: ChildProcess | undefined
  let stopping = false
  let stopped: Promise<void> | undefined
  const output: string[] = []
  // the harness exiting at once (a second Ctrl-C) must not leave Prometheus or its data behind
  const onExit = () => {
    proc?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  const stop = () => {
    stopped ??= (async () => {
      stopping = true
      process.off('exit', onExit)
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc!.once('exit', r))
        proc.kill('SIGTERM')
        const timer = setTimeout(() => proc!.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      await rm(dir, { recursive: true, force: true })
    })()
    return stopped
  }
  try {
    await writeFile(join(dir, 'rules.yaml'), o.rules)
    await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(o.targets, scrape, 'rules.yaml'))
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    proc = spawn(
      o.bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
        ...(o.extraArgs ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let bytes = 0
    const keep = (d: Buffer) => {
      output.push(d.toString('utf8'))
      bytes += d.length
      while (bytes > LOG_LIMIT && output.length > 1) bytes -= output.shift()!.length
    }
    proc.stdout!.on('data', keep)
    proc.stderr!.on('data', keep)
    const exit = new Promise<number | null>((resolve) => proc!.once('exit', (code) => resolve(code)))
    const died = exit.then((code) => (stopping ? new Promise<never>(() => {}) : code))
    const deadline = Date.now() + READY_TIMEOUT_MS
    let ready = false
    let exitedEarly = false
    void exit.then(() => {
      exitedEarly = true
    })
    while (!ready && !exitedEarly && Date.now() < deadline) {
      if (o.signal?.aborted)
        throw new GamedayError('ERR_RUN_ABORTED', 'the run was interrupted while Prometheus started')
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })
        ready = res.status === 200
      } catch {
        // not listening yet
      }
      if (!ready) await new Promise((r) => setTimeout(r, 200))
    }
    if (!ready) {
      const tail = output.join('').split('\n').slice(-10).join('\n')
      throw new GamedayError(
        'ERR_PROMETHEUS_FAILED',
        `prometheus ${exitedEarly ? 'exited' : `was not ready within ${READY_TIMEOUT_MS} ms`}${tail ? `:\n${tail}` : ''}`,
        { hint: 'run `promtool check config` on the config and read the output above' },
      )
    }
    const info = (await (await fetch(`${url}/api/v1/status/buildinfo`)).json().catch(() => ({}))) as {
      data?: { version?: string }
    }
    o.log.info({ url, targets: o.targets.length }, 'prometheus.started')
    return {
      url,
      version: info.data?.version ?? 'unknown',
      died,
      stop,
      async alerts(signal) {
        const res = await fetch(`${url}/api/v1/alerts`, { signal: signal ?? AbortSignal.timeout(2000) })
        const body = (await res.json()) as { data?: { alerts?: ApiAlert[] } }
        return body.data?.alerts ?? []
      },
      async targets(signal) {
        const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: signal ?? AbortSignal.timeout(2000) })
        const body = (await res.json()) as {
          data?: {
            activeTargets?: Array<{
              labels?: Record<string, string>
              scrapeUrl: string
              health: string
              lastError?: string
            }>
          }
        }
        return (body.data?.activeTargets ?? []).map((t) => ({
          job: t.labels?.job ?? '',
          scrapeUrl: t.scrapeUrl,
          health: t.health === 'up' || t.health === 'down' ? t.health : 'unknown',
          ...(t.lastError ? { lastError: t.lastError } : {}),
        }))
      },
    }
  } catch (err) {
    await stop()
    throw err
  }
}
