/**
 * `junit` — `junit.xml` for CI systems: one testsuite per scenario, one
 * testcase per SLO (plus the steady-state checks), a failure with measured
 * vs objective and the attribution. Shape of the common JUnit XSD
 * (testsuites › testsuite › testcase › failure | skipped).
 */
import type { RunRecord } from '../record.ts'
import type { SloScore, Verdict } from '../slo/types.ts'
import { maskSecrets } from '../util/secrets.ts'
import { escapeXml as x, formatMeasured, sloLabel } from './format.ts'
import type { ReporterDefinition } from './types.ts'

interface Case {
  name: string
  failure?: { message: string; type: string; body: string }
  skipped?: string
}

function sloCase(s: SloScore): Case {
  const name = `${sloLabel(s)} ${s.title} [${s.objective}, ${s.window}]`
  if (!s.pass) {
    const measured = formatMeasured(s)
    const message = s.noData
      ? `no data in the ${s.window} window (objective ${s.objective})`
      : `measured ${measured} vs objective ${s.objective}`
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
    const cases = verdict.slos.map(sloCase)
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
    if (errors) {
      const msg = record.error ? `${record.error.code}: ${record.error.message}` : `run ${record.status}`
      lines.push(
        `    <testcase classname="${x(cls)}" name="run completed" time="${time}">`,
        `      <error message="${x(msg)}" type="${x(record.error?.code ?? 'run.aborted')}">${x(msg)}</error>`,
        '    </testcase>',
      )
    }
    lines.push('    <system-out/>', '    <system-err/>', '  </testsuite>', '</testsuites>', '')
    return [{ name: 'junit.xml', content: maskSecrets(lines.join('\n')) }]
  },
}
