/**
 * The as-exposure probe (F8) against mock-as: the reference defaults expose
 * nothing (introspection authenticated, only the RS client sees other
 * clients' tokens, unknown resources refused with invalid_target); each lax
 * knob is caught by its check.
 */
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExposureFinding } from '../../src/probes/as-exposure.ts'
import { probes } from '../../src/probes/index.ts'
import type { ProbeOutcome } from '../../src/probes/types.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

async function run(stack: TestStack, params: Record<string, unknown> = {}): Promise<ProbeOutcome> {
  const probe = probes['as-exposure']!
  const filled = Value.Default(probe.params, params)
  expect(Value.Check(probe.params, filled)).toBe(true)
  return probe.run(stack.context(), filled as never, new AbortController().signal)
}

const exposed = (o: ProbeOutcome) =>
  (o.observations as unknown as ExposureFinding[]).filter((f) => f.exposed).map((f) => f.check)

describe('as-exposure probe against mock-as', () => {
  let secure: TestStack
  let lax: TestStack
  beforeAll(async () => {
    ;[secure, lax] = await Promise.all([
      startTestStack({ rs: [] }),
      startTestStack({ as: { introspection: { anyClient: true }, resources: { allowAny: true } }, rs: [] }),
    ])
  })
  afterAll(async () => {
    await Promise.all([secure?.stop(), lax?.stop()])
  })

  it('finds nothing on the reference defaults, every check applicable', async () => {
    const o = await run(secure, { burst: 20 })
    expect(o.status).toBe('ok')
    const f = o.observations as unknown as ExposureFinding[]
    expect(f.map((x) => [x.check, x.applicable])).toEqual([
      ['unauthenticated', true],
      ['wrong-secret', true],
      ['cross-client-access', true],
      ['cross-client-refresh', true],
      ['token-scanning-burst', true],
      ['unregistered-audience', true],
    ])
    expect(exposed(o)).toEqual([])
    expect(o.value).toBe(0)
    expect(f.find((x) => x.check === 'unauthenticated')!.status).toBe(401)
    expect(f.find((x) => x.check === 'unregistered-audience')!.status).toBe(400)
    expect(f.find((x) => x.check === 'token-scanning-burst')).toMatchObject({ sent: 20, throttled: 0 })
  })

  it('catches introspection.anyClient (token scanning across clients) and resources.allowAny (invalid_target missing)', async () => {
    const o = await run(lax, { burst: 0 })
    expect(exposed(o).sort()).toEqual(['cross-client-access', 'cross-client-refresh', 'unregistered-audience'])
    expect(o.value).toBe(3)
  })
})

describe('as-exposure probe against an AS nobody here wrote (oauth2-mock-server)', () => {
  it('finds what that test double really does: introspection open to anyone, any audience issued', async () => {
    const { OAuth2Server } = await import('oauth2-mock-server')
    const server = new OAuth2Server()
    await server.issuer.keys.generate('ES256')
    await server.start(0, '127.0.0.1')
    const url = `http://127.0.0.1:${server.address().port}`
    server.issuer.url = url
    const stack = await startTestStack({ rs: [] })
    try {
      const ctx = stack.context()
      const clients = [
        {
          clientId: 'svc',
          clientSecret: 'svc-secret',
          public: false,
          grantTypes: ['client_credentials'],
          scopes: ['orders:read'],
          redirectUris: [],
        },
        {
          clientId: 'web',
          clientSecret: 'web-secret',
          public: false,
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['orders:read'],
          redirectUris: ['http://127.0.0.1:5173/cb'],
        },
      ]
      const targets = {
        ...ctx.targets,
        issuer: url,
        tokenEndpoint: `${url}/token`,
        authorizationEndpoint: `${url}/authorize`,
        introspectionEndpoint: `${url}/introspect`,
        clients,
        control: {},
      }
      const probe = probes['as-exposure']!
      const o = await probe.run(
        { ...ctx, targets },
        Value.Default(probe.params, { burst: 5 }) as never,
        new AbortController().signal,
      )
      const f = o.observations as unknown as ExposureFinding[]
      // its introspection handler answers { active: true } to every caller; /token signs whatever aud is asked
      expect(exposed(o).sort()).toEqual([
        'cross-client-access',
        'cross-client-refresh',
        'unauthenticated',
        'unregistered-audience',
        'wrong-secret',
      ])
      expect(f.find((x) => x.check === 'unauthenticated')).toMatchObject({
        applicable: true,
        exposed: true,
        status: 200,
      })
      expect(f.find((x) => x.check === 'token-scanning-burst')).toMatchObject({ sent: 5, throttled: 0 })
      expect(o.value).toBe(5)
    } finally {
      await stack.stop()
      await server.stop()
    }
  })
})
