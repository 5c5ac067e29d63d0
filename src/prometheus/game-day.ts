/**
 * `run --prometheus`: the in-run SLO rules (game-day windows, burn factors
 * kept), a real Prometheus scraping the reference components, and an alert
 * watcher polling `/api/v1/alerts` every second. The runner calls `start`
 * once the stack is up, `watch` once t0 is known, and `finish` (always) at
 * the end; transitions become run events as they happen.
 */
import { GamedayError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { AlertTransition, FaultWindow, PrometheusSection } from '../record/index.ts'
import type { Targets } from '../runtime/types.ts'
import type { Scenario } from '../scenario/schema.ts'
import { D1_DEFAULT_ALERT } from '../slo/d1.ts'
import { AlertWatcher, detections } from './alerts.ts'
import { requirePrometheusTool } from './binaries.ts'
import { type ScrapeTarget, type StartedPrometheus, startPrometheus } from './server.ts'
import { buildSloRules, renderSloRules } from './slo-rules.ts'
import { gameDayWindows } from './windows.ts'

const SCRAPE_SECONDS = 1
const POLL_MS = 1000

/**
 * The reference components of a stack, as scrape targets (RSs labelled
 * `rs=<name>`; the CDN and the fault proxy `component=…`, as in deploy/'s
 * compose config). Every runtime that starts components binds them to
 * 127.0.0.1 (the containers runtime on the host network), so the targets are
 * the loopback ports the harness itself talks to.
 */
export function scrapeTargets(
  targets: Pick<Targets, 'control' | 'issuer' | 'resourceServers' | 'componentUrls'>,
): ScrapeTarget[] {
  const out: ScrapeTarget[] = []
  if (targets.control.as) out.push({ job: 'mock-as', url: new URL(targets.issuer).origin })
  for (const rs of targets.resourceServers)
    if (rs.control && !rs.external) out.push({ job: `rs-${rs.name}`, url: rs.baseUrl, labels: { rs: rs.name } })
  const { cdn, proxy } = targets.componentUrls ?? {}
  if (cdn) out.push({ job: 'jwks-cdn', url: cdn, labels: { component: 'jwks-cdn' } })
  if (proxy) out.push({ job: 'fault-proxy', url: proxy, labels: { component: 'fault-proxy' } })
  return out
}

export interface GameDayPrometheus {
  /** Settles with an ERR_PROMETHEUS_FAILED when Prometheus dies before `finish`. */
  readonly died: Promise<GamedayError>
  /** Start polling alerts; times are ms since `t0`. */
  watch(t0: number, onTransition: (t: AlertTransition) => void): void
  /** Poll once more, stop Prometheus, remove its data; the record section. Safe to call twice. */
  finish(faults: readonly FaultWindow[], endMs: number): Promise<PrometheusSection>
}

const FIRST_SCRAPE_TIMEOUT_MS = 15_000

/**
 * Wait until Prometheus has scraped every target once. Its discovery hands
 * new targets to the scrape manager only every 5 s, so without this the
 * first seconds of the load would be invisible to the alerts. Bounded: a
 * target still unscraped after 15 s is a warning, not a failed run.
 */
async function firstScrapes(
  prom: StartedPrometheus,
  expected: number,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  let exited = false
  void prom.died.then(() => {
    exited = true
  })
  const deadline = Date.now() + FIRST_SCRAPE_TIMEOUT_MS
  let last: Awaited<ReturnType<StartedPrometheus['targets']>> = []
  while (!exited && !signal?.aborted && Date.now() < deadline) {
    last = await prom.targets().catch(() => [])
    if (last.length >= expected && last.every((t) => t.health !== 'unknown')) return
    await new Promise((r) => setTimeout(r, 250))
  }
  if (!exited && !signal?.aborted)
    log.warn(
      { scraped: last.filter((t) => t.health !== 'unknown').map((t) => t.job), expected },
      'prometheus.targets_not_scraped',
    )
}

/** Fail early, before anything starts, when there is no Prometheus. */
export function checkPrometheusAvailable(): void {
  requirePrometheusTool('prometheus')
}

/**
 * Start Prometheus for a run of `loadSeconds`.
 *
 * @example const prom = await startGameDayPrometheus({ scenario, targets, loadSeconds: 60, log })
 */
export async function startGameDayPrometheus(o: {
  scenario: Scenario
  targets: Targets
  loadSeconds: number
  log: Logger
  signal?: AbortSignal
}): Promise<GameDayPrometheus> {
  const bin = requirePrometheusTool('prometheus')
  const windows = gameDayWindows(o.loadSeconds, SCRAPE_SECONDS)
  // D1 times the page alert of another SLO: make sure that SLO has rules even when the scenario does not score it
  const timed = o.scenario.slos.filter((s) => s.id === 'D1').map((s) => s.alert ?? D1_DEFAULT_ALERT)
  const extra = [...new Set(timed)]
    .filter((id) => !o.scenario.slos.some((s) => s.id === id && s.target === undefined))
    .map((id) => ({ id }) as Scenario['slos'][number])
  const rules = buildSloRules(
    { id: o.scenario.id, slos: [...o.scenario.slos, ...extra] },
    { periodSeconds: windows.find((w) => w.severity === 'ticket')?.longSeconds ?? o.loadSeconds, windows },
  )
  const targets = scrapeTargets(o.targets)
  const prom: StartedPrometheus = await startPrometheus({
    bin,
    targets,
    rules: renderSloRules(o.scenario.id, rules),
    scrapeIntervalSeconds: SCRAPE_SECONDS,
    log: o.log,
    ...(o.signal ? { signal: o.signal } : {}),
  })
  await firstScrapes(prom, targets.length, o.log, o.signal)
  let watcher: AlertWatcher | undefined
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> | undefined
  let notify: (t: AlertTransition) => void = () => {}
  const poll = async () => {
    if (!watcher) return
    try {
      const alerts = await prom.alerts()
      for (const t of watcher.update(alerts, Date.now())) notify(t)
    } catch (err) {
      o.log.debug({ err: (err as Error).message }, 'prometheus.poll_failed')
    }
  }
  const grace = new Map(rules.alerts.map((a) => [a.alert, Math.max(...a.windows.map((w) => w.longSeconds)) * 1000]))
  let finished: Promise<PrometheusSection> | undefined
  return {
    died: prom.died.then(
      (code) =>
        new GamedayError('ERR_PROMETHEUS_FAILED', `prometheus exited during the run (code ${code})`, {
          hint: 'the run is errored: Prometheus is a harness component',
        }),
    ),
    watch(t0, onTransition) {
      watcher = new AlertWatcher(t0)
      notify = onTransition
      timer = setInterval(() => {
        inFlight ??= poll().finally(() => {
          inFlight = undefined
        })
      }, POLL_MS)
    },
    finish(faults, endMs) {
      finished ??= (async () => {
        if (timer) clearInterval(timer)
        await inFlight
        await poll()
        const health = await prom.targets().catch((err: unknown) => {
          o.log.debug({ err: (err as Error).message }, 'prometheus.targets_failed')
          return undefined
        })
        for (const t of health ?? [])
          if (t.health !== 'up')
            o.log.warn({ job: t.job, health: t.health, err: t.lastError }, 'prometheus.target_down')
        await prom.stop()
        const transitions = watcher?.transitions ?? []
        return {
          version: prom.version,
          scrapeIntervalSeconds: SCRAPE_SECONDS,
          windows: windows.map((w) => ({ ...w })),
          alerts: rules.alerts.map((a) => ({ alert: a.alert, slo: a.slo, severity: a.severity })),
          skipped: rules.skipped.map((s) => ({ ...s })),
          transitions,
          detections: detections(transitions, faults, endMs, (name) => grace.get(name) ?? 30_000),
          ...(health ? { targets: health.sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0)) } : {}),
        }
      })()
      return finished
    },
  }
}
