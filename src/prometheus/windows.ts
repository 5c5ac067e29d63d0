/**
 * Multi-window, multi-burn-rate alert windows (Google SRE workbook, "Alerting
 * on SLOs", table 5-8): for a 30-day period, page at 14.4x over 1h (short 5m)
 * and 6x over 6h (short 30m); ticket at 3x over 1d (short 2h) and 1x over 3d
 * (short 6h). Other periods keep the burn factors and scale the windows in
 * proportion, as Sloth does.
 *
 * A game day lasts a minute, not a month: `gameDayWindows` keeps the burn
 * factors of the fastest page (14.4x) and slowest ticket (1x) conditions with
 * windows a run can fill (page 5s/30s, ticket 15s/the whole load), never
 * shorter than five scrape intervals so `rate()` always has samples.
 */

export type Severity = 'page' | 'ticket'

/** One alert condition: both windows must burn faster than `factor`. */
export interface BurnWindow {
  readonly severity: Severity
  readonly factor: number
  readonly shortSeconds: number
  readonly longSeconds: number
}

const H = 3600
const BASE_PERIOD = 30 * 24 * H
const BASE: readonly BurnWindow[] = [
  { severity: 'page', factor: 14.4, shortSeconds: 5 * 60, longSeconds: H },
  { severity: 'page', factor: 6, shortSeconds: 30 * 60, longSeconds: 6 * H },
  { severity: 'ticket', factor: 3, shortSeconds: 2 * H, longSeconds: 24 * H },
  { severity: 'ticket', factor: 1, shortSeconds: 6 * H, longSeconds: 72 * H },
]

/**
 * The four windows for an SLO period.
 *
 * @example burnWindows(30 * 86400)[0] // { severity: 'page', factor: 14.4, shortSeconds: 300, longSeconds: 3600 }
 */
export function burnWindows(periodSeconds: number): BurnWindow[] {
  const k = periodSeconds / BASE_PERIOD
  return BASE.map((w) => ({
    ...w,
    shortSeconds: Math.max(1, Math.round(w.shortSeconds * k)),
    longSeconds: Math.max(1, Math.round(w.longSeconds * k)),
  }))
}

/**
 * The in-run windows of a game day: page 14.4x over 5s/30s, ticket 1x over
 * 15s/the whole load; each at least five scrape intervals.
 *
 * @example gameDayWindows(60, 1) // page 14.4x 5s/30s, ticket 1x 15s/60s
 */
export function gameDayWindows(loadSeconds: number, scrapeSeconds = 1): BurnWindow[] {
  const floor = (s: number) => Math.max(Math.round(s), 5 * scrapeSeconds)
  const pageShort = floor(5)
  const pageLong = Math.max(floor(30), pageShort)
  const ticketShort = floor(15)
  const ticketLong = Math.max(floor(loadSeconds), ticketShort)
  return [
    { severity: 'page', factor: 14.4, shortSeconds: pageShort, longSeconds: pageLong },
    { severity: 'ticket', factor: 1, shortSeconds: ticketShort, longSeconds: ticketLong },
  ]
}

/**
 * A Prometheus duration for whole seconds, largest units first.
 *
 * @example promDuration(5400) // '1h30m'
 */
export function promDuration(seconds: number): string {
  let s = Math.round(seconds)
  if (s <= 0) return '0s'
  let out = ''
  for (const [unit, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= n) {
      out += `${Math.floor(s / n)}${unit}`
      s %= n
    }
  }
  return out
}
