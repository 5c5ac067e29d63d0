/**
 * `markdown` — `summary.md`: short enough for a CI job summary or a PR
 * comment. Verdict, SLO table, probe results, the top attributions.
 */
import type { RunRecord } from '../record.ts'
import type { Verdict } from '../slo/types.ts'
import { maskSecrets } from '../util/secrets.ts'
import { formatBudget, formatMargin, formatMeasured, formatProbe, sloLabel, sloStatus, verdictWord } from './format.ts'
import type { ReporterDefinition } from './types.ts'

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

export const markdown: ReporterDefinition = {
  id: 'markdown',
  summary: 'summary.md: verdict, SLO table, probes and top attributions for a CI summary or PR comment',
  render(record: RunRecord, verdict: Verdict) {
    const word = verdictWord(record, verdict)
    const icon = word === 'PASS' ? '✅' : word === 'ABORTED' ? '⚠️' : '❌'
    const out = [
      `# ${icon} ${word} — ${cell(record.scenarioId)}`,
      '',
      `${cell(record.title)}  `,
      `run \`${record.runId}\` · ${record.startedAt} · ${(record.load.durationMs / 1000).toFixed(0)}s · engine ${record.engine.id} · runtime ${record.runtime} · seed ${record.seed} · score ${(verdict.score * 100).toFixed(0)}% · exit ${verdict.exitCode}`,
      '',
    ]
    const ss = verdict.steadyState
    if (ss.before || ss.after) {
      const f = (c: { held: boolean; failed: string[] } | null) =>
        c === null ? 'not checked' : c.held ? 'held' : `deviated (${c.failed.join(', ')})`
      out.push(`Steady state: before ${f(ss.before)}, after ${f(ss.after)}`, '')
    }
    out.push('| SLO | objective | window | measured | margin | budget | status |', '|---|---|---|---|---|---|---|')
    for (const s of verdict.slos) {
      out.push(
        `| ${cell(`${sloLabel(s)} ${s.title}`)} | \`${cell(s.objective)}\` | ${s.window} | ${formatMeasured(s)} | ${formatMargin(s)} | ${formatBudget(s)} | ${sloStatus(s)} |`,
      )
    }
    if (record.probes.length) {
      out.push('', '**Probes**', '')
      for (const p of record.probes)
        out.push(
          `- ${cell(p.name)} (\`${p.probe}\`): ${formatProbe(p)}${p.status !== 'ok' ? ` — ${p.status}${p.error ? `: ${cell(p.error)}` : ''}` : ''}`,
        )
    }
    const attributions = verdict.slos.filter((s) => s.attribution).slice(0, 3)
    if (attributions.length) {
      out.push('', '**Why it broke**', '')
      for (const s of attributions) out.push(`- ${sloLabel(s)}: ${cell(s.attribution!)}`)
    }
    if (record.error) out.push('', `**Error** \`${record.error.code}\`: ${cell(record.error.message)}`)
    out.push('')
    return [{ name: 'summary.md', content: maskSecrets(out.join('\n')) }]
  },
}
