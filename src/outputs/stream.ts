/**
 * The outputs of one run: the engine's progress folds into one
 * {@link EngineMetrics}; each output gets a snapshot on its own interval
 * (json each second, remote write every 5 s) and a last one at the end —
 * also when the run is interrupted or errored, since the runner finishes the
 * stream in its `finally`.
 */
import type { LoadResult } from '../record/index.ts'
import { EngineMetrics } from './engine-metrics.ts'
import { outputs } from './index.ts'
import type { MetricsOutput, OutputContext } from './types.ts'

/** One `--out-metrics` value, parsed. */
export interface OutputSpec {
  readonly id: string
  readonly arg: string
}

export class MetricsStream {
  readonly metrics = new EngineMetrics()
  readonly #outputs: Array<{ out: MetricsOutput; timer: NodeJS.Timeout; busy: Promise<void> }> = []
  #finished: Promise<void> | undefined

  private constructor() {}

  /**
   * Start every output; one that cannot start (a file that cannot be opened) is a warning and an event, not a failed run.
   *
   * @example const stream = await MetricsStream.start([{ id: 'json', arg: 'out.json' }], ctx)
   */
  static async start(specs: readonly OutputSpec[], ctx: OutputContext): Promise<MetricsStream> {
    const stream = new MetricsStream()
    for (const spec of specs) {
      const def = outputs[spec.id]
      if (!def) continue
      let out: MetricsOutput
      try {
        out = await def.start(spec.arg, ctx)
      } catch (err) {
        ctx.log.warn({ output: spec.id, err: (err as Error).message }, 'metrics_output.start_failed')
        ctx.emit('metrics_output.start_failed', { output: spec.id, message: (err as Error).message })
        continue
      }
      const entry = { out, timer: undefined as unknown as NodeJS.Timeout, busy: Promise.resolve() }
      entry.timer = setInterval(() => stream.#write(entry), out.intervalMs)
      stream.#outputs.push(entry)
    }
    return stream
  }

  #write(entry: { out: MetricsOutput; busy: Promise<void> }): Promise<void> {
    // one write at a time per output: a slow push is skipped over, never queued up
    entry.busy = entry.busy.then(() => entry.out.write(this.metrics.snapshot(Date.now())))
    return entry.busy
  }

  /** Fold in one progress message of the engine. */
  add(p: Parameters<EngineMetrics['add']>[0]): void {
    this.metrics.add(p)
  }

  /** The last write of every output (with the final result when there is one), then close them. Safe to call twice. */
  finish(result?: Pick<LoadResult, 'series' | 'counters'>): Promise<void> {
    this.#finished ??= (async () => {
      for (const e of this.#outputs) clearInterval(e.timer)
      if (result) this.metrics.addResult(result)
      await Promise.all(
        this.#outputs.map(async (e) => {
          await this.#write(e).catch(() => undefined)
          await e.out.close().catch(() => undefined)
        }),
      )
    })()
    return this.#finished
  }
}
