/** `compare <old> <new>`: what changed between two recorded runs (for nightly CI). */
import type { Command } from 'commander'
import type { RunRecord } from '../../record.ts'
import { importUnit } from '../lazy.ts'
import { out } from '../output.ts'
import { readRecord } from './report.ts'

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two recorded runs (run.json): SLO margins, latency and error-rate deltas')
    .argument('<old>', 'the baseline run.json')
    .argument('<new>', 'the run.json to compare with it')
    .option('--json', 'print the comparison as JSON', false)
    .action(async (oldPath: string, newPath: string, opts: { json: boolean }) => {
      const [a, b] = await Promise.all([readRecord(oldPath), readRecord(newPath)])
      type Comparison = { text?: string; markdown?: string; regressed?: boolean; exitCode?: number }
      const compareRuns = await importUnit<(a: RunRecord, b: RunRecord) => Comparison | string | Promise<Comparison | string>>('src/report/compare.ts', 'compareRuns', 'compare')
      const result = await compareRuns(a, b)
      if (typeof result === 'string') out(result)
      else {
        out(opts.json ? JSON.stringify(result, null, 2) : (result.text ?? result.markdown ?? JSON.stringify(result, null, 2)))
        if (result.exitCode) process.exitCode = result.exitCode
        else if (result.regressed) process.exitCode = 99
      }
    })
}
