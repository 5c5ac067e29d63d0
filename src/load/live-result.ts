/**
 * The LoadResult of a load still running, put together from the per-second
 * data engines send with their progress ({@link LoadProgress.series}), for
 * the live SLO status. It is scored every couple of seconds, so reading it
 * must stay cheap however long the run:
 *
 * - counts stay per second, as sent, so every rate and count indicator reads
 *   the numbers the final record will have;
 * - latency is what costs (decoding one histogram takes 0.1–0.5 ms), so the
 *   seconds are folded into blocks, one merged histogram per block, carried
 *   by the block's first bucket (the others carry none). A block never spans
 *   a window edge ({@link LiveLoad.cut}), so a window that holds one second
 *   of a block holds all of it and merges the same histograms as it would
 *   second by second. A second sent again is taken out of its block and put
 *   back in.
 *
 * Blocks are built only for the series whose latency is read (a bucket's
 * `latency` is a getter), so series that only rates read cost nothing.
 */
import type { CounterSeries, LoadResult, MetricFamily, SecondBucket, Series, SeriesTags } from '../record.ts'
import { createHistogram, decodeHistogram, encodeHistogram, type Histogram } from './histogram.ts'
import type { LoadProgress } from './types.ts'

interface Block {
  /** Range of seconds `[from, to)`. */
  from: number
  to: number
  /** First second with data: its bucket carries the block's histogram. */
  head: number
  merged: Histogram
  /** `merged` encoded, until it changes. */
  encoded: string | undefined
  /** Second → the encoded snapshot folded in (taken out again when the second changes). */
  folded: Map<number, string>
}

class LiveSeries {
  /** Latest snapshot of each second. */
  readonly seconds = new Map<number, { count: number; latency: string }>()
  /** Folded blocks in order; undefined until this series' latency is first read. */
  blocks: Block[] | undefined
  /** The block of each folded second. */
  readonly owner = new Map<number, Block>()
  /** Seconds with a snapshot not folded yet (once there are blocks). */
  readonly pending = new Set<number>()
  /** Generation of the last fold. */
  synced = -1
  /** The series as last handed out, until a snapshot arrives. */
  view: Series | undefined
  constructor(
    readonly metric: MetricFamily,
    readonly tags: SeriesTags,
    readonly failed: boolean,
  ) {}
}

function keyOf(metric: string, failed: boolean, tags: Readonly<Record<string, string | undefined>>): string {
  return `${metric}|${failed ? 1 : 0}|${Object.keys(tags)
    .filter((k) => tags[k] !== undefined)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',')}`
}

/**
 * Per-second series and counters of a running load, merged from progress
 * messages (a second sent again replaces the one before).
 *
 * @example
 * const live = new LiveLoad()
 * live.add(progress)
 * const load = live.result({ engine: 'embedded', startedAt: t0, durationMs: progress.elapsedMs })
 * live.cut([warmupEndMs, faultInjectedMs])
 * scoreRun({ ...record, load }, scenario.slos, [])
 */
export class LiveLoad {
  readonly #series = new Map<string, LiveSeries>()
  readonly #counters = new Map<string, { name: string; tags: Record<string, string>; values: Map<number, number> }>()
  #cuts: number[] = []
  #generation = 0

  /** Merge the seconds of one progress message. */
  add(p: Pick<LoadProgress, 'series' | 'counters'>): void {
    for (const s of p.series ?? []) {
      const key = keyOf(s.metric, s.failed, s.tags)
      let ls = this.#series.get(key)
      if (!ls) {
        ls = new LiveSeries(s.metric, s.tags, s.failed)
        this.#series.set(key, ls)
      }
      ls.view = undefined
      for (const b of s.buckets) {
        ls.seconds.set(b.s, { count: b.count, latency: b.latency })
        if (ls.blocks) ls.pending.add(b.s)
      }
    }
    for (const c of p.counters ?? []) {
      const key = keyOf(c.name, false, c.tags)
      let acc = this.#counters.get(key)
      if (!acc) {
        acc = { name: c.name, tags: c.tags, values: new Map() }
        this.#counters.set(key, acc)
      }
      for (const v of c.values) acc.values.set(v.s, v.value)
    }
  }

  /**
   * The load so far. Its buckets read their latency lazily, folded at the
   * edges given to the latest {@link cut}: call `cut` before scoring, and do
   * not keep the result across {@link add}.
   */
  result(base: { engine: string; startedAt: number; durationMs: number }): LoadResult {
    const series: Series[] = []
    for (const ls of this.#series.values()) series.push((ls.view ??= this.#view(ls)))
    const counters: CounterSeries[] = [...this.#counters.values()].map((c) => ({
      name: c.name,
      tags: c.tags,
      values: [...c.values.entries()].sort((a, b) => a[0] - b[0]).map(([s, value]) => ({ s, value })),
    }))
    return { ...base, latencyBasis: 'intended-start', series, counters, aborted: false, warnings: [] }
  }

  /**
   * Set the window edges (ms since t0) no latency block may span: every
   * `from` and `to` of the windows the SLOs are scored over.
   */
  cut(edgesMs: readonly number[]): void {
    this.#cuts = [...new Set(edgesMs.filter(Number.isFinite).map((ms) => Math.ceil(ms / 1000)))].sort((a, b) => a - b)
    this.#generation++
  }

  #view(ls: LiveSeries): Series {
    const buckets: SecondBucket[] = []
    const latencyAt = (s: number) => this.#latencyAt(ls, s)
    for (const s of [...ls.seconds.keys()].sort((a, b) => a - b)) {
      buckets.push({
        s,
        count: ls.seconds.get(s)!.count,
        get latency() {
          return latencyAt(s)
        },
        latencyUncorrected: '',
      })
    }
    return { metric: ls.metric, tags: ls.tags, failed: ls.failed, buckets }
  }

  #latencyAt(ls: LiveSeries, s: number): string {
    if (ls.synced !== this.#generation) this.#sync(ls)
    const block = ls.owner.get(s)
    if (!block || block.head !== s) return ''
    block.encoded ??= encodeHistogram(block.merged)
    return block.encoded
  }

  /** Bring the blocks of one series up to date: split at new edges, fold the seconds sent since. */
  #sync(ls: LiveSeries): void {
    ls.synced = this.#generation
    const pending = ls.blocks ? [...ls.pending] : [...ls.seconds.keys()]
    const blocks = (ls.blocks ??= [])
    for (const c of this.#cuts) {
      const i = blocks.findIndex((b) => b.from < c && c < b.to)
      if (i >= 0) this.#split(ls, i, c)
    }
    for (const s of pending.sort((a, b) => a - b)) this.#fold(ls, s)
    ls.pending.clear()
  }

  #fold(ls: LiveSeries, s: number): void {
    const enc = ls.seconds.get(s)!.latency
    let block = ls.owner.get(s)
    if (block) {
      const old = block.folded.get(s)!
      if (old === enc) return
      if (old) block.merged.subtract(decodeHistogram(old))
    } else {
      block = this.#blockFor(ls, s)
      ls.owner.set(s, block)
      block.head = Math.min(block.head, s)
    }
    if (enc) block.merged.add(decodeHistogram(enc))
    block.folded.set(s, enc)
    block.encoded = undefined
  }

  /** The block second `s` goes into: the one whose range holds it, else the one before when no edge lies between, else a new one. */
  #blockFor(ls: LiveSeries, s: number): Block {
    const blocks = ls.blocks!
    let i = 0
    while (i < blocks.length && blocks[i]!.to <= s) i++
    const here = blocks[i]
    if (here && here.from <= s) return here
    const prev = blocks[i - 1]
    if (prev && !this.#cuts.some((c) => prev.from < c && c <= s)) {
      prev.to = s + 1
      return prev
    }
    const block: Block = {
      from: s,
      to: s + 1,
      head: s,
      merged: createHistogram(),
      encoded: undefined,
      folded: new Map(),
    }
    blocks.splice(i, 0, block)
    return block
  }

  /** Split block `i` at second `c`: the seconds from `c` on move to a new block. */
  #split(ls: LiveSeries, i: number, c: number): void {
    const blocks = ls.blocks!
    const left = blocks[i]!
    const right: Block = {
      from: c,
      to: left.to,
      head: Number.POSITIVE_INFINITY,
      merged: createHistogram(),
      encoded: undefined,
      folded: new Map(),
    }
    for (const [s, enc] of left.folded) {
      if (s < c) continue
      right.folded.set(s, enc)
      if (enc) right.merged.add(decodeHistogram(enc))
      right.head = Math.min(right.head, s)
      ls.owner.set(s, right)
    }
    for (const s of right.folded.keys()) left.folded.delete(s)
    left.to = c
    left.merged.subtract(right.merged)
    left.encoded = undefined
    if (right.folded.size > 0) blocks.splice(i + 1, 0, right)
    if (left.folded.size === 0) blocks.splice(i, 1)
  }
}
