#!/usr/bin/env node
/**
 * The CLI entry (built to `dist/cli.js`, the package's bin). The only place that
 * catches everything: a known error prints its code, message, details and
 * hint without a stack and exits with its exit code; anything else is a bug.
 */
import { CommanderError } from 'commander'
import { ExitCode } from '../errors.ts'
import { printError } from './output.ts'
import { buildProgram, fromCommanderError } from './program.ts'

async function flush(): Promise<void> {
  await Promise.all([
    new Promise<void>((resolve) => process.stdout.write('', () => resolve())),
    new Promise<void>((resolve) => process.stderr.write('', () => resolve())),
  ])
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[])
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok
  } catch (e) {
    if (e instanceof CommanderError) {
      const usage = fromCommanderError(e)
      return usage ? printError(usage) : ExitCode.ok
    }
    return printError(e)
  }
}

const code = await main(process.argv)
await flush()
process.exit(code)
