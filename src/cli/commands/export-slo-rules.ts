/** `export slo-rules <scenario>`: the scenario's SLOs as Prometheus recording rules and burn-rate alerts. */
import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { GamedayError } from '../../errors.ts'
import { parseDuration } from '../../util/duration.ts'
import { out } from '../output.ts'

const DAY_MS = 86_400_000

export function registerExportSloRules(exp: Command): void {
  exp
    .command('slo-rules')
    .description(
      "write the scenario's SLOs as Prometheus rules (Sloth's series names, multi-window multi-burn-rate alerts)",
    )
    .argument('<scenario>', 'scenario file')
    .option('--period <duration>', 'SLO period (the error budget window); alert windows scale with it', '30d')
    .option('--out <file>', 'write the rule file to FILE instead of stdout')
    .action(async (path: string, opts: { period: string; out?: string }) => {
      const ms = parseDuration(opts.period)
      if (ms === undefined || ms < DAY_MS) {
        throw new GamedayError(
          'ERR_CLI_USAGE',
          `--period: must be a duration of at least 1d (got ${JSON.stringify(opts.period)})`,
          {
            hint: 'use 30d, 28d or 7d; shorter windows than the SRE workbook scaled to a day would be too short for a 1m scrape interval (game-day windows come with `run --prometheus`)',
          },
        )
      }
      const { loadScenario } = await import('../../scenario/load.ts')
      const { scenario } = await loadScenario(path, { skipSecrets: true })
      const { buildSloRules, renderSloRules } = await import('../../prometheus/slo-rules.ts')
      const rules = buildSloRules(scenario, { periodSeconds: Math.round(ms / 1000) })
      const text = renderSloRules(scenario.id, rules)
      for (const s of rules.skipped) process.stderr.write(`${s.id}: no server-side SLI: ${s.reason}\n`)
      if (opts.out) {
        await writeFile(opts.out, text)
        out(opts.out)
      } else process.stdout.write(text)
    })
}
