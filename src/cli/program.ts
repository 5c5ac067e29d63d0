/**
 * The `oauth-gameday` command tree. Building it has no side effects, so
 * `scripts/gen.ts` can render `docs/cli.md` from the same help the user sees;
 * only `main.ts` parses argv and exits.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { GamedayError } from '../errors.ts'
import { PACKAGE_VERSION } from '../util/package-root.ts'
import { registerCapacity } from './commands/capacity.ts'
import { registerCompare } from './commands/compare.ts'
import { registerExport } from './commands/export.ts'
import { registerList } from './commands/list.ts'
import { registerPlan } from './commands/plan.ts'
import { registerReport } from './commands/report.ts'
import { registerRun } from './commands/run.ts'
import { registerServe } from './commands/serve.ts'
import { registerValidate } from './commands/validate.ts'

/** Help text width, fixed so the generated docs do not depend on the terminal. */
export const HELP_WIDTH = 100

/**
 * Build the command tree.
 *
 * @example
 * ```ts
 * await buildProgram().parseAsync(['node', 'oauth-gameday', 'validate', 'scenarios/'])
 * ```
 */
export function buildProgram(): Command {
  const program = new Command('oauth-gameday')
    .description('Chaos and load-testing harness for OAuth 2.0: game days, nightly resilience runs, capacity planning')
    .version(PACKAGE_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureHelp({ helpWidth: HELP_WIDTH, sortSubcommands: false, showGlobalOptions: false })
    .configureOutput({ outputError: () => {}, getOutHasColors: () => false, getErrHasColors: () => false })
    .addHelpText(
      'after',
      '\nExit codes: 0 every SLO held, 99 an SLO broke, 104 invalid scenario or flags, 105 aborted, 1 internal error.',
    )
  registerRun(program)
  registerValidate(program)
  registerPlan(program)
  registerList(program)
  registerServe(program)
  registerReport(program)
  registerCompare(program)
  registerCapacity(program)
  registerExport(program)
  return program
}

/** Turn a commander parse error into ERR_CLI_USAGE (exit 104); help and version are not errors. */
export function fromCommanderError(e: CommanderError): GamedayError | undefined {
  if (
    e.exitCode === 0 ||
    e.code === 'commander.helpDisplayed' ||
    e.code === 'commander.version' ||
    e.code === 'commander.help'
  )
    return undefined
  const [first = e.message, ...rest] = e.message.split('\n')
  const message = first.replace(/^error: /, '')
  const suggestion = rest.join(' ').match(/\(Did you mean (.+)\?\)/)
  const hint = suggestion ? `did you mean ${suggestion[1]}? (see --help)` : 'run the command with --help'
  return new GamedayError('ERR_CLI_USAGE', message, { hint })
}

export { CommanderError }

/** Parse a non-negative integer flag value. */
export function intArg(name: string, min = 0): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min} (got ${JSON.stringify(value)})`)
    return Number(value)
  }
}

/** Parse a positive number flag value. */
export function numberArg(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a number > 0 (got ${JSON.stringify(value)})`)
    return n
  }
}

/** Parse a comma-separated list flag value. */
export function listArg(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}
