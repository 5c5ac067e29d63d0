/** `compare <old> <new>`: what changed between two recorded runs (for nightly CI). */
import { type Command, Option } from 'commander'
import { out } from '../output.ts'
import { numberArg } from '../program.ts'
import { readRunFile } from './report.ts'

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two recorded runs (run.json): SLO changes and score; exit 99 when something regressed')
    .argument('<old>', 'the baseline run.json')
    .argument('<new>', 'the run.json to compare with it')
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .option('--threshold <r>', 'relative change below which a measurement counts as unchanged (e.g. 0.1)', numberArg('--threshold'))
    .action(async (oldPath: string, newPath: string, opts: { format: string; threshold?: number }) => {
      const [a, b] = await Promise.all([readRunFile(oldPath), readRunFile(newPath)])
      const { compareRuns } = await import('../../report/compare.ts')
      const result = compareRuns(a, b, opts.threshold === undefined ? {} : { threshold: opts.threshold })
      out(opts.format === 'json' ? JSON.stringify(result, null, 2) : opts.format === 'markdown' ? result.markdown : result.text)
      if (result.regressions.length > 0) process.exitCode = 99
    })
}
