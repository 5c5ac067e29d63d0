/**
 * `run [paths...]`: every scenario in turn, live progress, the run folder of
 * each on stdout, and the worst exit code. The first SIGINT/SIGTERM aborts
 * the run (faults reverted, the aborted report written, exit 105); a second
 * one exits at once.
 */
import { type Command, Option } from 'commander'
import { GamedayError, isGamedayError } from '../../errors.ts'
import type { RunOutcome } from '../../runner.ts'
import { intArg, listArg } from '../program.ts'
import { createProgress } from '../progress.ts'
import { err, out, printError } from '../output.ts'

interface RunFlags {
  engine: string
  runtime: string
  out: string
  reporter?: string[]
  seed?: number
  quiet: boolean
}

/** Aborted beats internal error beats invalid input beats a broken SLO beats success. */
const SEVERITY = [105, 1, 104, 99, 0]

/** The exit code of a batch of runs: any 105 → 105, else any 1 → 1, else any 104, else any 99, else 0. */
export function worstExitCode(codes: readonly number[]): number {
  for (const c of SEVERITY) if (codes.includes(c)) return c
  return codes.find((c) => c !== 0) ?? 0
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
    .action(async (paths: string[], flags: RunFlags) => {
      const { loadScenarios } = await import('../../scenario/load.ts')
      const loaded = await loadScenarios(paths)
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
      const { runScenario } = await import('../../runner.ts')
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
      const codes: number[] = []
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
              signal: controller.signal,
              log,
              onProgress: (p) => progress.update(p),
              source,
            })
          } catch (e) {
            progress.done()
            // one scenario's failure must not hide the others' results (nightly CI runs a folder)
            if (loaded.length === 1 || !isGamedayError(e)) throw e
            codes.push(printError(e))
            continue
          }
          progress.done()
          codes.push(outcome.exitCode)
          if (!flags.quiet) {
            const { status, error } = outcome.record
            const what =
              status === 'aborted'
                ? 'aborted; the partial report is marked aborted'
                : status === 'failed'
                  ? `the run failed: ${error?.code ?? 'error'} ${error?.message ?? ''}`.trim()
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
      const code = controller.signal.aborted ? 105 : worstExitCode(codes)
      if (code !== 0) process.exitCode = code
    })
}
