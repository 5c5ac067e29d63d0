/** `compare <old> [new]`: what changed between two recorded runs (for nightly CI). */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Command, Option } from 'commander'
import { GamedayError } from '../../errors.ts'
import { out } from '../output.ts'
import { intArg, numberArg } from '../program.ts'
import { readRunFile } from './report.ts'

/**
 * Every run.json at or under `path` (a file, a run folder, a scenario's
 * folder of runs, or a reports folder of scenarios), newest last. Run folders
 * are named by their start time, so names sort in time order.
 */
export async function runFilesUnder(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => undefined)
  if (!st)
    throw new GamedayError('ERR_RUN_NOT_FOUND', `${path}: no such file or directory`, {
      hint: 'give a run.json, a run folder or a folder of runs (reports/<scenario>)',
    })
  if (!st.isDirectory()) return [path]
  const found: Array<{ file: string; key: string }> = []
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true })
    if (entries.some((e) => e.isFile() && e.name === 'run.json')) {
      found.push({ file: join(dir, 'run.json'), key: dir.split('/').pop() ?? dir })
      return
    }
    if (depth === 0) return
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), depth - 1)
  }
  await walk(path, 2)
  return found.sort((a, b) => a.key.localeCompare(b.key) || a.file.localeCompare(b.file)).map((f) => f.file)
}

/** The two run.json files to compare: two paths (each its newest run), or one folder and the oldest and newest of its `latest` newest runs. */
export async function pickRuns(
  oldPath: string,
  newPath: string | undefined,
  latest: number | undefined,
): Promise<[string, string]> {
  if (newPath === undefined) {
    const runs = await runFilesUnder(oldPath)
    const n = latest ?? 2
    if (runs.length < 2) {
      throw new GamedayError(
        'ERR_RUN_NOT_FOUND',
        `${oldPath}: ${runs.length === 0 ? 'holds no run.json' : 'holds one run only'}; comparing needs two`,
        {
          hint: 'run the scenario again, or give two paths: oauth-gameday compare old/run.json new/run.json',
        },
      )
    }
    const window = runs.slice(-Math.min(n, runs.length))
    return [window[0]!, window[window.length - 1]!]
  }
  if (latest !== undefined)
    throw new GamedayError('ERR_CLI_USAGE', 'compare: --latest takes one folder, not two paths', {
      hint: 'oauth-gameday compare reports/bad-key-rotation --latest 2',
    })
  const newest = async (p: string) => {
    const runs = await runFilesUnder(p)
    if (runs.length === 0)
      throw new GamedayError('ERR_RUN_NOT_FOUND', `${p}: holds no run.json`, {
        hint: 'give a run.json or a folder with runs in it',
      })
    return runs[runs.length - 1]!
  }
  return [await newest(oldPath), await newest(newPath)]
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two recorded runs (run.json): SLO changes and score; exit 99 when something regressed')
    .argument('<old>', 'the baseline: a run.json, or a folder of runs (its newest; with no <new>, see --latest)')
    .argument('[new]', 'the run to compare with it: a run.json or a folder (its newest run)')
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .option(
      '--threshold <r>',
      'relative change below which a measurement counts as unchanged (e.g. 0.1)',
      numberArg('--threshold'),
    )
    .option(
      '--latest <n>',
      'with one folder: compare the oldest of its n newest runs with the newest (default 2: the last two)',
      intArg('--latest', 2),
    )
    .option('--strict', 'refuse (exit 104) runs of different scenarios, objectives or stacks instead of warning', false)
    .addHelpText(
      'after',
      '\nExamples:\n  oauth-gameday compare reports/bad-key-rotation            # the last two runs\n  oauth-gameday compare last-night/run.json reports/baseline',
    )
    .action(
      async (
        oldPath: string,
        newPath: string | undefined,
        opts: { format: string; threshold?: number; latest?: number; strict: boolean },
      ) => {
        const [oldFile, newFile] = await pickRuns(oldPath, newPath, opts.latest)
        const [a, b] = await Promise.all([readRunFile(oldFile), readRunFile(newFile)])
        const { compareRuns } = await import('../../report/compare.ts')
        const result = compareRuns(a, b, opts.threshold === undefined ? {} : { threshold: opts.threshold })
        if (opts.strict && result.mismatches.length > 0) {
          throw new GamedayError('ERR_COMPARE_MISMATCH', `${oldFile} and ${newFile} did not run the same plan`, {
            details: result.mismatches,
            hint: 'compare runs of one scenario with the same objectives and stack, or drop --strict to compare anyway (with warnings)',
          })
        }
        if (newPath === undefined || oldFile !== oldPath || newFile !== newPath)
          process.stderr.write(`compare: ${oldFile} → ${newFile}\n`)
        out(
          opts.format === 'json'
            ? JSON.stringify(result, null, 2)
            : opts.format === 'markdown'
              ? result.markdown
              : result.text,
        )
        if (result.regressions.length > 0) process.exitCode = 99
      },
    )
}
