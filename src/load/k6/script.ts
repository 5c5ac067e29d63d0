/**
 * Generate one k6 script (ES module) from a scenario's load plan: one k6
 * scenario per flow with the same executor settings, thresholds derived from
 * the SLOs in the same expression syntax, and the metric names and tags the
 * embedded engine uses. The flow code is `lib.js` beside this file, a real
 * k6 script that a test type-checks against @types/k6.
 *
 * Secrets never enter the script: it reads them from GAMEDAY_* variables.
 */
import { GamedayError } from '../../errors.ts'
import { readFileSync } from 'node:fs'
import type { ClientCredentials, Targets } from '../../runtime/types.ts'
import type { FlowConfig, LoadConfig } from '../../scenario/schema.ts'
import { parseDuration } from '../../util/duration.ts'
import { assetPath } from '../../util/package-root.ts'

const LIB_PATH = assetPath('k6-lib.js')

/** The subset of Targets a k6 script needs (no control handles). */
export type K6Targets = Pick<
  Targets,
  | 'issuer'
  | 'tokenEndpoint'
  | 'authorizationEndpoint'
  | 'introspectionEndpoint'
  | 'clients'
  | 'users'
  | 'resourceServers'
  | 'pushedAuthorizationRequestEndpoint'
>

export interface K6Script {
  /** The script text (no secret in it). */
  script: string
  /** Names of the variables the script needs, with the values for this run (keep out of files). */
  env: Record<string, string>
  /** k6 scenario name → flow name. */
  scenarios: Record<string, string>
}

/** An SLO with its resolved objective, for thresholds. */
export interface K6Slo {
  id: string
  objective: string
}

const EXEC: Record<FlowConfig['flow'], string> = {
  'client-credentials': 'clientCredentials',
  'api-call': 'apiCall',
  refresh: 'refresh',
  'auth-code': 'authCode',
  introspection: 'introspection',
  'browser-login': 'browserLogin',
}

const USER_FLOWS = new Set(['refresh', 'auth-code', 'browser-login'])

/** The assertion algs k6's WebCrypto signs (ECDSA, RSASSA-PKCS1-v1_5, RSA-PSS; no Ed25519). */
const K6_ASSERTION_ALGS = new Set(['ES256', 'RS256', 'PS256'])

/** Environment variable name for a client secret, a client's private key (a JWK) or a user password. */
export function secretEnvName(kind: 'SECRET' | 'KEY' | 'PASSWORD', id: string): string {
  return `GAMEDAY_${kind}_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/** k6 accepts s/m/h/ms; write whole seconds where possible. */
function k6Duration(value: string): string {
  const ms = parseDuration(value) ?? 0
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`
}

/** Flow names as the engine and reports use them: the explicit name, else the flow id, numbered when repeated. */
export function flowNames(flows: readonly FlowConfig[]): string[] {
  const counts = new Map<string, number>()
  for (const f of flows) counts.set(f.flow, (counts.get(f.flow) ?? 0) + 1)
  const seen = new Map<string, number>()
  return flows.map((f) => {
    if (f.name) return f.name
    const n = seen.get(f.flow) ?? 0
    seen.set(f.flow, n + 1)
    return (counts.get(f.flow) ?? 0) > 1 ? `${f.flow}-${n + 1}` : f.flow
  })
}

function defaultClient(flow: FlowConfig, clients: readonly ClientCredentials[]): string {
  if (flow.client) return flow.client
  const wantUser = USER_FLOWS.has(flow.flow)
  const c = clients.find((x) =>
    wantUser
      ? x.grantTypes.includes('authorization_code') && x.public
      : x.grantTypes.includes('client_credentials') && x.tokenFormat !== 'opaque',
  )
  return c?.clientId ?? (wantUser ? 'spa' : 'svc')
}

/** k6 threshold expressions for the SLOs k6 can judge itself; the rest are scored by oauth-gameday. */
export function thresholdsFor(slos: readonly K6Slo[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const add = (metric: string, expr: string) => {
    out[metric] ??= []
    out[metric].push(expr)
  }
  const num = (s: string) => {
    const d = parseDuration(s)
    return d === undefined ? s : String(d)
  }
  for (const slo of slos) {
    const m = /^\s*(rate|p\(\d+(?:\.\d+)?\)|avg|max|min|med)\s*(<=|>=|<|>|==)\s*([0-9.]+[a-z]*)\s*$/.exec(slo.objective)
    if (!m) continue
    const [, agg, op, raw] = m as unknown as [string, string, string, string]
    const value = num(raw)
    // Success-rate objectives become failure-rate thresholds on the *_failed Rate metrics.
    const failedRate = (metric: string) => {
      if (agg !== 'rate') return
      if (op === '>=' || op === '>') add(metric, `rate${op === '>=' ? '<=' : '<'}${+(1 - Number(value)).toFixed(6)}`)
      else add(metric, `rate${op}${value}`)
    }
    switch (slo.id) {
      case 'M1':
        failedRate('oauth_token_failed')
        break
      case 'M2':
        if (agg !== 'rate') add('oauth_token_duration', `${agg}${op}${value}`)
        break
      case 'M3':
        failedRate('rs_request_failed')
        break
      case 'M4':
        failedRate('oauth_token_failed{grant:refresh_token}')
        break
      case 'M6':
        failedRate('introspection_failed')
        break
      case 'M10':
        failedRate('oauth_authorize_failed')
        break
      default:
        break
    }
  }
  return out
}

/**
 * Generate the k6 script for a load plan against concrete targets.
 *
 * @example
 * ```ts
 * const { script, env } = generateK6Script(scenario.load, targets, [{ id: 'M1', objective: 'rate>=0.999' }])
 * ```
 */
export function generateK6Script(load: LoadConfig, targets: K6Targets, slos: readonly K6Slo[] = []): K6Script {
  const env: Record<string, string> = {}
  const clients: Record<
    string,
    {
      clientId: string
      secretEnv: string
      public: boolean
      redirectUri: string
      authMethod: string
      keyEnv: string
      alg: string
      kid: string
    }
  > = {}
  for (const c of targets.clients) {
    const secretEnv = c.clientSecret ? secretEnvName('SECRET', c.clientId) : ''
    if (c.clientSecret) env[secretEnv] = c.clientSecret
    // a private_key_jwt key goes in the environment like a secret: its JWK as JSON
    const keyEnv = c.privateKey ? secretEnvName('KEY', c.clientId) : ''
    if (c.privateKey) env[keyEnv] = JSON.stringify(c.privateKey.jwk)
    clients[c.clientId] = {
      clientId: c.clientId,
      secretEnv,
      public: c.public,
      redirectUri: c.redirectUris[0] ?? '',
      authMethod: c.authMethod ?? '',
      keyEnv,
      alg: c.privateKey?.alg ?? '',
      kid: c.privateKey?.kid ?? '',
    }
  }
  const users = targets.users.map((u) => {
    const passwordEnv = secretEnvName('PASSWORD', u.username)
    env[passwordEnv] = u.password
    return { username: u.username, passwordEnv }
  })
  const resourceServers = Object.fromEntries(
    targets.resourceServers.map((r) => [r.name, { apiUrl: r.apiUrl, scope: r.scope }]),
  )
  const names = flowNames(load.flows)
  const flows: Record<string, unknown> = {}
  const scenarios: Record<string, Record<string, unknown>> = {}
  const scenarioToFlow: Record<string, string> = {}
  const gracefulStop = k6Duration(load.gracefulStop)
  const totalMs = parseDuration(load.duration) ?? 0
  let browserUsed = false

  load.flows.forEach((f, i) => {
    const name = names[i]!
    const c = targets.clients.find((x) => x.clientId === defaultClient(f, targets.clients))
    const method = f.clientAuth ?? c?.authMethod
    if (method === 'private_key_jwt') {
      if (!c?.privateKey)
        throw new GamedayError(
          'ERR_SCENARIO_INVALID',
          `load.flows[${i}]: client ${JSON.stringify(c?.clientId ?? f.client)} authenticates with private_key_jwt but the script has no private key for it`,
          {
            hint: '`run --engine k6` gets the keys of a running stack; `export k6` has none to give: give the client a privateKey (a private JWK) of your own, or choose another clientAuth',
          },
        )
      if (!K6_ASSERTION_ALGS.has(c.privateKey.alg))
        throw new GamedayError(
          'ERR_SCENARIO_INVALID',
          `load.flows[${i}]: k6's WebCrypto cannot sign ${c.privateKey.alg} client assertions (client ${JSON.stringify(c.clientId)})`,
          { hint: 'use an ES256, RS256 or PS256 key for this client, or the embedded engine (--engine embedded)' },
        )
      if (!/^[\x20-\x7e]+$/.test(c.clientId))
        throw new GamedayError(
          'ERR_SCENARIO_INVALID',
          `load.flows[${i}]: the k6 script signs assertions for ASCII client ids only (client ${JSON.stringify(c.clientId)})`,
          { hint: 'run this flow with the embedded engine (--engine embedded)' },
        )
    }
    if (f.par && f.flow === 'browser-login')
      throw new GamedayError(
        'ERR_SCENARIO_INVALID',
        `load.flows[${i}]: the k6 script's browser login does not push PAR requests`,
        { hint: 'run browser-login with par through the embedded engine, or use the auth-code flow with par under k6' },
      )
    if (f.par && !targets.pushedAuthorizationRequestEndpoint)
      throw new GamedayError(
        'ERR_SCENARIO_INVALID',
        `load.flows[${i}]: par is set but the AS publishes no pushed_authorization_request_endpoint`,
        { hint: 'turn PAR on at the AS (stack.authorizationServer.par) or drop par from the flow' },
      )
    const target = f.target ? targets.resourceServers.find((r) => r.name === f.target) : undefined
    flows[name] = {
      name,
      flow: f.flow,
      client: defaultClient(f, targets.clients),
      scope: f.scope ?? target?.scope ?? 'orders:read',
      target: f.target ?? '',
      timeout: k6Duration(f.timeout),
      dpop: f.dpop,
      clientAuth: f.clientAuth ?? '',
      assertionAudience: f.assertionAudience === 'token-endpoint' ? targets.tokenEndpoint : '',
      par: f.par === true,
    }
    const startMs = parseDuration(f.startTime) ?? 0
    const duration = f.duration ? k6Duration(f.duration) : `${Math.max(1, Math.round((totalMs - startMs) / 1000))}s`
    const common = {
      exec: EXEC[f.flow],
      startTime: k6Duration(f.startTime),
      gracefulStop,
      env: { GAMEDAY_FLOW: name },
      tags: { flow: name },
    }
    const maxVUs = f.maxVUs ?? f.preAllocatedVUs * 10
    let s: Record<string, unknown>
    if (f.executor === 'constant-arrival-rate') {
      s = {
        executor: f.executor,
        rate: f.rate ?? 1,
        timeUnit: k6Duration(f.timeUnit),
        duration,
        preAllocatedVUs: f.preAllocatedVUs,
        maxVUs,
        ...common,
      }
    } else if (f.executor === 'ramping-arrival-rate') {
      s = {
        executor: f.executor,
        startRate: f.startRate,
        timeUnit: k6Duration(f.timeUnit),
        preAllocatedVUs: f.preAllocatedVUs,
        maxVUs,
        stages: (f.stages ?? []).map((st) => ({ target: st.target, duration: k6Duration(st.duration) })),
        ...common,
      }
    } else {
      s = { executor: f.executor, vus: f.vus ?? 1, duration, ...common }
    }
    if (f.flow === 'browser-login') {
      browserUsed = true
      s.options = { browser: { type: 'chromium' } }
    }
    scenarios[name] = s
    scenarioToFlow[name] = name
  })

  const introspectionClient =
    targets.clients.find((c) => c.clientId === 'rs')?.clientId ??
    targets.clients.find((c) => c.clientSecret && c.grantTypes.length === 0)?.clientId ??
    ''
  // only the secrets the script reads: the clients its flows (and introspection) use, the user its logins sign in as
  const usedClients = new Set(Object.values(flows).map((f) => (f as { client: string }).client))
  if (load.flows.some((f) => f.flow === 'introspection' && !f.target) && introspectionClient)
    usedClients.add(introspectionClient)
  const logsIn = load.flows.some((f) => f.flow === 'auth-code' || f.flow === 'browser-login')
  for (const c of Object.values(clients)) {
    if (!usedClients.has(c.clientId) && c.secretEnv) {
      delete env[c.secretEnv]
      c.secretEnv = ''
    }
    if (!usedClients.has(c.clientId) && c.keyEnv) {
      delete env[c.keyEnv]
      c.keyEnv = ''
    }
  }
  for (const u of users) if (!logsIn || u !== users[0]) delete env[u.passwordEnv]
  const config = {
    issuer: targets.issuer,
    tokenEndpoint: targets.tokenEndpoint,
    authorizationEndpoint: targets.authorizationEndpoint,
    introspectionEndpoint: targets.introspectionEndpoint ?? '',
    parEndpoint: targets.pushedAuthorizationRequestEndpoint ?? '',
    clients,
    users,
    resourceServers,
    introspectionClient,
    flows,
  }
  const options = {
    scenarios,
    thresholds: thresholdsFor(slos),
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  }

  let lib = readFileSync(LIB_PATH, 'utf8')
  lib = lib.replace(
    /\/\/@@CONFIG_START[\s\S]*?\/\/@@CONFIG_END\n/,
    `const CONFIG = ${JSON.stringify(config, null, 2)};\nexport const options = ${JSON.stringify(options, null, 2)};\n`,
  )
  lib = lib.replace(/^\/\/@@(PURE|DPOP|ASSERTION)_(START|END)\n/gm, '')
  lib = browserUsed
    ? lib.replace(/^\/\/@@BROWSER_(START|END)\n/gm, '')
    : lib.replace(/\/\/@@BROWSER_START\n[\s\S]*?\/\/@@BROWSER_END\n/g, '')
  return { script: lib, env, scenarios: scenarioToFlow }
}
