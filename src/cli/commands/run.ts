/**
 * `run [paths...]`: every scenario in turn, live progress, the run folder of
 * each on stdout, and the worst exit code. The first SIGINT/SIGTERM aborts
 * the run (faults reverted, the aborted report written, exit 105); a second
 * one exits at once.
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import { GamedayError, isGamedayError } from '../../errors.ts'
import { acceptedOutputForms, parseOutputSpec } from '../../outputs/index.ts'
import type { OutputSpec } from '../../outputs/stream.ts'
import type { RunOutcome } from '../../runner/run.ts'
import { intArg, listArg } from '../program.ts'
import { worstExitCode } from '../../record/exit-code.ts'
import { createProgress } from '../progress.ts'
import { err, formatError, out, printError, table } from '../output.ts'

interface RunFlags {
  engine: string
  runtime: string
  out: string
  reporter?: string[]
  seed?: number
  quiet: boolean
  smoke: boolean
  prometheus: boolean
  outMetrics: OutputSpec[]
}

/** `--out-metrics` is repeatable: each value parsed (a bad one is ERR_CLI_USAGE with the accepted forms) and kept. */
function outputArg(value: string, previous: OutputSpec[]): OutputSpec[] {
  try {
    return [...previous, parseOutputSpec(value)]
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message)
  }
}

export { worstExitCode } from '../../record/exit-code.ts'

/** One line of the closing table of a batch. */
export interface BatchRow {
  scenario: string
  result: 'passed' | 'failed' | 'aborted' | 'errored' | 'refused' | 'interrupted' | 'not run'
  exitCode: number
  /** The run folder, or why there is none. */
  where: string
}

/** What a run's outcome reads as in the closing table. */
export function batchResult(
  outcome: Pick<RunOutcome, 'exitCode' | 'verdict'> & { record: { status: string } },
): BatchRow['result'] {
  const { status } = outcome.record
  if (status === 'interrupted') return 'interrupted'
  if (status === 'aborted') return 'aborted'
  if (status === 'errored') return 'errored'
  return outcome.verdict.pass ? 'passed' : 'failed'
}

/** The closing table of a batch and its totals line. */
export function batchTable(rows: readonly BatchRow[]): string {
  const counts = new Map<string, number>()
  for (const r of rows) counts.set(r.result, (counts.get(r.result) ?? 0) + 1)
  const totals = [...counts].map(([k, n]) => `${n} ${k}`).join(', ')
  return `${table(
    rows.map((r) => [r.scenario, r.result, String(r.exitCode), r.where]),
    ['scenario', 'result', 'exit', 'run folder'],
  )}\n${rows.length} scenarios: ${totals}; exit ${worstExitCode(rows.map((r) => r.exitCode))}`
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run game days: stand up the stack, drive load, inject the timeline, score the SLOs, write reports')
    .argument('[paths...]', 'scenario files or directories (every *.yaml in them)', ['scenarios/'])
    .addOption(new Option('--engine <id>', 'load engine').choices(['embedded', 'k6']).default('embedded'))
    .addOption(
      new Option('--runtime <id>', 'how the reference components start')
        .choices(['process', 'containers', 'external'])
        .default('process'),
    )
    .option('--out <dir>', 'reports root; each run goes to <dir>/<scenario-id>/<run-id>/', 'reports')
    .option('--reporter <list>', 'comma-separated reporter ids (default: all of json, junit, markdown, html)', listArg)
    .option('--seed <n>', 'seed for schedules and jitter (same seed, same run plan)', intArg('--seed'))
    .option('--quiet', 'no live progress; print only the run folders', false)
    .option(
      '--smoke',
      'a quick end-to-end check: every scenario at a quarter of its length (floors keep 10 s of load); fault params and probe timeouts unchanged',
      false,
    )
    .option(
      '--prometheus',
      'run a real Prometheus (PROMETHEUS_BIN or PATH) beside the stack with the SLO burn-rate alerts in game-day windows; record time to detect per alert',
      false,
    )
    .option(
      '--out-metrics <output>',
      `stream the engine's metrics (request counts, errors by reason, latency buckets) while the run goes on, tagged with the run id, like k6's --out: ${acceptedOutputForms()}; repeatable`,
      outputArg,
      [],
    )
    .action(async (paths: string[], flags: RunFlags) => {
      const { loadEach } = await import('../../scenario/load.ts')
      let { loaded, refused } = await loadEach(paths)
      // one file: its errors are the command's error (exit 104); several: a bad file is refused, the rest run
      const single = loaded.length + refused.length === 1
      if (single && refused[0]) throw refused[0].error
      if (flags.smoke) {
        const { smokePlan } = await import('../smoke.ts')
        const kept: typeof loaded = []
        for (const l of loaded) {
          try {
            kept.push({ ...l, scenario: smokePlan(l.scenario) })
          } catch (e) {
            if (single || !isGamedayError(e)) throw e
            refused = [...refused, { source: l.source, error: e }]
          }
        }
        loaded = kept
      }
      if (flags.reporter) {
        const { reporters } = await import('../../report/index.ts')
        const unknown = flags.reporter.filter((r) => !Object.hasOwn(reporters, r))
        if (unknown.length > 0) {
          const known = Object.keys(reporters)
          throw new GamedayError(
            'ERR_UNKNOWN_UNIT',
            `--reporter: unknown reporter ${unknown.map((u) => JSON.stringify(u)).join(', ')}`,
            {
              hint:
                known.length > 0
                  ? `registered reporters: ${known.join(', ')}`
                  : 'no reporters are registered in this build',
            },
          )
        }
      }
      const { runScenario } = await import('../../runner/run.ts')
      const { createLogger } = await import('../../log.ts')
      const tty = process.stderr.isTTY === true
      // JSON log lines would tear the live block on a TTY and clutter --quiet: warnings only there, unless LOG_LEVEL says otherwise
      const log = createLogger({
        name: 'runner',
        level: process.env.LOG_LEVEL ?? (flags.quiet || tty ? 'warn' : 'info'),
      })

      const controller = new AbortController()
      let signals = 0
      const onSignal = (sig: NodeJS.Signals) => {
        signals++
        if (signals === 1) {
          err(`\n${sig}: aborting; reverting faults and writing the report (again to exit at once)`)
          controller.abort(new GamedayError('ERR_RUN_ABORTED', `interrupted by ${sig}`))
        } else {
          err(`${sig}: exiting now; faults may still be active`)
          process.exit(105)
        }
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      const rows: BatchRow[] = []
      for (const r of refused) {
        err(`${r.source}: refused, not run`)
        rows.push({
          scenario: r.source,
          result: 'refused',
          exitCode: printError(r.error),
          where: `${r.error.code} (no run folder)`,
        })
      }
      try {
        for (const { scenario, source } of loaded) {
          if (controller.signal.aborted) break
          const progress = createProgress(scenario.id, { quiet: flags.quiet, tty })
          let outcome: RunOutcome
          try {
            outcome = await runScenario(scenario, {
              engine: flags.engine,
              runtime: flags.runtime,
              outDir: flags.out,
              ...(flags.reporter ? { reporters: flags.reporter } : {}),
              ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
              ...(flags.prometheus ? { prometheus: true } : {}),
              ...(flags.outMetrics.length ? { metricsOutputs: flags.outMetrics } : {}),
              signal: controller.signal,
              log,
              onProgress: (p) => progress.update(p),
              onError: (e) => progress.note(formatError(e)),
              source,
            })
          } catch (e) {
            progress.done()
            // one scenario's failure must not hide the others' results (nightly CI runs a folder)
            if (single || !isGamedayError(e)) throw e
            const code = printError(e)
            rows.push({
              scenario: scenario.id,
              result: code === 104 ? 'refused' : code === 105 ? 'interrupted' : 'errored',
              exitCode: code,
              where: `${e.code} (no run folder)`,
            })
            continue
          }
          progress.done()
          rows.push({
            scenario: scenario.id,
            result: batchResult(outcome),
            exitCode: outcome.exitCode,
            where: outcome.runDir,
          })
          if (!flags.quiet) {
            const { formatRunSummary } = await import('../summary.ts')
            const { slos } = await import('../../slo/index.ts')
            err(formatRunSummary(outcome.record, outcome.verdict, slos))
            const { status, error } = outcome.record
            const what =
              status === 'interrupted'
                ? 'interrupted; the partial report is marked interrupted'
                : status === 'aborted'
                  ? `aborted by ${outcome.record.abortedBy ?? 'an abort condition'}`
                  : status === 'errored'
                    ? `the run errored: ${error?.code ?? 'error'} ${error?.message ?? ''}`.trim()
                    : outcome.verdict.pass
                      ? 'every SLO held'
                      : 'an SLO broke'
            err(`${scenario.id}: ${what} (score ${outcome.verdict.score.toFixed(2)}, exit ${outcome.exitCode})`)
          }
          out(outcome.runDir)
        }
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      if (!single) {
        const ran = new Set(rows.map((r) => r.scenario))
        for (const { scenario } of loaded)
          if (!ran.has(scenario.id))
            rows.push({
              scenario: scenario.id,
              result: 'not run',
              exitCode: 105,
              where: 'interrupted before it started',
            })
        err('')
        err(batchTable(rows))
      }
      const code = controller.signal.aborted ? 105 : worstExitCode(rows.map((r) => r.exitCode))
      if (code !== 0) process.exitCode = code
    })
}
