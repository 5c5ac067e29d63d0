/**
 * Cross-field rules: what a schema cannot say. They run on a scenario that
 * already passed the schema (defaults filled), before anything starts, and
 * return every issue rather than the first — k6 does the same with options.
 *
 * Faults and probes are looked up in their registries at validation time, so
 * a unit registered later (or by a test) is seen.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import { DEFAULT_CLIENTS } from '../../mock-as/config.ts'
import { faults as faultRegistry } from '../faults/index.ts'
import type { Capability, FaultDefinition } from '../faults/types.ts'
import { probes as probeRegistry } from '../probes/index.ts'
import type { ProbeDefinition } from '../probes/types.ts'
import { slis } from '../prometheus/slis.ts'
import { slos as sloRegistry } from '../slo/index.ts'
import type { SloDefinition, SloFeeders } from '../slo/types.ts'
import { formatDuration, parseDuration } from '../util/duration.ts'
import { type Issue, quote, suggestion } from './issues.ts'
import type { Scenario } from './schema.ts'
import { schemaIssues, withDefaults } from './schema-errors.ts'

/** The flows that can hold DPoP-bound tokens (`dpop: true`). */
const DPOP_FLOWS: readonly string[] = ['client-credentials', 'auth-code', 'refresh', 'api-call']

export interface Registries {
  faults: Record<string, FaultDefinition>
  probes: Record<string, ProbeDefinition>
  slos?: Record<string, Pick<SloDefinition, 'feeders'>>
}

/** True when something in the scenario feeds an SLO with these feeders. */
export function isFed(feeders: SloFeeders, scenario: Pick<Scenario, 'load' | 'timeline'>): boolean {
  // a run option (`--prometheus`) is checked when the run starts
  if (feeders.runOptions?.length) return true
  const flows = scenario.load.flows.filter((f) => !feeders.dpop || f.dpop).map((f) => f.flow as string)
  if (feeders.flows === 'any' ? flows.length > 0 : (feeders.flows ?? []).some((f) => flows.includes(f))) return true
  if ((feeders.probes ?? []).some((p) => scenario.timeline.some((e) => e.probe === p))) return true
  return (feeders.faults ?? []).some((f) => scenario.timeline.some((e) => e.fault === f))
}

/** What would feed an SLO, for a hint: `a revocation-propagation probe in the timeline`. */
function feederText(feeders: SloFeeders): string {
  const parts: string[] = []
  if (feeders.flows === 'any') parts.push('any load flow')
  else if (feeders.flows?.length)
    parts.push(`a ${feeders.flows.join(' or ')} flow${feeders.dpop ? ' with `dpop: true`' : ''} in load.flows`)
  if (feeders.probes?.length) parts.push(`a ${feeders.probes.join(' or ')} probe in the timeline`)
  if (feeders.faults?.length) parts.push(`a ${feeders.faults.join(' or ')} fault in the timeline`)
  return parts.join(', or ')
}

/** k6 threshold syntax: `aggregation operator value[unit]`. */
export const OBJECTIVE =
  /^(rate|count|value|avg|min|max|med|p\(\d+(\.\d+)?\))\s*(<=|>=|==|!=|<|>)\s*-?\d+(\.\d+)?(us|ms|s|m|h)?$/

const ms = (d: string | undefined): number => (d === undefined ? 0 : (parseDuration(d) ?? 0))

const CAPABILITY_TEXT: Record<Capability, string> = {
  'as-control': 'control of the authorization server (the mock-as chaos API)',
  cdn: 'a JWKS CDN in the stack',
  'fault-proxy': 'a fault proxy in the stack',
  'rs-control': 'a reference resource server (mock-rs control API)',
  'load-control': 'control of the running load (the embedded engine)',
}

/** Why the stack cannot give `cap`, or undefined when it can. */
function missingCapability(scenario: Scenario, cap: Capability): { reason: string; hint: string } | undefined {
  const stack = scenario.stack
  switch (cap) {
    case 'as-control':
      return stack.authorizationServer.external && !stack.authorizationServer.external.control
        ? {
            reason: `the stack uses an external authorization server (${stack.authorizationServer.external.issuer}) that the harness cannot control`,
            hint: 'drop `external:` to use the reference mock-as; if yours is a mock-as, give `external.control: { url, adminToken: { env: … } }`; or drop this entry',
          }
        : undefined
    case 'cdn':
      return stack.jwksCdn ? undefined : { reason: 'the stack has no jwksCdn', hint: 'add `jwksCdn: {}` under stack' }
    case 'fault-proxy':
      return stack.faultProxy
        ? undefined
        : { reason: 'the stack has no faultProxy', hint: 'add `faultProxy: {}` under stack' }
    case 'load-control':
      // the engine is a run option: checked when the run starts
      return undefined
    case 'rs-control':
      return stack.resourceServers.some((rs) => rs.url === undefined)
        ? undefined
        : {
            reason: 'every resource server in the stack is yours (url), none is a reference mock-rs',
            hint: 'add a reference RS: `- { name: orders, profile: resilient }`',
          }
  }
}

function httpUrlIssue(path: Issue['path'], value: string, what: string): Issue | undefined {
  try {
    const u = new URL(value)
    if (u.protocol === 'http:' || u.protocol === 'https:') return undefined
    return { path, message: `${what} must be an http(s) URL (got ${quote(value)})` }
  } catch {
    return {
      path,
      message: `${what} must be an absolute URL (got ${quote(value)})`,
      hint: 'for example http://127.0.0.1:8081/orders',
    }
  }
}

/** Params in the order the unit declares them (plans and reports read better). */
function inSchemaOrder(schema: TSchema, params: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys((schema as { properties?: Record<string, unknown> }).properties ?? {})
  const out: Record<string, unknown> = {}
  for (const k of keys) if (k in params) out[k] = params[k]
  for (const [k, v] of Object.entries(params)) if (!(k in out)) out[k] = v
  return out
}

/**
 * Check every cross-field rule. Fills each timeline entry's `params` with the
 * defaults of its fault or probe (in place) when they are valid.
 */
export function checkRules(
  scenario: Scenario,
  registries: Registries = { faults: faultRegistry, probes: probeRegistry },
): Issue[] {
  const issues: Issue[] = []
  const loadMs = ms(scenario.load.duration)
  const rsNames = scenario.stack.resourceServers.map((rs) => rs.name)
  const checkTarget = (path: Issue['path'], target: unknown) => {
    if (typeof target !== 'string' || rsNames.includes(target)) return
    const hint = rsNames.length === 0 ? 'the stack has no resourceServers' : suggestion(target, rsNames)
    issues.push({ path, message: `unknown resource server ${quote(target)}`, ...(hint ? { hint } : {}) })
  }

  // stack
  const seenRs = new Set<string>()
  scenario.stack.resourceServers.forEach((rs, i) => {
    if (seenRs.has(rs.name))
      issues.push({
        path: ['stack', 'resourceServers', i, 'name'],
        message: `duplicate resource server name ${quote(rs.name)}`,
      })
    seenRs.add(rs.name)
    if (rs.url !== undefined) {
      const bad = httpUrlIssue(['stack', 'resourceServers', i, 'url'], rs.url, 'url')
      if (bad) issues.push(bad)
      if (rs.profile !== undefined || rs.options !== undefined) {
        issues.push({
          path: ['stack', 'resourceServers', i, rs.profile !== undefined ? 'profile' : 'options'],
          message: 'a resource server with a url is yours: profile and options apply only to a reference mock-rs',
          hint: 'drop url to use a reference RS, or drop profile/options',
        })
      }
    }
  })
  const external = scenario.stack.authorizationServer.external
  if (external) {
    const bad = httpUrlIssue(['stack', 'authorizationServer', 'external', 'issuer'], external.issuer, 'issuer')
    if (bad) issues.push(bad)
    const ids = external.clients.map((c) => c.clientId)
    if (external.introspectionClient !== undefined && !ids.includes(external.introspectionClient)) {
      issues.push({
        path: ['stack', 'authorizationServer', 'external', 'introspectionClient'],
        message: `unknown client ${quote(external.introspectionClient)}`,
        hint: suggestion(external.introspectionClient, ids),
      })
    }
  }

  // load
  const asSection = scenario.stack.authorizationServer
  const clientIds = (asSection.external?.clients ?? asSection.clients ?? DEFAULT_CLIENTS).map((c) => c.clientId)
  scenario.load.flows.forEach((flow, i) => {
    const at = (k: string): Issue['path'] => ['load', 'flows', i, k]
    if (flow.executor === 'constant-arrival-rate' && flow.rate === undefined)
      issues.push({
        path: at('executor'),
        message: 'constant-arrival-rate needs rate',
        hint: 'add `rate: 50` (iterations per timeUnit)',
      })
    if (flow.executor === 'ramping-arrival-rate' && flow.stages === undefined)
      issues.push({
        path: at('executor'),
        message: 'ramping-arrival-rate needs stages',
        hint: 'add `stages: [{ target: 100, duration: 30s }]`',
      })
    if (flow.executor === 'constant-vus' && flow.vus === undefined)
      issues.push({ path: at('executor'), message: 'constant-vus needs vus', hint: 'add `vus: 10`' })
    if (flow.executor !== 'constant-arrival-rate' && flow.rate !== undefined)
      issues.push({
        path: at('rate'),
        message: `rate applies only to constant-arrival-rate (executor is ${flow.executor})`,
      })
    if (flow.executor !== 'ramping-arrival-rate' && flow.stages !== undefined)
      issues.push({
        path: at('stages'),
        message: `stages apply only to ramping-arrival-rate (executor is ${flow.executor})`,
      })
    if (flow.executor !== 'constant-vus' && flow.vus !== undefined)
      issues.push({ path: at('vus'), message: `vus applies only to constant-vus (executor is ${flow.executor})` })
    if (flow.maxVUs !== undefined && flow.maxVUs < flow.preAllocatedVUs) {
      issues.push({
        path: at('maxVUs'),
        message: `must be >= preAllocatedVUs (got ${flow.maxVUs}, preAllocatedVUs ${flow.preAllocatedVUs})`,
      })
    }
    if ((flow.flow === 'api-call' || flow.flow === 'introspection') && flow.target === undefined) {
      const hint =
        rsNames.length > 0
          ? `add \`target: ${rsNames[0]}\``
          : 'add a resource server under stack.resourceServers and name it as target'
      issues.push({ path: at('flow'), message: `${flow.flow} needs a target (a resource server name)`, hint })
    }
    if (flow.dpop && !DPOP_FLOWS.includes(flow.flow))
      issues.push({
        path: at('dpop'),
        message: `dpop applies to ${DPOP_FLOWS.join(', ')} (flow is ${flow.flow})`,
        hint: 'remove `dpop: true` from this flow',
      })
    checkTarget(at('target'), flow.target)
    if (flow.client !== undefined && !clientIds.includes(flow.client)) {
      issues.push({
        path: at('client'),
        message: `unknown client ${quote(flow.client)}`,
        hint: suggestion(flow.client, clientIds) || `clients: ${clientIds.join(', ')}`,
      })
    }
    const start = ms(flow.startTime)
    if (start >= loadMs)
      issues.push({
        path: at('startTime'),
        message: `starts after the load ends (startTime ${flow.startTime}, load.duration ${scenario.load.duration})`,
      })
    else if (flow.duration !== undefined && start + ms(flow.duration) > loadMs) {
      issues.push({
        path: at('duration'),
        message: `runs past the end of the load (${flow.startTime} + ${flow.duration} > ${scenario.load.duration})`,
        hint: 'shorten it or lengthen load.duration',
      })
    }
  })
  if (ms(scenario.load.warmup) >= loadMs) {
    issues.push({
      path: ['load', 'warmup'],
      message: `must be shorter than load.duration (got ${scenario.load.warmup}, load.duration ${scenario.load.duration})`,
    })
  }

  // timeline
  const rotations: Array<{ i: number; from: number; to: number }> = []
  scenario.timeline.forEach((entry, i) => {
    const at = (...k: Array<string | number>): Issue['path'] => ['timeline', i, ...k]
    if ((entry.fault === undefined) === (entry.probe === undefined)) {
      issues.push({
        path: at(),
        message: entry.fault === undefined ? 'needs a fault or a probe' : 'names both a fault and a probe',
        hint: 'one entry per fault or probe; two entries may share the same at',
      })
      return
    }
    const kind = entry.fault !== undefined ? 'fault' : 'probe'
    const id = (entry.fault ?? entry.probe)!
    const registry: Record<string, FaultDefinition | ProbeDefinition> =
      kind === 'fault' ? registries.faults : registries.probes
    const start = ms(entry.at)
    if (start >= loadMs) {
      issues.push({
        path: at('at'),
        message: `${kind} ${quote(id)} at ${entry.at} is after the load ends (load.duration ${scenario.load.duration})`,
        hint: `use an offset below ${scenario.load.duration} or lengthen load.duration`,
      })
    }
    if (kind === 'probe' && entry.duration !== undefined)
      issues.push({
        path: at('duration'),
        message: 'duration applies only to faults (a probe bounds itself with its timeout param)',
      })
    checkTarget(at('params', 'target'), entry.params.target)
    const unit = Object.hasOwn(registry, id) ? registry[id] : undefined
    if (!unit) {
      const known = Object.keys(registry)
      const hint = known.length === 0 ? `no ${kind}s are registered` : suggestion(id, known)
      issues.push({
        path: at(kind),
        message: `unknown ${kind} ${quote(id)}`,
        code: 'ERR_UNKNOWN_UNIT',
        hint: hint || `run \`oauth-gameday list ${kind}s\``,
      })
      return
    }
    const paramIssues = schemaIssues(unit.params, withDefaults(unit.params, entry.params), ['timeline', i, 'params'])
    if (paramIssues.length > 0) {
      issues.push(...paramIssues)
      return
    }
    const params = inSchemaOrder(
      unit.params,
      withDefaults<Record<string, unknown>>(unit.params, entry.params),
    ) as Static<TSchema>
    entry.params = params as Record<string, unknown>
    if (kind === 'fault' && start < loadMs) {
      // its revert would land after the load: the recovery would never be measured
      const length = entry.duration ?? (unit as FaultDefinition).defaultDuration
      const end = start + ms(length)
      if (end > loadMs) {
        issues.push({
          path: at(entry.duration !== undefined ? 'duration' : 'at'),
          message: `fault ${quote(id)} runs past the end of the load (${entry.at} + ${length}${entry.duration === undefined ? ' by default' : ''} = ${formatDuration(end)}, load.duration ${scenario.load.duration})`,
          hint: `start it earlier, give it a shorter duration, or lengthen load.duration to at least ${formatDuration(end)}`,
        })
      }
    }
    for (const cap of unit.needs(params)) {
      const target =
        typeof entry.params.target === 'string'
          ? scenario.stack.resourceServers.find((rs) => rs.name === entry.params.target)
          : undefined
      const missing =
        cap === 'rs-control' && target?.url !== undefined
          ? {
              reason: `${target.name} is yours (url), not a reference mock-rs`,
              hint: 'target a reference RS (one with a profile)',
            }
          : missingCapability(scenario, cap)
      if (missing) {
        issues.push({
          path: at(kind),
          message: `${kind} ${quote(id)} needs ${CAPABILITY_TEXT[cap]}, but ${missing.reason}`,
          hint: missing.hint,
          code: 'ERR_CAPABILITY_MISSING',
        })
      }
    }
    if (kind === 'fault' && id === 'bad-key-rotation') {
      const def = unit as FaultDefinition
      const length = ms(entry.duration ?? def.defaultDuration)
      const mine = { i, from: start, to: start + length }
      const clash = rotations.find((r) => r.from < mine.to && mine.from < r.to)
      if (clash) {
        issues.push({
          path: at('at'),
          message: `overlaps the bad-key-rotation of timeline[${clash.i}] (${formatDuration(clash.from)}–${formatDuration(clash.to)})`,
          hint: 'two rotations at once leave no well-defined current key; start this one after the other is reverted',
        })
      }
      rotations.push(mine)
    }
  })

  // slos
  const slos = registries.slos ?? sloRegistry
  const sloIds = new Set<string>()
  scenario.slos.forEach((slo, i) => {
    const key = `${slo.id}/${slo.target ?? ''}/${slo.window ?? ''}/${slo.alert ?? ''}`
    if (sloIds.has(key))
      issues.push({
        path: ['slos', i, 'id'],
        message: `duplicate SLO ${slo.id}${slo.target ? ` for ${slo.target}` : ''}`,
      })
    sloIds.add(key)
    checkTarget(['slos', i, 'target'], slo.target)
    const def = Object.hasOwn(slos, slo.id) ? slos[slo.id] : undefined
    if (def && !isFed(def.feeders, scenario)) {
      issues.push({
        path: ['slos', i, 'id'],
        message: `${slo.id} has nothing to measure it in this scenario, so it could only fail with no data`,
        hint: `add ${feederText(def.feeders)}, or drop ${slo.id}`,
      })
    }
    if (slo.id === 'D1' && slo.alert !== undefined && !Object.hasOwn(slis, slo.alert)) {
      issues.push({
        path: ['slos', i, 'alert'],
        message: `must be an SLO with a server-side SLI (got ${quote(slo.alert)}, expected one of ${Object.keys(slis).join(', ')})`,
        hint: 'D1 times the page alert of that SLO; see docs/prometheus-alerts.md',
      })
    }
    if (slo.id !== 'D1' && slo.alert !== undefined) {
      issues.push({
        path: ['slos', i, 'alert'],
        message: `only D1 takes an alert (got it on ${slo.id})`,
        hint: 'drop `alert:` here, or add `- { id: D1, alert: ' + slo.id + ' }`',
      })
    }
    if (slo.objective !== undefined && !OBJECTIVE.test(slo.objective.trim())) {
      issues.push({
        path: ['slos', i, 'objective'],
        message: `must be a k6 threshold expression (got ${quote(slo.objective)})`,
        hint: "for example 'rate<0.001', 'p(95)<300ms', 'max<10s'",
      })
    }
    if (slo.delayAbortEval !== undefined) {
      if (!slo.abortOnFail) {
        issues.push({
          path: ['slos', i, 'delayAbortEval'],
          message: 'has no effect without abortOnFail: true',
          hint: 'add abortOnFail: true, or drop delayAbortEval',
        })
      } else if (ms(slo.delayAbortEval) >= loadMs) {
        issues.push({
          path: ['slos', i, 'delayAbortEval'],
          message: `is not before the end of the load (${slo.delayAbortEval}, load.duration ${scenario.load.duration}): the run could never abort`,
          hint: `use a delay below ${scenario.load.duration}`,
        })
      }
    }
  })
  return issues
}
