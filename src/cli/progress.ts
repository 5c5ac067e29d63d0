/**
 * Live progress of a run: one block rewritten in place on a TTY; a plain
 * line every 5 s elsewhere (CI logs); nothing with --quiet. Written to
 * stderr, so stdout carries only the run folders.
 */
import type { RunProgress } from '../runner/run.ts'
import { formatDuration } from '../util/duration.ts'

/** What the live line shows: the run's progress, and the timeline's probes when the runner reports them. */
export type LiveProgress = RunProgress & {
  /** Probes of the timeline: the ones running now, and how many are done of how many. */
  probes?: { running: string[]; done: number; total: number }
}

export interface ProgressOptions {
  quiet?: boolean
  /** Rewrite one block in place (TTY) or print plain lines. */
  tty?: boolean
  /** Plain mode: minimum ms between two lines. */
  intervalMs?: number
  write?: (text: string) => void
  now?: () => number
}

export interface ProgressPrinter {
  update(p: LiveProgress): void
  /** Print the last state once more (plain mode) and release the block. */
  done(): void
  /** Print lines above the live block (a mid-run error); the block is drawn again on the next update. */
  note(text: string): void
}

const pct = (r: number) => `${(r * 100).toFixed(r > 0 && r < 0.001 ? 3 : 1)}%`

function sloText(slos: RunProgress['slos']): string {
  const entries = Object.entries(slos)
  if (entries.length === 0) return '-'
  return entries.map(([id, held]) => `${id} ${held === null ? '…' : held ? 'ok' : 'BROKEN'}`).join('  ')
}

/** The progress as lines (shared by both modes). */
export function progressLines(id: string, p: LiveProgress): string[] {
  const probes =
    p.probes && p.probes.total > 0
      ? `  probes ${p.probes.running.length > 0 ? `${p.probes.running.join(', ')} running, ` : ''}${p.probes.done}/${p.probes.total} done`
      : undefined
  return [
    `${id}  ${p.phase}  ${formatDuration(p.elapsedMs)} / ${formatDuration(p.totalMs)}`,
    `  rate ${p.rate.toFixed(1)}/s  p95 ${Math.round(p.p95)}ms  errors ${pct(p.errorRate)}${p.droppedIterations > 0 ? `  dropped ${p.droppedIterations}` : ''}`,
    `  faults ${p.activeFaults.length > 0 ? p.activeFaults.join(', ') : '-'}`,
    ...(probes ? [probes] : []),
    `  slos   ${sloText(p.slos)}`,
  ]
}

/** A progress printer for one scenario run. */
export function createProgress(id: string, options: ProgressOptions = {}): ProgressPrinter {
  const write = options.write ?? ((t: string) => process.stderr.write(t))
  const now = options.now ?? Date.now
  const interval = options.intervalMs ?? 5000
  if (options.quiet) return { update() {}, done() {}, note: (text) => write(`${text}\n`) }
  if (options.tty) {
    let drawn = 0
    return {
      update(p) {
        const lines = progressLines(id, p)
        // move up over the previous block, clear to the end of the screen, redraw
        write(`${drawn > 0 ? `\x1b[${drawn}F` : ''}\x1b[0J${lines.join('\n')}\n`)
        drawn = lines.length
      },
      done() {
        drawn = 0
      },
      note(text) {
        write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[0J` : ''}${text}\n`)
        drawn = 0
      },
    }
  }
  let last: number | undefined
  let pending: LiveProgress | undefined
  const line = (p: LiveProgress) =>
    write(
      `${progressLines(id, p)
        .map((l) => l.trim().replace(/\s+/g, ' '))
        .join(' | ')}\n`,
    )
  return {
    update(p) {
      const t = now()
      if (last === undefined || t - last >= interval) {
        line(p)
        last = t
        pending = undefined
      } else pending = p
    },
    done() {
      if (pending) line(pending)
      pending = undefined
    },
    note: (text) => write(`${text}\n`),
  }
}
