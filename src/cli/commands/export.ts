/** `export k6 <scenario>`: the scenario's load as a k6 script, to run with your own k6 setup. */
import type { Command } from 'commander'
import { importUnit } from '../lazy.ts'
import { out } from '../output.ts'
import { intArg } from '../program.ts'

export function registerExport(program: Command): void {
  const exp = program.command('export').description('export a scenario for another tool')
  exp
    .command('k6')
    .description("write the scenario's load as k6 script(s)")
    .argument('<scenario>', 'scenario file')
    .option('--out <dir>', 'output folder', 'k6-scripts')
    .option('--parallelism <n>', 'split the load into N scripts (for k6 shards)', intArg('--parallelism', 1), 1)
    .action(async (path: string, opts: { out: string; parallelism: number }) => {
      const { loadScenario } = await import('../../scenario/load.ts')
      const { scenario } = await loadScenario(path, { skipSecrets: true })
      type Result = { files?: string[] } | string[] | undefined
      const exportK6 = await importUnit<(s: unknown, o: object) => Promise<Result>>('src/load/k6/export.ts', 'exportK6', 'export k6')
      const r = await exportK6(scenario, { outDir: opts.out, parallelism: opts.parallelism })
      const files = Array.isArray(r) ? r : (r?.files ?? [])
      for (const f of files) out(f)
      if (files.length === 0) out(opts.out)
    })
}
