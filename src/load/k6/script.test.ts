import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { LoadConfig } from '../../scenario/schema.ts'
import { flowNames, generateK6Script, type K6Targets, thresholdsFor } from './script.ts'
import { typecheckK6Script } from './typecheck.ts'

const targets: K6Targets = {
  issuer: 'http://127.0.0.1:9000',
  tokenEndpoint: 'http://127.0.0.1:9000/token',
  authorizationEndpoint: 'http://127.0.0.1:9000/authorize',
  introspectionEndpoint: 'http://127.0.0.1:9000/introspect',
  clients: [
    {
      clientId: 'svc',
      clientSecret: 'svc-secret-canary-1',
      public: false,
      grantTypes: ['client_credentials'],
      scopes: ['orders:read'],
      redirectUris: [],
    },
    {
      clientId: 'spa',
      public: true,
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['orders:read'],
      redirectUris: ['http://127.0.0.1:5173/cb'],
    },
    { clientId: 'rs', clientSecret: 'rs-secret-canary-2', public: false, grantTypes: [], scopes: [], redirectUris: [] },
  ],
  users: [{ username: 'alice', password: 'wonderland-canary-3' }],
  resourceServers: [
    {
      name: 'orders',
      baseUrl: 'http://127.0.0.1:9101',
      apiUrl: 'http://127.0.0.1:9101/api/orders',
      scope: 'orders:read',
      audience: 'https://api.example',
      external: false,
    },
  ],
}

const flow = (
  f: Partial<LoadConfig['flows'][number]> & Pick<LoadConfig['flows'][number], 'flow' | 'executor'>,
): LoadConfig['flows'][number] => ({
  startRate: 0,
  timeUnit: '1s',
  preAllocatedVUs: 5,
  startTime: '0s',
  clients: 4,
  timeout: '10s',
  dpop: false,
  dpopAlg: 'ES256',
  ...f,
})

const everyFlow: LoadConfig = {
  duration: '60s',
  warmup: '5s',
  gracefulStop: '5s',
  flows: [
    flow({ flow: 'client-credentials', executor: 'constant-arrival-rate', rate: 50 }),
    flow({ flow: 'api-call', executor: 'constant-arrival-rate', rate: 100, target: 'orders', maxVUs: 40, dpop: true }),
    flow({
      flow: 'api-call',
      executor: 'ramping-arrival-rate',
      startRate: 10,
      stages: [
        { target: 200, duration: '20s' },
        { target: 0, duration: '10s' },
      ],
      target: 'orders',
    }),
    flow({ flow: 'refresh', executor: 'constant-vus', vus: 2 }),
    flow({ flow: 'auth-code', executor: 'constant-arrival-rate', rate: 2, startTime: '10s', duration: '20s' }),
    flow({ flow: 'introspection', executor: 'constant-arrival-rate', rate: 5 }),
    flow({ flow: 'browser-login', executor: 'constant-vus', vus: 1 }),
  ],
}

function optionsOf(script: string): {
  scenarios: Record<string, Record<string, unknown>>
  thresholds: Record<string, string[]>
} {
  const m = /export const options = (\{[\s\S]*?\n\});\n/.exec(script)
  if (!m) throw new Error('no options in script')
  return JSON.parse(m[1]!)
}

describe('generateK6Script', () => {
  it('type-checks against @types/k6 for every flow', () => {
    const { script } = generateK6Script(everyFlow, targets, [{ id: 'M1', objective: 'rate>=0.999' }])
    expect(typecheckK6Script(script)).toEqual([])
    // the DPoP code is in, its test markers are not
    expect(script).toContain('"dpop": true')
    expect(script).toContain('crypto.subtle.sign')
    expect(script).not.toContain('@@DPOP')
  })

  it('type-checks the checked-in flow library itself', () => {
    const lib = readFileSync(fileURLToPath(new URL('./lib.js', import.meta.url)), 'utf8')
    expect(typecheckK6Script(lib)).toEqual([])
  })

  it('reports a misuse of the k6 API (the check can fail)', () => {
    const { script } = generateK6Script(everyFlow, targets)
    const broken = script.replace('http.post(CONFIG.tokenEndpoint', 'http.pots(CONFIG.tokenEndpoint')
    expect(broken).not.toBe(script)
    expect(typecheckK6Script(broken).join('\n')).toMatch(/pots/)
  })

  it('mirrors each flow as a k6 scenario with the same executor settings', () => {
    const { script, scenarios } = generateK6Script(everyFlow, targets)
    const opts = optionsOf(script)
    const names = flowNames(everyFlow.flows)
    expect(Object.keys(opts.scenarios)).toEqual(names)
    expect(Object.values(scenarios)).toEqual(names)
    expect(opts.scenarios['client-credentials']).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: '60s',
      preAllocatedVUs: 5,
      maxVUs: 50,
      exec: 'clientCredentials',
    })
    expect(opts.scenarios['api-call-1']).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 100,
      maxVUs: 40,
      exec: 'apiCall',
      env: { GAMEDAY_FLOW: 'api-call-1' },
    })
    expect(opts.scenarios['api-call-2']).toMatchObject({
      executor: 'ramping-arrival-rate',
      startRate: 10,
      stages: [
        { target: 200, duration: '20s' },
        { target: 0, duration: '10s' },
      ],
    })
    expect(opts.scenarios.refresh).toMatchObject({ executor: 'constant-vus', vus: 2, duration: '60s' })
    expect(opts.scenarios['auth-code']).toMatchObject({ startTime: '10s', duration: '20s' })
    expect(opts.scenarios['browser-login']).toMatchObject({
      exec: 'browserLogin',
      options: { browser: { type: 'chromium' } },
    })
  })

  it('keeps every secret out of the script and hands it over as environment', () => {
    const { script, env } = generateK6Script(everyFlow, targets)
    for (const secret of ['svc-secret-canary-1', 'rs-secret-canary-2', 'wonderland-canary-3']) {
      expect(script).not.toContain(secret)
      expect(Object.values(env)).toContain(secret)
    }
    expect(env.GAMEDAY_SECRET_SVC).toBe('svc-secret-canary-1')
  })

  it('leaves the browser module out when no flow needs it', () => {
    const { script } = generateK6Script({ ...everyFlow, flows: [everyFlow.flows[0]!] }, targets)
    expect(script).not.toContain('k6/browser')
    expect(script).not.toContain('@@')
    expect(typecheckK6Script(script)).toEqual([])
  })
})

describe('thresholdsFor', () => {
  it('turns success-rate objectives into failure-rate thresholds and keeps latency syntax', () => {
    expect(
      thresholdsFor([
        { id: 'M1', objective: 'rate>=0.999' },
        { id: 'M2', objective: 'p(95)<300ms' },
        { id: 'M3', objective: 'rate<0.001' },
        { id: 'M4', objective: 'rate>=0.99' },
        { id: 'M9', objective: 'max<10s' },
      ]),
    ).toEqual({
      oauth_token_failed: ['rate<=0.001'],
      oauth_token_duration: ['p(95)<300'],
      rs_request_failed: ['rate<0.001'],
      'oauth_token_failed{grant:refresh_token}': ['rate<=0.01'],
    })
  })
})

describe('generateK6Script with private_key_jwt or PAR', () => {
  const load = (f: Partial<LoadConfig['flows'][number]>): LoadConfig => ({
    duration: '10s',
    warmup: '1s',
    gracefulStop: '1s',
    flows: [flow({ flow: 'client-credentials', executor: 'constant-arrival-rate', rate: 1, client: 'svc', ...f })],
  })

  const pkjKey = (alg: 'ES256' | 'EdDSA') => ({
    jwk: { kty: 'EC', crv: 'P-256', x: 'x-canary', y: 'y-canary', d: 'private-d-canary-4' },
    alg,
    kid: 'k-1',
  })
  const withPkj = (alg: 'ES256' | 'EdDSA' = 'ES256'): K6Targets => ({
    ...targets,
    pushedAuthorizationRequestEndpoint: 'http://127.0.0.1:9000/par',
    clients: [
      ...targets.clients,
      {
        clientId: 'pkj',
        public: false,
        grantTypes: ['client_credentials', 'authorization_code'],
        scopes: ['orders:read'],
        redirectUris: ['http://127.0.0.1:5173/cb'],
        authMethod: 'private_key_jwt',
        privateKey: pkjKey(alg),
      },
    ],
  })
  const codeOf = (fn: () => unknown) => {
    try {
      fn()
    } catch (e) {
      return `${(e as { code?: string }).code}: ${(e as Error).message}`
    }
    return 'no error'
  }

  it("hands a private_key_jwt client's key over as environment, never in the script, and type-checks", () => {
    const { script, env } = generateK6Script(load({ client: 'pkj' }), withPkj())
    expect(script).not.toContain('private-d-canary-4')
    expect(JSON.parse(env.GAMEDAY_KEY_PKJ!)).toMatchObject({ d: 'private-d-canary-4' })
    const config = JSON.parse(/const CONFIG = (\{[\s\S]*?\n\});/.exec(script)![1]!)
    expect(config.clients.pkj).toMatchObject({
      authMethod: 'private_key_jwt',
      keyEnv: 'GAMEDAY_KEY_PKJ',
      alg: 'ES256',
      kid: 'k-1',
    })
    expect(script).toContain('client_assertion_type')
    expect(typecheckK6Script(script)).toEqual([])
    // a flow that does not use the client gets no key in its environment
    expect(generateK6Script(load({}), withPkj()).env.GAMEDAY_KEY_PKJ).toBeUndefined()
  })

  it('carries the assertion audience and PAR of a flow into the script', () => {
    const { script } = generateK6Script(
      load({ flow: 'auth-code', client: 'pkj', par: true, assertionAudience: 'token-endpoint' }),
      withPkj(),
    )
    const config = JSON.parse(/const CONFIG = (\{[\s\S]*?\n\});/.exec(script)![1]!)
    expect(config.parEndpoint).toBe('http://127.0.0.1:9000/par')
    expect(Object.values(config.flows)[0]).toMatchObject({
      par: true,
      assertionAudience: 'http://127.0.0.1:9000/token',
    })
    expect(typecheckK6Script(script)).toEqual([])
  })

  it('refuses what the k6 script cannot do, naming the flow: no key, an EdDSA key, PAR in a browser login or without an endpoint', () => {
    expect(codeOf(() => generateK6Script(load({ clientAuth: 'private_key_jwt' }), targets))).toMatch(
      /^ERR_SCENARIO_INVALID: load\.flows\[0\]: client "svc" authenticates with private_key_jwt but the script has no private key/,
    )
    expect(codeOf(() => generateK6Script(load({ client: 'pkj' }), withPkj('EdDSA')))).toMatch(
      /^ERR_SCENARIO_INVALID: load\.flows\[0\]: k6's WebCrypto cannot sign EdDSA/,
    )
    expect(
      codeOf(() => generateK6Script(load({ flow: 'browser-login', client: 'spa', par: true }), withPkj())),
    ).toMatch(/^ERR_SCENARIO_INVALID: load\.flows\[0\]: the k6 script's browser login does not push PAR/)
    expect(codeOf(() => generateK6Script(load({ flow: 'auth-code', client: 'spa', par: true }), targets))).toMatch(
      /^ERR_SCENARIO_INVALID: load\.flows\[0\]: par is set but the AS publishes no pushed_authorization_request_endpoint/,
    )
    expect(codeOf(() => generateK6Script(load({}), targets))).toBe('no error')
  })
})
