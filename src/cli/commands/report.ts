/** `report <run.json>`: re-score a recorded run and render it again, in any format. */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { GamedayError } from '../../errors.ts'
import type { RunRecord } from '../../record.ts'
import type { SloEntry } from '../../scenario/schema.ts'
import type { Verdict } from '../../slo/types.ts'
import { importUnit } from '../lazy.ts'
import { out } from '../output.ts'
import { listArg } from '../program.ts'

/** Read a run.json and check the fields scoring relies on. */
export async function readRecord(path: string): Promise<RunRecord> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new GamedayError('ERR_RECORD_INVALID', `${path}: cannot read the run record`, { cause, hint: 'pass the run.json of a run folder (reports/<scenario>/<run-id>/run.json)' })
  }
  let record: Partial<RunRecord>
  try {
    record = JSON.parse(text) as Partial<RunRecord>
  } catch (cause) {
    throw new GamedayError('ERR_RECORD_INVALID', `${path}: not JSON`, { cause })
  }
  const missing = (['runId', 'scenarioId', 'load', 'events', 'phases', 'windows'] as const).filter((k) => record[k] === undefined)
  if (record.schemaVersion !== 1 || missing.length > 0) {
    throw new GamedayError('ERR_RECORD_INVALID', `${path}: not a run record of this version (schemaVersion ${JSON.stringify(record.schemaVersion)}${missing.length > 0 ? `, missing ${missing.join(', ')}` : ''})`)
  }
  return record as RunRecord
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('re-score a recorded run (run.json) and render reports from it')
    .argument('<run.json>', 'a run record written by `run`')
    .option('--format <list>', 'comma-separated reporter ids: json, junit, markdown, html', listArg, ['markdown'])
    .option('--out <dir>', 'where to write the files (default: next to run.json)')
    .action(async (path: string, opts: { format: string[]; out?: string }) => {
      const record = await readRecord(path)
      const { reporters } = await import('../../report/index.ts')
      for (const f of opts.format) {
        if (!Object.hasOwn(reporters, f)) {
          const known = Object.keys(reporters)
          throw new GamedayError('ERR_UNKNOWN_UNIT', `--format: unknown reporter ${JSON.stringify(f)}`, { hint: known.length > 0 ? `registered reporters: ${known.join(', ')}` : 'no reporters are registered in this build' })
        }
      }
      const scoreRun = await importUnit<(r: RunRecord, s: readonly SloEntry[], st: readonly string[]) => Verdict>('src/slo/score.ts', 'scoreRun', 'report')
      const scenario = (record.scenario ?? {}) as { slos?: SloEntry[]; steadyState?: string[] }
      const verdict = scoreRun(record, scenario.slos ?? [], scenario.steadyState ?? [])
      const dir = opts.out ?? dirname(path)
      await mkdir(dir, { recursive: true })
      for (const f of opts.format) {
        for (const file of await reporters[f]!.render(record, verdict)) {
          const target = join(dir, file.name)
          await writeFile(target, file.content)
          out(target)
        }
      }
      if (verdict.exitCode !== 0) process.exitCode = verdict.exitCode
    })
}
