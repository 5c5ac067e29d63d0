/** `validate [paths...]`: every error of every file, without running anything. */
import type { Command } from 'commander'
import { isGamedayError } from '../../errors.ts'
import { err, out, printError } from '../output.ts'

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check scenarios against the schema and the cross-field rules, listing every error with file:line:col')
    .argument('[paths...]', 'scenario files or directories (every *.yaml in them)', ['scenarios/'])
    .option('--check-secrets', 'also resolve { env } / { file } secret references', false)
    .action(async (paths: string[], opts: { checkSecrets: boolean }) => {
      const { expandScenarioPaths, loadScenario } = await import('../../scenario/load.ts')
      const files = await expandScenarioPaths(paths)
      let bad = 0
      for (const file of files) {
        try {
          await loadScenario(file, { skipSecrets: !opts.checkSecrets })
          out(`ok  ${file}`)
        } catch (e) {
          if (!isGamedayError(e)) throw e
          bad++
          printError(e)
        }
      }
      if (bad > 0) {
        err(`${bad} of ${files.length} scenario${files.length === 1 ? '' : 's'} invalid`)
        process.exitCode = 104
      }
    })
}
