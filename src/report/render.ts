/**
 * Render and write reports by reporter id: what the runner does at the end of
 * a run, and what `oauth-gameday report run.json --format …` does from a
 * saved run.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GamedayError } from '../errors.ts'
import type { RunRecord } from '../record.ts'
import type { Verdict } from '../slo/types.ts'
import { reporters } from './index.ts'
import { readRunJson } from './json.ts'
import type { ReportFile } from './types.ts'

/**
 * Render the given reporters (default: all registered) in order.
 *
 * @example const files = await renderReports(record, verdict, ['markdown', 'junit'])
 * @throws GamedayError ERR_UNKNOWN_UNIT for an unknown reporter id
 */
export async function renderReports(
  record: RunRecord,
  verdict: Verdict,
  ids: readonly string[] = Object.keys(reporters),
): Promise<ReportFile[]> {
  const out: ReportFile[] = []
  for (const id of ids) {
    const r = reporters[id]
    if (!r)
      throw new GamedayError('ERR_UNKNOWN_UNIT', `unknown reporter ${JSON.stringify(id)}`, {
        hint: `reporters: ${Object.keys(reporters).join(', ')}`,
      })
    out.push(...(await r.render(record, verdict)))
  }
  return out
}

/**
 * Re-render reports from a saved `run.json` into `outDir` (default: next to it).
 *
 * @example await rerenderRunJson('reports/baseline/run-1/run.json', ['html'])
 * @returns the paths written
 * @throws GamedayError ERR_RECORD_INVALID, ERR_UNKNOWN_UNIT
 */
export async function rerenderRunJson(path: string, ids: readonly string[], outDir?: string): Promise<string[]> {
  const { record, verdict } = readRunJson(path)
  const dir = outDir ?? join(path, '..')
  await mkdir(dir, { recursive: true })
  const written: string[] = []
  for (const f of await renderReports(record, verdict, ids)) {
    const p = join(dir, f.name)
    await writeFile(p, f.content)
    written.push(p)
  }
  return written
}
