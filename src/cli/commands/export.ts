/** `export k6 <scenario>`: the scenario's load as a k6 script, to run with your own k6 setup. */
import type { Command } from 'commander'
import { out } from '../output.ts'
import { intArg } from '../program.ts'

export function registerExport(program: Command): void {
  const exp = program.command('export').description('export a scenario for another tool')
  exp
    .command('k6')
    .description("write the scenario's load as k6 script(s)")
    .argument('<scenario>', 'scenario file')
    .option('--out <dir>', 'output folder (default: k6-export/<scenario-id>)')
    .option('--parallelism <n>', 'split the load into N scripts (for k6 shards)', intArg('--parallelism', 1), 1)
    .action(async (path: string, opts: { out?: string; parallelism: number }) => {
      const { loadScenario } = await import('../../scenario/load.ts')
      const { scenario } = await loadScenario(path, { skipSecrets: true })
      const { exportK6 } = await import('../../load/k6/export.ts')
      const { dir, files } = await exportK6(scenario, {
        ...(opts.out ? { out: opts.out } : {}),
        parallelism: opts.parallelism,
      })
      out(dir)
      for (const f of files) out(`  ${f}`)
    })
}
