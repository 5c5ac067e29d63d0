/** `plan <scenario>`: a dry run that prints what would happen, and when. */
import type { Command } from 'commander'
import type { FaultDefinition } from '../../faults/types.ts'
import type { FlowConfig, Scenario } from '../../scenario/schema.ts'
import type { SloDefinition } from '../../slo/types.ts'
import { formatDuration, parseDuration } from '../../util/duration.ts'
import { out, table } from '../output.ts'

const ms = (d: string | undefined) => (d === undefined ? 0 : (parseDuration(d) ?? 0))
const at = (n: number) => (n === 0 ? '+0s' : `+${formatDuration(n)}`)

function inline(params: Record<string, unknown>): string {
  const entries = Object.entries(params)
  if (entries.length === 0) return ''
  return ` { ${entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')} }`
}

function rateOf(flow: FlowConfig): string {
  switch (flow.executor) {
    case 'constant-arrival-rate':
      return `${flow.rate ?? '?'}/${flow.timeUnit}`
    case 'ramping-arrival-rate':
      return (
        [`${flow.startRate}`, ...(flow.stages ?? []).map((s) => `${s.target} over ${s.duration}`)].join(' → ') +
        ` /${flow.timeUnit}`
      )
    default:
      return `${flow.vus ?? '?'} VUs`
  }
}

/**
 * The plan of a validated scenario as text: stack, flows and rates, the
 * timeline with offsets (faults with params and durations, probes), and the
 * SLOs with objectives and windows.
 */
export function formatPlan(
  scenario: Scenario,
  units: { faults: Record<string, FaultDefinition>; slos: Record<string, SloDefinition> },
): string {
  const lines: string[] = []
  const loadMs = ms(scenario.load.duration)
  lines.push(`${scenario.id}: ${scenario.title}`)
  if (scenario.description) lines.push(scenario.description.trim())
  lines.push('')

  const stack = scenario.stack
  const as = stack.authorizationServer
  lines.push('stack:')
  lines.push(
    as.external
      ? `  authorization server  yours: ${as.external.issuer}`
      : `  authorization server  mock-as (${as.signing.alg}, access tokens ${as.accessTokenTtl}, typ ${as.accessTokenTyp})`,
  )
  for (const rs of stack.resourceServers) {
    lines.push(
      `  resource server       ${rs.name}: ${rs.url ? `yours: ${rs.url}` : `mock-rs profile ${rs.profile ?? 'resilient'}${rs.options ? inline(rs.options) : ''}`} (scope ${rs.scope})`,
    )
  }
  if (stack.jwksCdn)
    lines.push(
      `  jwks cdn              ttl ${stack.jwksCdn.ttl ?? 'origin Cache-Control'}, stale-while-revalidate ${stack.jwksCdn.staleWhileRevalidate}, stale-if-error ${stack.jwksCdn.staleIfError}`,
    )
  if (stack.faultProxy)
    lines.push(
      `  fault proxy           between the resource servers and the AS${stack.faultProxy.tokenTraffic ? ', token traffic too' : ''}`,
    )
  lines.push('')

  lines.push(
    `load: ${scenario.load.duration} (warm-up ${scenario.load.warmup}, graceful stop ${scenario.load.gracefulStop})`,
  )
  lines.push(
    table(
      scenario.load.flows.map((f, i) => {
        const start = ms(f.startTime)
        const end = f.duration ? start + ms(f.duration) : loadMs
        return [
          `  ${f.name ?? `${f.flow}${scenario.load.flows.filter((g) => g.flow === f.flow).length > 1 ? `-${i + 1}` : ''}`}`,
          f.target ? `→ ${f.target}` : '',
          f.executor,
          rateOf(f),
          `${at(start)}..${at(end)}`,
        ]
      }),
    ),
  )
  lines.push('')

  type Row = { t: number; order: number; text: string }
  const events: Row[] = [
    { t: 0, order: 0, text: 'load starts' },
    { t: ms(scenario.load.warmup), order: 1, text: 'warm-up ends' },
    { t: loadMs, order: 9, text: 'load ends' },
  ]
  let firstFault: number | undefined
  let lastRevert: number | undefined
  scenario.timeline.forEach((e, i) => {
    const start = ms(e.at)
    if (e.fault !== undefined) {
      const def = units.faults[e.fault]
      const length = ms(e.duration ?? def?.defaultDuration)
      firstFault = Math.min(firstFault ?? start, start)
      lastRevert = Math.max(lastRevert ?? 0, start + length)
      events.push({
        t: start,
        order: 3,
        text: `fault ${e.fault}${inline(e.params)} for ${formatDuration(length)} [timeline[${i}]]`,
      })
      events.push({ t: start + length, order: 2, text: `revert ${e.fault} [timeline[${i}]]` })
    } else {
      events.push({ t: start, order: 4, text: `probe ${e.probe}${inline(e.params)} [timeline[${i}]]` })
    }
  })
  events.sort((a, b) => a.t - b.t || a.order - b.order)
  lines.push('timeline:')
  lines.push(table(events.map((e) => [`  ${at(e.t)}`, e.text])))
  lines.push('')

  if (scenario.steadyState.length > 0) {
    const when =
      firstFault === undefined
        ? 'before and after the load'
        : `before the first fault (${at(firstFault)}) and after the last revert (${at(lastRevert ?? firstFault)})`
    lines.push(`steady state: ${scenario.steadyState.join(', ')} must hold ${when}`)
    lines.push('')
  }

  lines.push('slos:')
  if (scenario.slos.length === 0) lines.push('  none (the run is scored on steady state only)')
  else {
    lines.push(
      table(
        scenario.slos.map((s) => {
          const def = units.slos[s.id]
          const objective = s.objective ?? (def ? `${def.objective} (catalog)` : '(catalog default)')
          return [
            `  ${s.id}`,
            objective,
            `window ${s.window ?? def?.window ?? 'run'}`,
            s.severity ?? def?.severity ?? '',
            s.target ? `on ${s.target}` : '',
            def?.title ?? '',
          ]
        }),
      ),
    )
  }
  return lines.join('\n')
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('dry run: validate a scenario and print its timeline, flows and SLOs without starting anything')
    .argument('<scenario>', 'scenario file')
    .action(async (path: string) => {
      const { loadScenario } = await import('../../scenario/load.ts')
      const { faults } = await import('../../faults/index.ts')
      const { slos } = await import('../../slo/index.ts')
      const { scenario } = await loadScenario(path, { skipSecrets: true })
      out(formatPlan(scenario, { faults, slos }))
    })
}
