/** `capacity <scenario>`: the highest rate at which the SLOs still hold. */
import type { Command } from 'commander'
import { numberArg } from '../program.ts'
import { importUnit } from '../lazy.ts'
import { out } from '../output.ts'

export function registerCapacity(program: Command): void {
  program
    .command('capacity')
    .description('search for the highest arrival rate at which every SLO of a scenario still holds')
    .argument('<scenario>', 'scenario file')
    .option('--max-rate <r>', 'upper bound of the search (iterations per second)', numberArg('--max-rate'))
    .option('--budget <duration>', 'total time the search may take', '10m')
    .option('--out <dir>', 'reports root', 'reports')
    .action(async (path: string, opts: { maxRate?: number; budget: string; out: string }) => {
      const { parseDuration } = await import('../../util/duration.ts')
      const { GamedayError } = await import('../../errors.ts')
      if (parseDuration(opts.budget) === undefined) throw new GamedayError('ERR_CLI_USAGE', `--budget: must be a duration like 10m (got ${JSON.stringify(opts.budget)})`)
      const { loadScenario } = await import('../../scenario/load.ts')
      const { scenario, source } = await loadScenario(path)
      type Result = { runDir?: string; maxRate?: number; exitCode?: number; summary?: string }
      const runCapacity = await importUnit<(s: unknown, o: object) => Promise<Result>>('src/capacity.ts', 'runCapacity', 'capacity')
      const controller = new AbortController()
      const abort = () => controller.abort()
      process.once('SIGINT', abort)
      process.once('SIGTERM', abort)
      try {
        const r = await runCapacity(scenario, { ...(opts.maxRate ? { maxRate: opts.maxRate } : {}), budget: opts.budget, outDir: opts.out, signal: controller.signal, source })
        if (r.summary) out(r.summary)
        else if (r.maxRate !== undefined) out(`max rate with every SLO held: ${r.maxRate}/s`)
        if (r.runDir) out(r.runDir)
        if (r.exitCode) process.exitCode = r.exitCode
      } finally {
        process.off('SIGINT', abort)
        process.off('SIGTERM', abort)
      }
      if (controller.signal.aborted) process.exitCode = 105
    })
}
