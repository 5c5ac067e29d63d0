import { describe, expect, it } from 'vitest'
import { metadata } from '../../mock-as/routes/metadata.ts'
import { type StackConfig, StackSection } from '../scenario/schema.ts'
import { withDefaults } from '../scenario/schema-errors.ts'
import { planStack } from './plan.ts'

const stackOf = (raw: Record<string, unknown>) => withDefaults<StackConfig>(StackSection, raw)
const rsOptions = (plan: Awaited<ReturnType<typeof planStack>>) =>
  plan.components
    .filter((c) => c.role === 'rs')
    .map((c) => c.options as { jwksUri?: string; introspectionEndpoint?: string })

process.env.PLAN_TEST_RS_SECRET = 'plan-test-secret'

describe('planStack', () => {
  it("tells each RS of the reference AS the jwks_uri and introspection endpoint the AS's metadata names, so no RS waits on the AS to boot", async () => {
    const plan = await planStack(
      stackOf({ authorizationServer: {}, resourceServers: [{ name: 'a' }, { name: 'b', profile: 'fixed-ttl' }] }),
    )
    const meta = metadata({
      issuer: plan.issuer,
      clients: new Map(),
      config: { signing: { alg: 'ES256' } },
      dpop: { settings: { algs: ['ES256'] } },
    } as never)
    expect(rsOptions(plan)).toEqual([
      expect.objectContaining({ jwksUri: meta.jwks_uri, introspectionEndpoint: meta.introspection_endpoint }),
      expect.objectContaining({ jwksUri: meta.jwks_uri, introspectionEndpoint: meta.introspection_endpoint }),
    ])
  })

  it('leaves an external issuer, and a reference AS given its own issuer URL, to discovery', async () => {
    const external = await planStack(
      stackOf({
        authorizationServer: {
          external: {
            issuer: 'http://127.0.0.1:9/',
            clients: [
              { clientId: 'rs', clientSecret: { env: 'PLAN_TEST_RS_SECRET' }, grantTypes: ['client_credentials'] },
            ],
          },
        },
        resourceServers: [{ name: 'a' }],
      }),
    )
    expect(rsOptions(external)[0]).not.toHaveProperty('jwksUri')
    expect(rsOptions(external)[0]).not.toHaveProperty('introspectionEndpoint')
    const named = await planStack(
      stackOf({ authorizationServer: { issuer: 'http://as.invalid' }, resourceServers: [{ name: 'a' }] }),
    )
    expect(rsOptions(named)[0]).not.toHaveProperty('jwksUri')
  })
})
