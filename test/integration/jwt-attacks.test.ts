/**
 * The JWT attack catalog against the reference servers: the resilient
 * profile in both modes accepts nothing, and every weak profile or knob is
 * caught by exactly the attacks it should be (the detection matrix at the
 * probe level; scripts/matrix.ts runs the game day itself). Real mock-as,
 * real mock-rs, real HTTP on 127.0.0.1.
 */
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ATTACK_IDS } from '../../src/attacks/index.ts'
import type { AttackFinding } from '../../src/attacks/judge.ts'
import { probes } from '../../src/probes/index.ts'
import type { ProbeOutcome } from '../../src/probes/types.ts'
import { clearSecrets, maskSecrets } from '../../src/util/secrets.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

/** RS name → the attacks it must accept (everything else refused). */
const EXPECTED: Record<string, string[]> = {
  resilient: [],
  'resilient-introspection': [],
  'lax-claims': ['wrong-issuer', 'wrong-audience', 'missing-exp', 'typ-confusion'],
  'no-scope-check': ['scope-escalation'],
  'jose-defaults': ['typ-confusion'],
  'no-token-type-check': ['refresh-as-access'],
  'query-tokens': ['token-in-query'],
}

describe('jwt-attacks probe against mock-as and mock-rs', () => {
  let stack: TestStack
  let outcome: ProbeOutcome
  beforeAll(async () => {
    stack = await startTestStack({
      rs: [
        { name: 'resilient', profile: 'resilient' },
        { name: 'resilient-introspection', profile: 'resilient', knobs: { mode: 'introspection' } },
        { name: 'lax-claims', profile: 'lax-claims' },
        { name: 'no-scope-check', profile: 'no-scope-check' },
        { name: 'jose-defaults', profile: 'jose-defaults' },
        { name: 'no-token-type-check', profile: 'no-introspection-cache', knobs: { checkTokenType: false } },
        { name: 'query-tokens', profile: 'resilient', knobs: { allowQueryToken: true } },
      ],
    })
    const probe = probes['jwt-attacks']!
    const params = Value.Default(probe.params, { timeout: '60s', floodCount: 10 })
    expect(Value.Check(probe.params, params)).toBe(true)
    outcome = await probe.run(stack.context(), params as never, new AbortController().signal)
  }, 90_000)
  afterAll(async () => {
    await stack?.stop()
  })

  const findings = () => outcome.observations as unknown as AttackFinding[]

  it('records one applicable finding per RS and attack', () => {
    expect(outcome.status).toBe('ok')
    for (const rs of Object.keys(EXPECTED)) {
      const mine = findings().filter((f) => f.rs === rs)
      expect(mine.map((f) => f.attack)).toEqual(ATTACK_IDS)
      expect(
        mine.filter((f) => !f.applicable).map((f) => `${f.attack}: ${f.reason}`),
        rs,
      ).toEqual([])
    }
  })

  it.each(Object.entries(EXPECTED))('%s accepts exactly the attacks its weakness lets through', (rs, expected) => {
    const accepted = findings()
      .filter((f) => f.rs === rs && (f.accepted || f.fetchedAttackerUrl))
      .map((f) => f.attack)
    expect(accepted.sort()).toEqual([...expected].sort())
    expect(outcome.breakdown?.[rs]).toBe(expected.length)
    expect(
      findings()
        .filter((f) => f.rs === rs && f.robustness)
        .map((f) => `${f.attack}: ${f.robustness}`),
    ).toEqual([])
  })

  it('scores S2 from the findings: the sum over RSs', () => {
    expect(outcome.value).toBe(Object.values(EXPECTED).reduce((n, e) => n + e.length, 0))
  })

  it('refuses scope escalation with 403 insufficient_scope on the resilient RS and never fetches the attacker URL', () => {
    const scope = findings().find((f) => f.rs === 'resilient' && f.attack === 'scope-escalation')!
    expect(scope).toMatchObject({ accepted: false, status: 403, challenge: 'insufficient_scope' })
    expect(scope.reason).toBeUndefined()
    for (const f of findings().filter((x) => x.attack === 'jku-injection' || x.attack === 'x5u-injection'))
      expect(f.fetchedAttackerUrl, f.rs).toBe(false)
  })

  it('counts the key-set refetches of the unknown-kid flood: the resilient cooldown allows at most one', () => {
    const flood = findings().find((f) => f.rs === 'resilient' && f.attack === 'unknown-kid-flood')!
    expect(flood.requests).toBe(10)
    expect(flood.refetches).toBeGreaterThanOrEqual(0)
    expect(flood.refetches).toBeLessThanOrEqual(1)
  })

  it('keeps tokens out of the findings (short hashes only) and masks every token it sent', () => {
    const text = JSON.stringify(outcome)
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./)
    expect(findings()[0]!.tokenHashes!.length).toBeGreaterThan(0)
  })
})

describe('jwt-attacks probe without AS control (an external AS)', () => {
  it('marks the attacks that need AS-signed tokens with chosen claims not applicable, with the reason', async () => {
    const stack = await startTestStack({ rs: [{ name: 'orders', profile: 'resilient' }] })
    try {
      const ctx = stack.context()
      const { as: _as, ...control } = ctx.targets.control
      const external = { ...ctx, targets: { ...ctx.targets, control } }
      const probe = probes['jwt-attacks']!
      const out = await probe.run(
        external,
        Value.Default(probe.params, { attacks: ['alg-none', 'expired', 'wrong-audience'] }) as never,
        new AbortController().signal,
      )
      const f = out.observations as unknown as AttackFinding[]
      expect(f.map((x) => [x.attack, x.applicable])).toEqual([
        ['alg-none', true],
        ['expired', false],
        ['wrong-audience', false],
      ])
      expect(f[1]!.reason).toMatch(/mint route/)
      expect(out.value).toBe(0)
    } finally {
      await stack.stop()
    }
  })
})

describe('secrets', () => {
  it('masks an attack token wherever it would appear', () => {
    clearSecrets()
    expect(maskSecrets('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).not.toContain('eyJhbGciOiJub25lIn0')
  })
})
