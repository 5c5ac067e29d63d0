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

const exposed = (o: ProbeOutcome) => (o.observations as unknown as ExposureFinding[]).filter((f) => f.exposed).map((f) => f.check)

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
