/**
 * Per-second HDR buckets per (metric, failed, tags) series, plus per-second
 * counters. Live seconds keep raw histograms; a second older than the longest
 * request can take is encoded and its histograms released, so memory is
 * bounded by (series × live seconds), not by the request count.
 *
 * A request belongs to the second of its intended start, so latency caused by
 * a fault lines up with the fault window on the record's time axis.
 *
 * For live scoring, {@link Recorder.takeChanges} hands out the seconds that
 * changed since its last call; the work is done there, once a tick, never in
 * {@link Recorder.record}.
 */
import type { CounterSeries, MetricFamily, SecondBucket, Series, SeriesTags } from '../record.ts'
import { createHistogram, decodeHistogram, encodeHistogram, type Histogram, recordMs } from './histogram.ts'

interface LiveBucket {
  count: number
  corrected: Histogram
  uncorrected: Histogram
}

interface SeriesState {
  metric: MetricFamily
  tags: SeriesTags
  failed: boolean
  live: Map<number, LiveBucket>
  done: Map<number, SecondBucket>
  /** Count of each live second as last taken by takeChanges. */
  sent: Map<number, number>
  /** Count of each live second when its latency was last taken. */
  sentLatency: Map<number, number>
  /** Encoded seconds changed since the last takeChanges (late requests, seconds flushed before they were taken). */
  dirty: Set<number> | undefined
}

type CounterState = SentCounter

/** What {@link Recorder.takeChanges} returns: only the series and counters with a changed second, with only those seconds. */
export interface RecorderChanges {
  series: Series[]
  counters: CounterSeries[]
}

/** Tag values are bounded so a hostile `error_description` cannot blow up series cardinality. */
const TAG_VALUE = /^[A-Za-z0-9_.:/+-]{1,64}$/
const MAX_SERIES = 2000
const MAX_RAW = 4 * MAX_SERIES

function cleanTags(tags: SeriesTags): SeriesTags {
  const out: SeriesTags = { flow: tags.flow, endpoint: tags.endpoint, status: tags.status }
  for (const [k, v] of Object.entries(tags)) {
    if (v === undefined) continue
    out[k] = TAG_VALUE.test(v) ? v : 'other'
  }
  return out
}

function keyOf(metric: string, failed: boolean, tags: SeriesTags): string {
  const parts = Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
  return `${metric}|${failed ? 1 : 0}|${parts.join(',')}`
}

/** A series resolved once ({@link Recorder.handle}); times are epoch ms. */
export interface RecordHandle {
  record(intendedStart: number, actualStart: number, end: number): void
}

/** A counter resolved once ({@link Recorder.counter}). */
export interface CounterHandle {
  add(n: number, at: number): void
}

/** Live figures since the last {@link Recorder.takeWindow}. */
export interface WindowFigures {
  count: number
  failed: number
  histogram: Histogram
}

/** A per-second counter with what was last handed out for each second. */
export interface SentCounter {
  name: string
  tags: Record<string, string>
  values: Map<number, number>
  /** Value of each second as last taken. */
  sent: Map<number, number>
}

/**
 * The seconds (before `beforeSecond`) whose value changed since they were last
 * taken, per counter; marks them taken. Shared by both engines' live progress.
 */
export function takeCounterChanges(counters: Iterable<SentCounter>, beforeSecond: number): CounterSeries[] {
  const out: CounterSeries[] = []
  for (const c of counters) {
    const values: CounterSeries['values'] = []
    for (const [s, value] of c.values) {
      if (s >= beforeSecond || c.sent.get(s) === value) continue
      c.sent.set(s, value)
      values.push({ s, value })
    }
    if (values.length) out.push({ name: c.name, tags: c.tags, values: values.sort((a, b) => a.s - b.s) })
  }
  return out
}

export class Recorder {
  readonly #series = new Map<string, SeriesState>()
  /** Series by uncleaned tags in caller order (bounded; a miss falls back to the canonical key). */
  readonly #byRaw = new Map<string, SeriesState>()
  readonly #counters = new Map<string, CounterState>()
  readonly #countersByRaw = new Map<string, CounterState>()
  #window: WindowFigures = { count: 0, failed: 0, histogram: createHistogram() }
  #overflow = 0

  /**
   * @param t0 epoch ms of second 0
   * @param liveSeconds seconds kept raw before encoding (the longest a request may take, plus margin)
   */
  constructor(
    readonly t0: number,
    readonly liveSeconds = 12,
  ) {}

  /** Record one request. Times are epoch ms; records before t0 (setup traffic) are not kept. */
  record(
    metric: MetricFamily,
    tags: SeriesTags,
    intendedStart: number,
    actualStart: number,
    end: number,
    failed: boolean,
  ): void {
    if (intendedStart < this.t0) return
    // hot path: the raw tags (in the caller's key order) map straight to their series; the
    // canonical key (cleaned values, sorted keys) is built only the first time a raw form is seen
    let raw = failed ? `${metric}|1` : `${metric}|0`
    for (const k in tags) {
      const v = tags[k]
      // length-prefixed, so no value (a hostile error_description) can forge another tag set's key
      if (v !== undefined) raw += `|${k}=${v.length}:${v}`
    }
    let st = this.#byRaw.get(raw)
    if (!st) {
      st = this.#resolve(metric, tags, failed)
      if (!st) return
      if (this.#byRaw.size < MAX_RAW) this.#byRaw.set(raw, st)
    }
    this.#into(st, intendedStart, actualStart, end)
  }

  /**
   * The series of (`metric`, `tags`, `failed`), resolved once: recording
   * through the handle skips building the tag key per request. For a caller
   * that records the same tags over and over (the engine's hot path).
   *
   * @example
   * const ok = recorder.handle('rs_request', { flow: 'api', endpoint: 'api', status: '200' }, false)
   * ok.record(intendedStart, sentAt, endedAt)
   */
  handle(metric: MetricFamily, tags: SeriesTags, failed: boolean): RecordHandle {
    const st = this.#resolve(metric, tags, failed)
    return {
      record: (intendedStart, actualStart, end) => {
        if (intendedStart < this.t0) return
        if (st) this.#into(st, intendedStart, actualStart, end)
        else this.#overflow++
      },
    }
  }

  /** The series of these tags (cleaned, keys sorted), created when new; undefined (counted) past the cardinality cap. */
  #resolve(metric: MetricFamily, tags: SeriesTags, failed: boolean): SeriesState | undefined {
    const clean = cleanTags(tags)
    const key = keyOf(metric, failed, clean)
    let st = this.#series.get(key)
    if (!st) {
      if (this.#series.size >= MAX_SERIES) {
        this.#overflow++
        return undefined
      }
      st = {
        metric,
        tags: clean,
        failed,
        live: new Map(),
        done: new Map(),
        sent: new Map(),
        sentLatency: new Map(),
        dirty: undefined,
      }
      this.#series.set(key, st)
    }
    return st
  }

  #into(st: SeriesState, intendedStart: number, actualStart: number, end: number): void {
    const s = Math.floor((intendedStart - this.t0) / 1000)
    const failed = st.failed
    // a batched scheduler may send up to ~1 ms before the intended start: never report less than the send took
    const corrected = Math.max(0, end - Math.min(intendedStart, actualStart))
    const uncorrected = Math.max(0, end - actualStart)
    let b = st.live.get(s)
    if (!b) {
      const prior = st.done.get(s)
      if (prior) {
        // a request that outlived the live window: fold it into the encoded bucket
        const c = decodeHistogram(prior.latency)
        const u = decodeHistogram(prior.latencyUncorrected)
        recordMs(c, corrected)
        recordMs(u, uncorrected)
        st.done.set(s, {
          s,
          count: prior.count + 1,
          latency: encodeHistogram(c),
          latencyUncorrected: encodeHistogram(u),
        })
        st.dirty ??= new Set()
        st.dirty.add(s)
        this.#addWindow(corrected, failed)
        return
      }
      b = { count: 0, corrected: createHistogram(), uncorrected: createHistogram() }
      st.live.set(s, b)
    }
    b.count++
    recordMs(b.corrected, corrected)
    recordMs(b.uncorrected, uncorrected)
    this.#addWindow(corrected, failed)
  }

  #addWindow(ms: number, failed: boolean): void {
    this.#window.count++
    if (failed) this.#window.failed++
    recordMs(this.#window.histogram, ms)
  }

  /** Add to a per-second counter (`dropped_iterations`, `reauth_on_401`, ...). */
  count(name: string, tags: Record<string, string>, n: number, at: number): void {
    // hot path (one `iterations` count per arrival): same raw-key shortcut as record()
    let raw = name
    for (const k in tags) raw += `|${k}=${tags[k]!.length}:${tags[k]}`
    let c = this.#countersByRaw.get(raw)
    if (!c) {
      c = this.#counter(name, tags)
      if (this.#countersByRaw.size < MAX_RAW) this.#countersByRaw.set(raw, c)
    }
    this.#add(c, n, at)
  }

  /** A per-second counter resolved once, for a caller that counts the same tags per arrival. */
  counter(name: string, tags: Record<string, string>): CounterHandle {
    const c = this.#counter(name, tags)
    return { add: (n, at) => this.#add(c, n, at) }
  }

  #counter(name: string, tags: Record<string, string>): CounterState {
    const clean: Record<string, string> = {}
    for (const [k, v] of Object.entries(tags)) clean[k] = TAG_VALUE.test(v) ? v : 'other'
    const key = `${name}|${Object.keys(clean)
      .sort()
      .map((k) => `${k}=${clean[k]}`)
      .join(',')}`
    let c = this.#counters.get(key)
    if (!c) {
      c = { name, tags: clean, values: new Map(), sent: new Map() }
      this.#counters.set(key, c)
    }
    return c
  }

  #add(c: CounterState, n: number, at: number): void {
    const s = Math.max(0, Math.floor((at - this.t0) / 1000))
    c.values.set(s, (c.values.get(s) ?? 0) + n)
  }

  /** Set a gauge-like per-second value (last write wins), e.g. `vus`. */
  gauge(name: string, tags: Record<string, string>, value: number, at: number): void {
    this.#counter(name, tags).values.set(Math.max(0, Math.floor((at - this.t0) / 1000)), value)
  }

  /** Figures since the previous call (for progress), then reset. */
  takeWindow(): WindowFigures {
    const w = this.#window
    this.#window = { count: 0, failed: 0, histogram: createHistogram() }
    return w
  }

  /** Encode every second that started more than `liveSeconds` before `now` (epoch ms). */
  flush(now: number): void {
    const cutoff = Math.floor((now - this.t0) / 1000) - this.liveSeconds
    for (const st of this.#series.values()) {
      for (const [s, b] of st.live) {
        if (s >= cutoff) continue
        st.done.set(s, {
          s,
          count: b.count,
          latency: encodeHistogram(b.corrected),
          latencyUncorrected: encodeHistogram(b.uncorrected),
        })
        st.live.delete(s)
        if (st.sentLatency.get(s) !== b.count) {
          st.dirty ??= new Set()
          st.dirty.add(s)
        }
        st.sent.delete(s)
        st.sentLatency.delete(s)
      }
    }
  }

  /**
   * The seconds whose state changed since the previous call, for live
   * scoring. Each bucket is the whole second so far, so a receiver replaces
   * a second it already has rather than adding to it. Only seconds that ended
   * before `now` (epoch ms) are taken; their corrected latency comes once
   * `latencyLagSeconds` more have passed (most of their requests have ended
   * by then), and with every change after that, so a second's histogram is
   * encoded about once. Before, `latency` is empty; `latencyUncorrected`
   * always is. `Infinity` takes everything, with latency (the last call).
   *
   * @example
   * const { series, counters } = recorder.takeChanges(Date.now())
   */
  takeChanges(now: number, latencyLagSeconds = 2): RecorderChanges {
    const limit = now === Number.POSITIVE_INFINITY ? now : Math.floor((now - this.t0) / 1000)
    const series: Series[] = []
    for (const st of this.#series.values()) {
      const buckets: SecondBucket[] = []
      for (const [s, b] of st.live) {
        if (s >= limit) continue
        const withLatency = s < limit - latencyLagSeconds
        if (withLatency ? st.sentLatency.get(s) === b.count : st.sent.get(s) === b.count) continue
        st.sent.set(s, b.count)
        if (withLatency) st.sentLatency.set(s, b.count)
        buckets.push({
          s,
          count: b.count,
          latency: withLatency ? encodeHistogram(b.corrected) : '',
          latencyUncorrected: '',
        })
      }
      if (st.dirty) {
        for (const s of st.dirty) {
          const d = st.done.get(s)
          if (d) buckets.push({ s, count: d.count, latency: d.latency, latencyUncorrected: '' })
        }
        st.dirty = undefined
      }
      if (buckets.length)
        series.push({ metric: st.metric, tags: st.tags, failed: st.failed, buckets: buckets.sort((a, b) => a.s - b.s) })
    }
    return { series, counters: takeCounterChanges(this.#counters.values(), limit) }
  }

  /** Series dropped because the cardinality cap was reached. */
  get overflow(): number {
    return this.#overflow
  }

  /** Encode everything and return the record's series and counters. */
  result(): { series: Series[]; counters: CounterSeries[] } {
    this.flush(Number.POSITIVE_INFINITY)
    const series: Series[] = []
    for (const st of this.#series.values()) {
      const buckets = [...st.done.values()].sort((a, b) => a.s - b.s)
      series.push({ metric: st.metric, tags: st.tags, failed: st.failed, buckets })
    }
    const counters: CounterSeries[] = [...this.#counters.values()].map((c) => ({
      name: c.name,
      tags: c.tags,
      values: [...c.values.entries()].sort((a, b) => a[0] - b[0]).map(([s, value]) => ({ s, value })),
    }))
    return { series, counters }
  }
}
