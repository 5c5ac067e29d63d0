/**
 * The health watchdog: while the load runs, every component the harness
 * started is asked for its health route, and every external target (an AS or
 * RS given by URL) for any HTTP answer, once a second. Five failures in a row
 * and the component is unresponsive, or the target lost: the runner ends the
 * run as errored (exit 103), never as the system under test breaking an SLO.
 *
 * Checks are deliberate traffic (`x-gameday-probe: watchdog`), so the
 * reference components count them under `source="probe"` and no SLI sees
 * them. A fault that makes a component unavailable on purpose declares it
 * (`makesUnavailable` on its definition); during its window, and a short
 * grace after the revert, that component's failures do not count.
 */
import { request } from 'undici'
import { faults as faultRegistry } from '../faults/index.ts'
import type { FaultDefinition } from '../faults/types.ts'
import { reaching } from '../preflight.ts'
import type { FaultWindow } from '../record/index.ts'
import type { StartedStack, Targets } from '../runtime/types.ts'
import type { StackConfig } from '../scenario/schema.ts'
import { PROBE_HEADER } from '../util/component/probe-traffic.ts'

/** Checks in a row that must fail before the component or target counts as gone. */
export const WATCHDOG_FAILURES = 5
/** Time between the starts of two checks of one component. */
export const WATCHDOG_INTERVAL_MS = 1000
/** How long one check may wait for an answer. */
const CHECK_TIMEOUT_MS = 2000
/** After a fault that makes a component unavailable is reverted, its failures still do not count for this long. */
export const UNAVAILABLE_GRACE_MS = 3000

/** One thing the watchdog checks. */
export interface Watched {
  /** `as`, `rs-<name>`, `jwks-cdn`, `fault-proxy` (the names faults declare in `makesUnavailable`). */
  component: string
  /** `component`: started by the harness, its health route must answer 200; `target`: external, any HTTP answer will do. */
  kind: 'component' | 'target'
  /** How messages name it: `component as`, `resource server orders`. */
  what: string
  url: string
}

/** What the watchdog reports when one is gone. */
export interface Lost extends Watched {
  /** The last check's failure. */
  error: Error
  /** Epoch ms of the last failed check. */
  at: number
}

/**
 * What to watch: the components the runtime started (their health routes)
 * and the external targets of the stack (the issuer's discovery document,
 * each external RS's API URL).
 *
 * @example watchList(scenario.stack, stack) // [{ component: 'as', kind: 'component', url: 'http://127.0.0.1:4100/healthz', … }]
 */
export function watchList(config: StackConfig, stack: Pick<StartedStack, 'targets' | 'health'>): Watched[] {
  const t: Targets = stack.targets
  const out: Watched[] = (stack.health?.() ?? []).map((h) => ({
    component: h.component,
    kind: 'component',
    what: `component ${h.component}`,
    url: h.url,
  }))
  if (config.authorizationServer.external) {
    out.push({
      component: 'as',
      kind: 'target',
      what: `the authorization server ${t.issuer}`,
      url: `${t.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    })
  }
  for (const rs of t.resourceServers) {
    if (rs.external)
      out.push({ component: `rs-${rs.name}`, kind: 'target', what: `resource server ${rs.name}`, url: rs.apiUrl })
  }
  return out
}

/** The components a fault makes unavailable on purpose, with these params on these targets. */
export function unavailableBy(def: FaultDefinition | undefined, params: Record<string, unknown>, targets: Targets) {
  const m = def?.makesUnavailable
  if (!m) return []
  return typeof m === 'function' ? m(params as never, targets) : m
}

/**
 * Whether `component` is unavailable on purpose at `atMs` (ms since t0): a
 * fault declaring it is active, or was reverted less than the grace ago.
 *
 * @example excusedBy(journal.faults, targets)('as', 12_000)
 */
export function excusedBy(
  windows: readonly FaultWindow[],
  targets: Targets,
  registry: Record<string, FaultDefinition> = faultRegistry,
): (component: string, atMs: number) => boolean {
  return (component, atMs) =>
    windows.some(
      (w) =>
        w.injectedAt <= atMs &&
        (w.revertedAt === undefined || atMs <= w.revertedAt + UNAVAILABLE_GRACE_MS) &&
        unavailableBy(registry[w.fault], w.params, targets).includes(component),
    )
}

/** One check; resolves when it passed, rejects with why it did not. */
async function check(w: Watched, signal: AbortSignal): Promise<void> {
  const call = () =>
    request(w.url, {
      headers: { [PROBE_HEADER]: 'watchdog' },
      signal,
      headersTimeout: CHECK_TIMEOUT_MS,
      bodyTimeout: CHECK_TIMEOUT_MS,
    })
  if (w.kind === 'target') {
    // any HTTP answer: the target is there (a 401 to an unauthenticated call is an answer); a transport failure names it
    const res = await reaching(w.what, w.url, call)
    await res.body.dump()
    return
  }
  const res = await call()
  await res.body.dump()
  if (res.statusCode !== 200) throw new Error(`${w.url} answered ${res.statusCode}`)
}

export interface WatchdogOptions {
  watched: readonly Watched[]
  /** ms since t0, for the fault windows. */
  sinceT0(): number
  /** Whether the component is unavailable on purpose now (its failures do not count). */
  excused(component: string, atMs: number): boolean
  /** Called once per component or target gone; the watchdog stops checking it. */
  onLost(lost: Lost): void
  /** Tests shorten the cadence; the runner uses {@link WATCHDOG_INTERVAL_MS}. */
  intervalMs?: number
}

/**
 * Start checking; returns a function that stops every check (and waits for the ones in flight).
 *
 * @example
 * ```ts
 * const stop = startWatchdog({ watched, sinceT0, excused, onLost: (l) => endEarly(l) })
 * await stop()
 * ```
 */
export function startWatchdog(o: WatchdogOptions): () => Promise<void> {
  const stopper = new AbortController()
  const interval = o.intervalMs ?? WATCHDOG_INTERVAL_MS
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopper.signal.aborted) return resolve()
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        stopper.signal.removeEventListener('abort', done)
        resolve()
      }
      stopper.signal.addEventListener('abort', done, { once: true })
    })
  const loops = o.watched.map(async (w) => {
    let streak = 0
    while (!stopper.signal.aborted) {
      const started = Date.now()
      const startedAt = o.sinceT0()
      let error: Error | undefined
      try {
        await check(w, stopper.signal)
      } catch (err) {
        error = err as Error
      }
      if (stopper.signal.aborted) return
      if (!error || o.excused(w.component, startedAt) || o.excused(w.component, o.sinceT0())) streak = 0
      else if (++streak >= WATCHDOG_FAILURES) {
        o.onLost({ ...w, error, at: Date.now() })
        return
      }
      await sleep(Math.max(0, interval - (Date.now() - started)))
    }
  })
  return async () => {
    stopper.abort()
    await Promise.allSettled(loops)
  }
}
