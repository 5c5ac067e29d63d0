/** `capacity <scenario>`: the highest rate at which the SLOs still hold. */
import { type Command, Option } from 'commander'
import { out } from '../output.ts'
import { numberArg } from '../program.ts'

export function registerCapacity(program: Command): void {
  program
    .command('capacity')
    .description('search for the highest arrival rate at which every SLO of a scenario still holds')
    .argument('<scenario>', 'scenario file')
    .option(
      '--max-rate <r>',
      'upper bound of the search (iterations per second; default: 64 x the declared rate)',
      numberArg('--max-rate'),
    )
    .option('--start-rate <r>', 'first rate tried (default: the declared rate)', numberArg('--start-rate'))
    .option('--budget <duration>', 'total time the search may take', '10m')
    .option('--flow <name>', 'step only this flow (default: every arrival-rate flow)')
    .addOption(new Option('--engine <id>', 'load engine').choices(['embedded', 'k6']).default('embedded'))
    .addOption(
      new Option('--runtime <id>', 'how the reference components start')
        .choices(['process', 'containers', 'external'])
        .default('process'),
    )
    .option('--out <dir>', 'reports root; the search goes to <dir>/<scenario-id>/capacity/', 'reports')
    .action(
      async (
        path: string,
        opts: {
          maxRate?: number
          startRate?: number
          budget: string
          flow?: string
          engine: string
          runtime: string
          out: string
        },
      ) => {
        const { parseDuration } = await import('../../util/duration.ts')
        const { GamedayError } = await import('../../errors.ts')
        if (parseDuration(opts.budget) === undefined)
          throw new GamedayError(
            'ERR_CLI_USAGE',
            `--budget: must be a duration like 10m (got ${JSON.stringify(opts.budget)})`,
          )
        // validate first, so a bad scenario is refused before the capacity module loads anything
        const { loadScenario } = await import('../../scenario/load.ts')
        await loadScenario(path)
        const { runCapacity } = await import('../../capacity.ts')
        const controller = new AbortController()
        const abort = () => controller.abort()
        process.once('SIGINT', abort)
        process.once('SIGTERM', abort)
        try {
          const { result, dir } = await runCapacity(path, {
            ...(opts.maxRate !== undefined ? { maxRate: opts.maxRate } : {}),
            ...(opts.startRate !== undefined ? { startRate: opts.startRate } : {}),
            ...(opts.flow !== undefined ? { flow: opts.flow } : {}),
            budget: opts.budget,
            engine: opts.engine,
            runtime: opts.runtime,
            outDir: opts.out,
            signal: controller.signal,
          })
          out(result.statement)
          out(dir)
        } finally {
          process.off('SIGINT', abort)
          process.off('SIGTERM', abort)
        }
        if (controller.signal.aborted) process.exitCode = 105
      },
    )
}
