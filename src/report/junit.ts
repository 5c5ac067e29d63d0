/**
 * `junit` — `junit.xml` for CI systems: one testsuite per scenario, one
 * testcase per SLO — per SLO × RS for the SLOs scored per resource server, and per RS × attack of jwt-attacks (S2) —
 * (plus the steady-state checks), a failure with measured vs objective, the
 * second it first broke, when (or whether) the RS was back under the
 * objective, and the attribution. Shape of the common JUnit XSD
 * (testsuites › testsuite › testcase › failure | skipped).
 */
import type { RunRecord } from '../record/index.ts'
import type { SloScore, Verdict } from '../slo/types.ts'
import { shownValue } from '../slo/per-rs.ts'
import { parseThreshold } from '../slo/threshold.ts'
import { atSeconds, escapeXml as x, formatMeasured, runEnding, sloLabel } from './format.ts'
import { attackCell, attackFindings } from './attack-table.ts'
import { type RsFacts, recoveryPhrase, rsFacts } from './per-rs.ts'
import type { ReporterDefinition } from './types.ts'

interface Case {
  name: string
  failure?: { message: string; type: string; body: string }
  skipped?: string
}

/** `, back under the objective 4.0s after revert (at 24.0s)` or `, never back under the objective`, when told for this SLO at this RS. */
function recovered(facts: readonly RsFacts[], slo: string, rs: string | undefined): string {
  const r = facts.find((f) => f.rs === rs)?.recoveries.find((x) => x.slo === slo)
  if (!r) return ''
  return r.recoveredAt === null ? ', never back under the objective' : `, back under the objective ${recoveryPhrase(r)}`
}

/** One case per RS of a per-RS score, worst first. */
function rsCases(s: SloScore, facts: readonly RsFacts[]): Case[] {
  const t = parseThreshold(s.objective)
  return s.perRs!.map((r) => {
    const name = `${s.id}@${r.rs} ${s.title} [${s.objective}, ${s.window}]`
    if (r.noData)
      return s.pass
        ? { name, skipped: `no data for ${r.rs} in the ${s.window} window` }
        : {
            name,
            failure: {
              message: `no data for ${r.rs} in the ${s.window} window (objective ${s.objective})`,
              type: 'slo.no_data',
              body: '',
            },
          }
    if (r.pass) return { name }
    const message = `${r.rs}: measured ${shownValue(t, r.measured)} vs objective ${s.objective}${r.firstBrokeAt !== undefined ? `, first broke at ${atSeconds(r.firstBrokeAt)}` : ''}${recovered(facts, s.id, r.rs)}`
    const body = [
      message,
      r.reason ? `most rejections: ${r.reason}` : '',
      r.forceFail ?? '',
      s.attribution ? `attribution: ${s.attribution}` : '',
    ]
      .filter(Boolean)
      .join('\n')
    return { name, failure: { message, type: 'slo.breached', body } }
  })
}

function sloCase(s: SloScore, facts: readonly RsFacts[]): Case {
  const name = `${sloLabel(s)} ${s.title} [${s.objective}, ${s.window}]`
  if (!s.pass) {
    const measured = formatMeasured(s)
    const message = s.noData
      ? `no data in the ${s.window} window (objective ${s.objective})`
      : `measured ${measured} vs objective ${s.objective}${s.firstBrokeAt !== undefined ? `, first broke at ${atSeconds(s.firstBrokeAt)}` : ''}${recovered(facts, s.id, s.target ?? (facts.length === 1 ? facts[0]!.rs : undefined))}`
    const body = [
      message,
      s.attribution ? `attribution: ${s.attribution}` : '',
      s.budgetConsumed !== null ? `error budget consumed: ${Math.round(s.budgetConsumed * 1000) / 10}%` : '',
    ]
      .filter(Boolean)
      .join('\n')
    return { name, failure: { message, type: s.noData ? 'slo.no_data' : 'slo.breached', body } }
  }
  if (s.noData) return { name, skipped: `no data in the ${s.window} window` }
  return { name }
}

/** `2026-01-02T03:04:05` — the XSD's timestamp has no zone and no fraction. */
function xsdTimestamp(iso: string): string {
  return iso.replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '')
}

export const junit: ReporterDefinition = {
  id: 'junit',
  summary: 'junit.xml: one testsuite per scenario, one testcase per SLO, for CI systems',
  render(record: RunRecord, verdict: Verdict) {
    const facts = rsFacts(record, verdict)
    const cases = verdict.slos.flatMap((s) => (s.perRs?.length ? rsCases(s, facts) : [sloCase(s, facts)]))
    // one case per RS × attack of the jwt-attacks probe and the DPoP abuse faults (S2): an accepted attack or an attacker-URL fetch fails it
    for (const f of attackFindings(record)) {
      const name = `S2@${f.rs} attack ${f.attack}`
      const cell = attackCell(f)
      if (f.applicable === false) cases.push({ name, skipped: `${f.attack} does not apply to ${f.rs}` })
      else if (f.accepted || f.fetchedAttackerUrl)
        cases.push({
          name,
          failure: {
            message: `${f.rs}: ${cell}`,
            type: 'attack.accepted',
            body: `${f.rs} ${cell} the ${f.attack} attack`,
          },
        })
      else cases.push({ name })
    }
    for (const [when, check] of [
      ['before', verdict.steadyState.before],
      ['after', verdict.steadyState.after],
    ] as const) {
      if (!check) continue
      cases.push(
        check.held
          ? { name: `steady state ${when}` }
          : {
              name: `steady state ${when}`,
              failure: {
                message: `steady state did not hold ${when}: ${check.failed.join(', ')}`,
                type: 'steady_state.deviated',
                body: check.failed.join('\n'),
              },
            },
      )
    }
    const aborted = record.status === 'aborted' || record.status === 'interrupted'
    const errors = aborted || record.error ? 1 : 0
    const failures = cases.filter((c) => c.failure).length
    const skipped = cases.filter((c) => c.skipped).length
    const tests = cases.length + errors
    const time = (record.load.durationMs / 1000).toFixed(3)
    const cls = `oauth-gameday.${record.scenarioId}`
    const lines = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="oauth-gameday" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">`,
      `  <testsuite name="${x(record.scenarioId)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${xsdTimestamp(record.startedAt)}" hostname="localhost" id="0" package="oauth-gameday">`,
      '    <properties>',
      ...(
        [
          ['runId', record.runId],
          ['title', record.title],
          ['status', record.status],
          ['engine', record.engine.id],
          ['runtime', record.runtime],
          ['seed', String(record.seed)],
          ['score', String(Math.round(verdict.score * 1000) / 1000)],
          ['exitCode', String(verdict.exitCode)],
        ] as const
      ).map(([k, v]) => `      <property name="${k}" value="${x(v)}"/>`),
      '    </properties>',
    ]
    // how a run that did not complete ended comes first
    if (errors) {
      const msg = record.error ? `${record.error.code}: ${record.error.message}` : `run ${record.status}`
      const ending = runEnding(record, verdict)
      const body = ending ? `the run ${ending}` : msg
      lines.push(
        `    <testcase classname="${x(cls)}" name="run completed" time="${time}">`,
        `      <error message="${x(msg)}" type="${x(record.error?.code ?? `run.${record.status}`)}">${x(body)}</error>`,
        '    </testcase>',
      )
    }
    for (const c of cases) {
      const open = `    <testcase classname="${x(cls)}" name="${x(c.name)}" time="0"`
      if (c.failure)
        lines.push(
          `${open}>`,
          `      <failure message="${x(c.failure.message)}" type="${x(c.failure.type)}">${x(c.failure.body)}</failure>`,
          '    </testcase>',
        )
      else if (c.skipped) lines.push(`${open}>`, `      <skipped message="${x(c.skipped)}"/>`, '    </testcase>')
      else lines.push(`${open}/>`)
    }
    lines.push('    <system-out/>', '    <system-err/>', '  </testsuite>', '</testsuites>', '')
    return [{ name: 'junit.xml', content: lines.join('\n') }]
  },
}
