/**
 * `markdown` — `summary.md`: short enough for a CI job summary or a PR
 * comment. How the run ended when it did not complete, the verdict, the SLO
 * table with the second each broken SLO first broke, a per-RS table (what
 * each resource server went through) and the per-RS scores, probe results,
 * the top attributions. Probe results are a table (value, status, when); their
 * per-RS figures are in the per-RS table.
 */
import type { RunRecord } from '../record/index.ts'
import type { Verdict } from '../slo/types.ts'
import { attackTable } from './attack-table.ts'
import { alertRows, alertWindowsLine } from './alert-rows.ts'
import { parseThreshold } from '../slo/threshold.ts'
import { shownValue } from '../slo/per-rs.ts'
import {
  atSeconds,
  formatBudget,
  formatMargin,
  formatMeasured,
  formatProbe,
  runEnding,
  sloLabel,
  sloStatus,
  verdictWord,
} from './format.ts'
import { type RsFacts, recoveryPhrase, rsFacts } from './per-rs.ts'
import type { ReporterDefinition } from './types.ts'

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(Math.round(v * 1000) / 10).toFixed(1)}%`)
const ms = (v: number | null | undefined) =>
  v === undefined ? '–' : v === null ? 'never' : v >= 1000 ? `${(v / 1000).toFixed(1)}s` : `${Math.round(v)}ms`

function recovery(f: RsFacts): string {
  if (f.recoveries.length) return f.recoveries.map((r) => `${r.slo} ${recoveryPhrase(r)}`).join('; ')
  if (!f.firstRejection) return f.recoverFrom || f.acceptedFault !== undefined ? 'did not break' : '–'
  if (f.recoveredAt === undefined) return '–'
  if (f.recoveredAt === null) return 'never'
  const from = f.recoverFrom!
  const d = f.recoveredAt - from.at
  return `${d < 0 ? 'before the' : `${(d / 1000).toFixed(1)}s after`} ${from.what} (at ${atSeconds(f.recoveredAt)})`
}

/** The per-RS table: only the columns the record has figures for. */
function rsTable(facts: readonly RsFacts[]): string[] {
  const cols: Array<[string, (f: RsFacts) => string, (f: RsFacts) => boolean]> = [
    ['RS', (f) => f.rs, () => true],
    ['profile', (f) => f.label, () => true],
    ['accepted in fault window', (f) => pct(f.acceptedFault), (f) => f.acceptedFault !== undefined],
    ['accepted after', (f) => pct(f.acceptedAfter), (f) => f.acceptedAfter !== undefined],
    [
      'first rejection',
      (f) => (f.firstRejection ? `${atSeconds(f.firstRejection.at)} (${f.firstRejection.reason})` : '–'),
      (f) => f.firstRejection !== undefined || f.recoverFrom !== undefined,
    ],
    [
      'time to recover (per SLO objective)',
      recovery,
      (f) => f.firstRejection !== undefined || f.recoverFrom !== undefined || f.recoveries.length > 0,
    ],
    ['JWKS refresh (from publication)', (f) => ms(f.jwksRefreshMs), (f) => f.jwksRefreshMs !== undefined],
    ['revocation propagation', (f) => ms(f.revocationMs), (f) => f.revocationMs !== undefined],
    [
      'skew tolerated (ahead / behind)',
      (f) => (f.skew ? `${f.skew.ahead ?? '?'}s / ${f.skew.behind ?? '?'}s` : '–'),
      (f) => f.skew !== undefined,
    ],
    [
      'attacks accepted',
      (f) => (f.attacksAccepted === undefined || f.attacksAccepted === null ? '–' : String(f.attacksAccepted)),
      (f) => f.attacksAccepted !== undefined,
    ],
  ]
  const shown = cols.filter(([, , has]) => facts.some(has))
  return [
    `| ${shown.map(([h]) => h).join(' | ')} |`,
    `|${shown.map(() => '---').join('|')}|`,
    ...facts.map((f) => `| ${shown.map(([, get]) => cell(get(f))).join(' | ')} |`),
  ]
}

export const markdown: ReporterDefinition = {
  id: 'markdown',
  summary: 'summary.md: verdict, SLO table, probes and top attributions for a CI summary or PR comment',
  render(record: RunRecord, verdict: Verdict) {
    const word = verdictWord(record, verdict)
    const icon = word === 'PASS' ? '✅' : word === 'FAIL' ? '❌' : '⚠️'
    const ending = runEnding(record, verdict)
    const out = [
      `# ${icon} ${word} — ${cell(record.scenarioId)}`,
      '',
      ...(ending ? [`> **${word}**: ${cell(ending)}`, ''] : []),
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
    out.push(
      '| SLO | objective | window | measured | margin | budget | status | first broke |',
      '|---|---|---|---|---|---|---|---|',
    )
    for (const s of verdict.slos) {
      const first = s.firstBrokeAt !== undefined ? atSeconds(s.firstBrokeAt) : s.pass ? '' : '–'
      out.push(
        `| ${cell(`${sloLabel(s)} ${s.title}`)} | \`${cell(s.objective)}\` | ${s.window} | ${formatMeasured(s)} | ${formatMargin(s)} | ${formatBudget(s)} | ${sloStatus(s)} | ${first} |`,
      )
    }
    const facts = rsFacts(record, verdict)
    if (facts.length) out.push('', '**Per resource server**', '', ...rsTable(facts))
    const perRs = verdict.slos.filter((s) => s.perRs && !s.noData)
    if (perRs.length) {
      out.push(
        '',
        '**SLOs per resource server**',
        '',
        '| SLO | RS | measured | reason | status | first broke |',
        '|---|---|---|---|---|---|',
      )
      for (const s of perRs) {
        const t = parseThreshold(s.objective)
        for (const r of s.perRs!) {
          const status = r.noData ? 'no data' : r.pass ? 'pass' : 'FAIL'
          out.push(
            `| ${s.id} | ${cell(r.rs)} | ${shownValue(t, r.measured)} | ${cell(r.reason ?? '')} | ${status} | ${r.firstBrokeAt !== undefined ? atSeconds(r.firstBrokeAt) : ''} |`,
          )
        }
      }
    }
    if (record.probes.length) {
      out.push('', '**Probes**', '', '| probe | measures | value | status | when |', '|---|---|---|---|---|')
      for (const p of record.probes)
        out.push(
          `| \`${p.probe}\` | ${cell(p.name)} | ${formatProbe(p)} | ${p.status}${p.error ? `: ${cell(p.error)}` : ''} | ${atSeconds(p.startedAt)}–${atSeconds(p.endedAt)} |`,
        )
    }
    if (record.prometheus) {
      const { rows, silent } = alertRows(record)
      out.push('', '**Alerts (Prometheus)**', '', `Windows: ${cell(alertWindowsLine(record.prometheus))}`, '')
      if (rows.length) {
        out.push(
          '| alert | fault | fired | time to detect | resolved | time to resolve | verdict |',
          '|---|---|---|---|---|---|---|',
        )
        for (const r of rows)
          out.push(
            `| ${cell(r.alert)} | ${cell(r.fault)} | ${r.firedAt} | ${r.timeToDetect} | ${r.resolvedAt} | ${r.timeToResolve} | ${r.verdict} |`,
          )
      } else out.push('No alert fired.')
      if (silent.length) out.push('', `Never fired: ${silent.map((a) => `\`${cell(a)}\``).join(', ')}`)
      if (record.prometheus.skipped.length) out.push('')
      for (const s of record.prometheus.skipped) out.push(`- ${s.id}: no alert (no server-side SLI: ${cell(s.reason)})`)
    }
    const attacks = attackTable(record)
    if (attacks) {
      out.push(
        '',
        '**Attacks** (S2, per RS: JWT attacks, DPoP abuses)',
        '',
        `| attack | ${attacks.rss.map(cell).join(' | ')} |`,
        `|---|${attacks.rss.map(() => '---|').join('')}`,
      )
      for (const row of attacks.rows) out.push(`| ${row.map(cell).join(' | ')} |`)
    }
    const attributions = verdict.slos.filter((s) => s.attribution).slice(0, 3)
    if (attributions.length) {
      out.push('', '**Why it broke**', '')
      for (const s of attributions)
        out.push(`- ${sloLabel(s)}${s.attribution!.startsWith('broke at') ? ' ' : ': '}${cell(s.attribution!)}`)
    }
    if (record.error) {
      out.push('', `**Error** \`${record.error.code}\`: ${cell(record.error.message)}`)
      if (record.error.hint) out.push('', `**Hint**: ${cell(record.error.hint)}`)
    }
    if (record.status === 'aborted') {
      const why = record.phases.find((p) => p.status === 'failed' && p.detail)?.detail
      out.push('', `**Aborted** by ${record.abortedBy ?? 'an abort condition'}${why ? `: ${cell(why)}` : ''}`)
    }
    out.push('')
    return [{ name: 'summary.md', content: out.join('\n') }]
  },
}
