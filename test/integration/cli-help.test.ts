import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { Command } from 'commander'
import { describe, expect, it, vi } from 'vitest'
import { buildProgram } from '../../src/cli/program.ts'

const run = promisify(execFile)
const BIN = 'dist/cli.js'

// each child is a Node process loading the CLI; on a busy 2-core machine that alone can take seconds
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 })

function allCommands(cmd: Command, trail: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...trail, c.name()], ...allCommands(c, [...trail, c.name()])])
}

/** Help of one command, in process (a child per command would cost seconds each on 2 cores). */
async function helpOf(path: string[]): Promise<string> {
  const program = buildProgram()
  let text = ''
  const capture = (c: Command) => {
    c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s), outputError: () => {} })
    c.commands.forEach(capture)
  }
  capture(program)
  await program.parseAsync([...path, '--help'], { from: 'user' }).catch((e: { code?: string }) => {
    if (e.code !== 'commander.helpDisplayed') throw e
  })
  return text
}

describe('cli --help', () => {
  it('prints usage and every command, exit 0, from the real binary', async () => {
    const { stdout } = await run('node', [BIN, '--help'], { timeout: 120_000 })
    for (const c of ['run', 'validate', 'plan', 'list', 'serve', 'report', 'compare', 'capacity', 'export'])
      expect(stdout).toContain(`  ${c} `)
    expect(stdout).toContain('Exit codes: 0 every SLO held, 99 an SLO broke')
  })

  it('prints the options of run from the real binary', async () => {
    const { stdout } = await run('node', [BIN, 'run', '--help'], { timeout: 120_000 })
    expect(stdout).toContain('Usage: oauth-gameday run [options] [paths...]')
    for (const flag of ['--engine <id>', '--runtime <id>', '--out <dir>', '--reporter <list>', '--seed <n>', '--quiet'])
      expect(stdout).toContain(flag)
  })

  it.each(allCommands(buildProgram()).map((p) => [p.join(' '), p] as const))('works for %s', async (_name, path) => {
    const text = await helpOf(path)
    expect(text).toContain(`Usage: oauth-gameday ${path.join(' ')}`)
    expect(text).toContain('-h, --help')
  })
})
