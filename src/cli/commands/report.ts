/** `report <run.json>`: re-score a recorded run and render it again, in any format. */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { GamedayError } from '../../errors.ts'
import type { RunRecord } from '../../record.ts'
import type { SloEntry } from '../../scenario/schema.ts'
import type { Verdict } from '../../slo/types.ts'
import { out } from '../output.ts'
import { listArg } from '../program.ts'

/** Read and check a run.json (`{ schemaVersion, record, verdict }`, as the json reporter writes it). */
export async function readRunFile(path: string): Promise<{ record: RunRecord; verdict: Verdict }> {
  const { readRunJson } = await import('../../report/json.ts')
  return readRunJson(path)
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render reports again from a recorded run (run.json), in any format')
    .argument('<run.json>', 'a run record written by `run`, or a folder of runs (its newest)')
    .option('--format <list>', 'comma-separated reporter ids: json, junit, markdown, html', listArg, ['markdown'])
    .option('--out <dir>', 'where to write the files (default: next to run.json)')
    .option(
      '--rescore',
      'score the record again with the current SLO code instead of using the recorded verdict',
      false,
    )
    .option(
      '--exit-code',
      "exit with the run's verdict code (99 when an SLO broke) instead of 0 once the reports are written",
      false,
    )
    .action(async (given: string, opts: { format: string[]; out?: string; rescore: boolean; exitCode: boolean }) => {
      // a run folder or a folder of runs stands for its newest run.json
      const { runFilesUnder } = await import('./compare.ts')
      const runs = await runFilesUnder(given)
      if (runs.length === 0)
        throw new GamedayError('ERR_RUN_NOT_FOUND', `${given}: holds no run.json`, {
          hint: 'give a run.json written by `oauth-gameday run`, or its folder',
        })
      const path = runs[runs.length - 1]!
      const { record, verdict: recorded } = await readRunFile(path)
      const { reporters } = await import('../../report/index.ts')
      for (const f of opts.format) {
        if (!Object.hasOwn(reporters, f)) {
          const known = Object.keys(reporters)
          throw new GamedayError('ERR_UNKNOWN_UNIT', `--format: unknown reporter ${JSON.stringify(f)}`, {
            hint:
              known.length > 0
                ? `registered reporters: ${known.join(', ')}`
                : 'no reporters are registered in this build',
          })
        }
      }
      let verdict = recorded
      if (opts.rescore) {
        const { scoreRun } = await import('../../slo/score.ts')
        const scenario = (record.scenario ?? {}) as { slos?: SloEntry[]; steadyState?: string[] }
        verdict = scoreRun(record, scenario.slos ?? [], scenario.steadyState ?? [])
      }
      const dir = opts.out ?? dirname(path)
      await mkdir(dir, { recursive: true })
      for (const f of opts.format) {
        for (const file of await reporters[f]!.render(record, verdict)) {
          const target = join(dir, file.name)
          await writeFile(target, file.content)
          out(target)
        }
      }
      // rendering succeeded: 0, unless asked to mirror the verdict
      if (opts.exitCode && verdict.exitCode !== 0) process.exitCode = verdict.exitCode
    })
}
