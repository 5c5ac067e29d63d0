import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isGamedayError } from '../errors.ts'
import { faults } from '../faults/index.ts'
import type { Capability, FaultDefinition } from '../faults/types.ts'
import { probes } from '../probes/index.ts'
import type { ProbeDefinition } from '../probes/types.ts'
import { clearSecrets, maskSecrets } from '../util/secrets.ts'
import type { ScenarioInvalidError } from './issues.ts'
import { loadScenario, loadScenarios, parseScenario } from './load.ts'

const FIX = 'test/fixtures/scenarios'

/** Test-only units, so these tests do not depend on the real catalog. */
const testParams = Type.Object(
  {
    latencyMs: Type.Integer({ minimum: 0, default: 0, description: 'added latency' }),
    unpublishedFor: Type.String({
      pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h|d))+$',
      default: '15s',
      description: 'how long',
    }),
    via: Type.Union([Type.Literal('as'), Type.Literal('proxy')], { default: 'as', description: 'where' }),
  },
  { additionalProperties: false },
)
function testFault(id: string): FaultDefinition {
  return {
    id,
    summary: 'test-only fault',
    params: testParams,
    defaultDuration: '20s',
    needs: (p: { via?: string }): Capability[] => (p.via === 'proxy' ? ['fault-proxy'] : ['as-control']),
    inject: async () => ({ revert: async () => {} }),
  } as FaultDefinition
}
const testProbe = {
  id: 'test-probe',
  summary: 'test-only probe',
  params: Type.Object(
    { target: Type.Optional(Type.String()), timeout: Type.String({ default: '10s' }) },
    { additionalProperties: false },
  ),
  needs: () => ['cdn'],
  run: async () => ({ status: 'ok' }),
} as unknown as ProbeDefinition

const saved = { faults: { ...faults }, probes: { ...probes } }
beforeAll(() => {
  faults['test-fault'] = testFault('test-fault')
  faults['bad-key-rotation'] = testFault('bad-key-rotation')
  probes['test-probe'] = testProbe
})
afterAll(() => {
  for (const k of Object.keys(faults)) delete faults[k]
  Object.assign(faults, saved.faults)
  for (const k of Object.keys(probes)) delete probes[k]
  Object.assign(probes, saved.probes)
})

async function invalid(name: string): Promise<ScenarioInvalidError> {
  try {
    await loadScenario(`${FIX}/invalid/${name}.yaml`)
  } catch (err) {
    if (isGamedayError(err)) return err as ScenarioInvalidError
    throw err
  }
  throw new Error(`${name} loaded without error`)
}

/** `line:col path` of every issue, for compact assertions. */
const where = (err: ScenarioInvalidError) => err.issues.map((i) => `${i.line}:${i.col} ${i.path.join('.')}`)

describe('loadScenario', () => {
  it('loads a minimal scenario and fills defaults from the schema', async () => {
    const { scenario, source } = await loadScenario(`${FIX}/valid/minimal.yaml`)
    expect(source).toBe(`${FIX}/valid/minimal.yaml`)
    expect(scenario.load.warmup).toBe('5s')
    expect(scenario.load.flows[0]!.preAllocatedVUs).toBe(10)
    expect(scenario.stack.authorizationServer.accessTokenTtl).toBe('300s')
    expect(scenario.timeline).toEqual([])
  })

  it('loads every section', async () => {
    const { scenario } = await loadScenario(`${FIX}/valid/full.yaml`)
    expect(scenario.stack.resourceServers.map((r) => r.name)).toEqual(['orders', 'my-api'])
    expect(scenario.slos.map((s) => s.id)).toEqual(['M3', 'M4', 'M2'])
  })

  it('resolves secret references and registers their values', async () => {
    process.env.GAMEDAY_TEST_CLIENT_SECRET = 'canary-secret-123'
    try {
      const loaded = await loadScenario(`${FIX}/valid/external-as.yaml`)
      expect(loaded.secrets).toEqual(['canary-secret-123'])
      expect(maskSecrets('x canary-secret-123 y')).not.toContain('canary-secret-123')
    } finally {
      delete process.env.GAMEDAY_TEST_CLIENT_SECRET
      clearSecrets()
    }
  })

  it('refuses an unset secret variable with ERR_SCENARIO_SECRET_UNRESOLVED', async () => {
    delete process.env.GAMEDAY_TEST_CLIENT_SECRET
    const err = (await loadScenario(`${FIX}/valid/external-as.yaml`).catch((e: unknown) => e)) as ScenarioInvalidError
    expect(err.code).toBe('ERR_SCENARIO_SECRET_UNRESOLVED')
    expect(where(err)).toEqual(['8:50 stack.authorizationServer.external.clients.0.clientSecret'])
    expect(err.details[0]).toContain('GAMEDAY_TEST_CLIENT_SECRET')
  })

  it('names the closest key for an unknown key, at the key', async () => {
    const err = await invalid('unknown-key-duraton')
    expect(err.code).toBe('ERR_SCENARIO_INVALID')
    expect(where(err)).toEqual(['7:3 load.duraton'])
    expect(err.details[0]).toBe(
      `${FIX}/invalid/unknown-key-duraton.yaml:7:3 load.duraton: unknown key; did you mean "duration"?`,
    )
  })

  it('refuses bare numbers as durations and says to write the unit', async () => {
    const err = await invalid('bare-number-duration')
    expect(where(err)).toEqual(['6:13 load.duration', '8:87 load.flows.0.timeUnit'])
    expect(err.details[0]).toContain('load.duration: must be a duration like 15s (got 90)')
    expect(err.details[1]).toContain('(got "15")')
  })

  it('reports schema, rule and secret errors of one file at once, sorted by line', () => {
    delete process.env.GAMEDAY_TEST_UNSET_SECRET
    const text = `id: all-stages
title: every stage has something to say
stack:
  authorizationServer:
    external:
      issuer: http://127.0.0.1:9
      clients: [{ clientId: svc, clientSecret: { env: GAMEDAY_TEST_UNSET_SECRET }, scopes: [orders:read] }]
  resourceServers: [{ name: orders, url: http://127.0.0.1:8/api }]
  faultProxy: {}
load:
  duration: 20s
  flows: [{ flow: api-call, target: orders, executor: constant-arrival-rate, rate: 5 }]
timeline:
  - { at: 15s, fault: jwks-outage, duration: 10s }
slos:
  - { id: M99 }
`
    let err: ScenarioInvalidError | undefined
    try {
      parseScenario(text, 'all-stages.yaml')
    } catch (e) {
      err = e as ScenarioInvalidError
    }
    expect(err?.code).toBe('ERR_SCENARIO_INVALID')
    const lines = err!.issues.map((i) => i.line)
    expect(lines).toEqual([...lines].sort((a, b) => a - b))
    const text2 = err!.details.join('\n')
    expect(text2).toMatch(/GAMEDAY_TEST_UNSET_SECRET is not set/) // secrets (line 7)
    expect(text2).toMatch(/runs past the end of the load/) // rules (line 14)
    expect(text2).toMatch(/slos\[0\]\.id: must be one of/) // schema (line 16)
    expect(err!.issues.map((i) => i.line)).toEqual([7, 14, 16])
  })

  it('collects every schema error of a file at once', async () => {
    const err = await invalid('many-errors')
    expect(err.issues).toHaveLength(6)
    expect(where(err)).toContain('6:32 stack.resourceServers.0.profile')
    expect(err.details.join('\n')).toContain('did you mean "resilient"?')
    expect(err.details.join('\n')).toContain('did you mean "client-credentials"?')
  })

  it('refuses a fault after the load ends', async () => {
    const err = await invalid('fault-after-load-ends')
    expect(err.code).toBe('ERR_SCENARIO_INVALID')
    expect(where(err)).toEqual(['11:11 timeline.1.at'])
  })

  it('refuses SLOs nothing in the scenario feeds, and faults whose window outlives the load', async () => {
    const err = await invalid('slos-nothing-feeds')
    expect(err.code).toBe('ERR_SCENARIO_INVALID')
    expect(where(err)).toEqual([
      '11:11 timeline.0.at',
      '12:44 timeline.1.duration',
      '15:11 slos.1.id',
      '16:11 slos.2.id',
      '17:11 slos.3.id',
    ])
    const text = err.details.join('\n')
    expect(text).toContain(
      'fault "test-fault" runs past the end of the load (20s + 20s by default = 40s, load.duration 30s)',
    )
    expect(text).toContain('M5 has nothing to measure it in this scenario')
    expect(text).not.toContain('M1 has nothing')
    const m5 = err.issues.find((i) => i.path.join('.') === 'slos.1.id')!
    expect(m5.hint).toBe('add a revocation-propagation probe in the timeline, or drop M5')
    expect(err.issues.find((i) => i.path.join('.') === 'slos.2.id')!.hint).toBe(
      'add a browser-login flow in load.flows, or drop L1',
    )
  })

  it('refuses abort conditions that could never fire: delayAbortEval without abortOnFail or not before the end of the load', () => {
    const text = (slos: string) => `id: aborts
title: abort conditions
stack: {}
load:
  duration: 20s
  flows: [{ flow: client-credentials, executor: constant-arrival-rate, rate: 5 }]
slos:
${slos}`
    expect(
      parseScenario(text('  - { id: M1, abortOnFail: true, delayAbortEval: 5s }'), 'aborts.yaml').scenario.slos[0],
    ).toMatchObject({ abortOnFail: true, delayAbortEval: '5s' })
    let err: ScenarioInvalidError | undefined
    try {
      parseScenario(
        text('  - { id: M1, delayAbortEval: 5s }\n  - { id: M2, abortOnFail: true, delayAbortEval: 20s }'),
        'aborts.yaml',
      )
    } catch (e) {
      err = e as ScenarioInvalidError
    }
    expect(where(err!)).toEqual(['8:31 slos.0.delayAbortEval', '9:50 slos.1.delayAbortEval'])
    expect(err!.details[0]).toContain('has no effect without abortOnFail: true')
    expect(err!.details[1]).toContain('the run could never abort')
  })

  it('refuses unknown targets in flows and slos', async () => {
    const err = await invalid('unknown-target')
    expect(where(err)).toEqual(['10:33 load.flows.0.target', '12:23 slos.0.target'])
    expect(err.details[0]).toContain('did you mean "orders"?')
  })

  it('checks executor fields', async () => {
    const err = await invalid('executor-missing-rate')
    expect(err.issues.map((i) => i.message)).toEqual([
      'constant-arrival-rate needs rate',
      'ramping-arrival-rate needs stages',
      'constant-vus needs vus',
      'must be >= preAllocatedVUs (got 10, preAllocatedVUs 20)',
    ])
  })

  it('requires a target for api-call flows', async () => {
    const err = await invalid('api-call-without-target')
    expect(where(err)).toEqual(['10:15 load.flows.0.flow'])
  })

  it('refuses dpop on a flow that holds no DPoP-bound token, accepts it with an algorithm on api-call', async () => {
    const err = await invalid('dpop-on-introspection')
    expect(err.code).toBe('ERR_SCENARIO_INVALID')
    expect(where(err)).toEqual(['10:94 load.flows.0.dpop'])
  })

  it('refuses a fault needing AS control against an external AS with ERR_CAPABILITY_MISSING', async () => {
    const err = await invalid('as-control-against-external-as')
    expect(err.code).toBe('ERR_CAPABILITY_MISSING')
    expect(where(err)).toEqual(['13:23 timeline.0.fault'])
    expect(err.details[0]).toContain('external authorization server')
  })

  it('refuses overlapping bad-key-rotation faults', async () => {
    const err = await invalid('overlapping-rotations')
    expect(where(err)).toEqual(['11:11 timeline.1.at'])
    expect(err.details[0]).toContain('overlaps the bad-key-rotation of timeline[0]')
  })

  it('refuses literal secrets', async () => {
    const err = await invalid('secret-literal')
    expect(where(err)).toEqual(['7:48 stack.authorizationServer.external.clients.0.clientSecret'])
    expect(err.details[0]).not.toContain('hunter22')
  })

  it('requires the id to equal the file stem', async () => {
    const err = await invalid('id-not-file-stem')
    expect(where(err)).toEqual(['1:5 id'])
  })

  it('refuses an unknown fault id with ERR_UNKNOWN_UNIT and a suggestion', async () => {
    const err = await invalid('unknown-fault')
    expect(err.code).toBe('ERR_UNKNOWN_UNIT')
    expect(where(err)).toEqual(['10:23 timeline.0.fault'])
  })

  it('validates fault params against the fault schema', async () => {
    const err = await invalid('bad-fault-params')
    expect(where(err)).toEqual(['10:56 timeline.0.params.latencyMs', '10:76 timeline.0.params.unpublishedFor'])
  })
})

describe('parseScenario', () => {
  const base = (extra: string) =>
    `id: inline\ntitle: t\nstack:\n  authorizationServer: {}\nload:\n  duration: 30s\n  flows:\n    - { flow: client-credentials, executor: constant-arrival-rate, rate: 5 }\n${extra}`

  it('refuses a fault whose needs the stack cannot give (cdn, fault proxy)', () => {
    const err = (() => {
      try {
        parseScenario(
          base(
            'timeline:\n  - { at: 5s, fault: test-fault, params: { via: proxy } }\n  - { at: 5s, probe: test-probe }\n',
          ),
          'inline.yaml',
        )
      } catch (e) {
        return e as ScenarioInvalidError
      }
      throw new Error('no error')
    })()
    expect(err.code).toBe('ERR_CAPABILITY_MISSING')
    expect(err.issues.map((i) => i.message)).toEqual([
      'fault "test-fault" needs a fault proxy in the stack, but the stack has no faultProxy',
      'probe "test-probe" needs a JWKS CDN in the stack, but the stack has no jwksCdn',
    ])
  })

  it('fills fault and probe params with the defaults of their own schema', () => {
    const text = base(
      'timeline:\n  - { at: 5s, fault: test-fault, params: { latencyMs: 5 } }\n  - { at: 6s, probe: test-probe, params: { target: orders } }\n',
    ).replace(
      'authorizationServer: {}',
      'authorizationServer: {}\n  resourceServers: [{ name: orders }]\n  jwksCdn: {}',
    )
    const { scenario } = parseScenario(text, 'inline.yaml')
    expect(scenario.timeline[0]!.params).toEqual({ latencyMs: 5, unpublishedFor: '15s', via: 'as' })
    expect(scenario.timeline[1]!.params).toEqual({ target: 'orders', timeout: '10s' })
  })

  it('keeps RS knob overrides sparse, so the profile keeps its own knobs', () => {
    const text = base('').replace(
      'authorizationServer: {}',
      'authorizationServer: {}\n  resourceServers: [{ name: orders, profile: fixed-ttl, options: { mode: introspection } }]',
    )
    const rs = parseScenario(text, 'inline.yaml').scenario.stack.resourceServers[0]!
    const mode: 'jwt' | 'introspection' | undefined = rs.options?.mode
    expect(mode).toBe('introspection')
    expect(rs.options).toEqual({ mode: 'introspection' })
  })

  it('refuses a flow client the AS does not register', () => {
    const text = base('').replace('rate: 5 }', 'rate: 5, client: svcc }')
    expect(() => parseScenario(text, 'inline.yaml')).toThrow(
      expect.objectContaining({
        details: ['inline.yaml:8:85 load.flows[0].client: unknown client "svcc"; did you mean "svc"?'],
      }),
    )
  })

  it('needs exactly one of fault or probe per timeline entry', () => {
    expect(() => parseScenario(base('timeline:\n  - { at: 5s }\n'), 'inline.yaml')).toThrow(
      expect.objectContaining({
        details: [
          'inline.yaml:10:5 timeline[0]: needs a fault or a probe; one entry per fault or probe; two entries may share the same at',
        ],
      }),
    )
  })

  it('reports YAML syntax errors as ERR_SCENARIO_PARSE with a position', () => {
    // inline: a broken .yaml fixture would break the linter, which parses YAML too
    const text = 'id: broken\ntitle: t\nload:\n  duration: 30s\n  flows: [ { flow: x }\n'
    let err: ScenarioInvalidError | undefined
    try {
      parseScenario(text, 'broken.yaml')
    } catch (e) {
      err = e as ScenarioInvalidError
    }
    expect(err?.code).toBe('ERR_SCENARIO_PARSE')
    expect(err?.issues[0]?.line).toBeGreaterThanOrEqual(5)
    expect(err?.details[0]).toMatch(/^broken\.yaml:\d+:\d+ /)
  })

  it('refuses an empty document', () => {
    expect(() => parseScenario('', 'empty.yaml')).toThrow(expect.objectContaining({ code: 'ERR_SCENARIO_INVALID' }))
  })
})

describe('loadScenarios', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-load-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('expands a directory to its yaml files, sorted', async () => {
    const loaded = await loadScenarios([`${FIX}/valid/minimal.yaml`, `${FIX}/valid/full.yaml`])
    expect(loaded.map((l) => l.scenario.id)).toEqual(['minimal', 'full'])
    await writeFile(
      join(dir, 'b.yaml'),
      (await import('node:fs')).readFileSync(`${FIX}/valid/minimal.yaml`, 'utf8').replace('id: minimal', 'id: b'),
    )
    await writeFile(
      join(dir, 'a.yaml'),
      (await import('node:fs')).readFileSync(`${FIX}/valid/minimal.yaml`, 'utf8').replace('id: minimal', 'id: a'),
    )
    await writeFile(join(dir, 'notes.txt'), 'not a scenario')
    const fromDir = await loadScenarios([dir])
    expect(fromDir.map((l) => l.scenario.id)).toEqual(['a', 'b'])
  })

  it('lists the issues of every failing file in one error', async () => {
    const err = await loadScenarios([
      `${FIX}/invalid/unknown-key-duraton.yaml`,
      `${FIX}/invalid/bare-number-duration.yaml`,
    ]).catch((e) => e)
    expect(err.code).toBe('ERR_SCENARIO_INVALID')
    expect(err.details).toHaveLength(3)
  })

  it('refuses a missing path with ERR_SCENARIO_NOT_FOUND', async () => {
    await expect(loadScenarios(['no/such/dir'])).rejects.toMatchObject({ code: 'ERR_SCENARIO_NOT_FOUND' })
  })
})
