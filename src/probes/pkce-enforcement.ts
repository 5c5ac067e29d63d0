/**
 * pkce-enforcement — RFC 7636 and RFC 9700 §2.1.1: a public client's
 * authorization request without a `code_challenge` must be refused, the
 * `plain` method must be refused (S256 only, RFC 9700 §4.8.2), and a code
 * redeemed with the wrong `code_verifier` must fail with `invalid_grant`
 * (RFC 7636 §4.6). A correct S256 login is the control: a broken login page
 * must not pass as "refused".
 */
import { Type } from '@sinclair/typebox'
import { authorize, exchangeCode } from '../oauth/client.ts'
import { pkcePair } from '../oauth/pkce.ts'
import { endpointsOf, pickClient, pickUser } from '../faults/support.ts'
import { Duration } from '../scenario/schema.ts'
import { registerSecret } from '../util/secrets.ts'
import { deadline } from './support.ts'
import { defineProbe } from './types.ts'

export const pkceEnforcement = defineProbe({
  id: 'pkce-enforcement',
  summary: 'A public client without a code_challenge, with plain, or redeeming with a wrong verifier is refused.',
  params: Type.Object(
    {
      timeout: Duration('bound on the whole probe', '20s'),
      client: Type.String({ default: 'spa', description: 'public client with the authorization_code grant' }),
      user: Type.Optional(Type.String({ description: 'username to log in (default: the first user)' })),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const ep = endpointsOf(ctx.targets, 'pkce-enforcement')
    const client = pickClient(ctx.targets, 'pkce-enforcement', 'authorization_code', params.client)
    const user = pickUser(ctx.targets, 'pkce-enforcement', params.user)
    const scope = ctx.targets.resourceServers[0]?.scope
    const base = { username: user.username, password: user.password, signal: limit.signal, ...(scope ? { scope } : {}) }
    const observations: Array<Record<string, unknown>> = []

    const noChallenge = await authorize(ep, client, { ...base, challengeMethod: 'none' })
    observations.push({
      t: ctx.now(),
      step: 'no-challenge',
      code: noChallenge.code !== undefined,
      error: noChallenge.error ?? null,
    })
    let noChallengeRefused = noChallenge.code === undefined
    if (noChallenge.code) {
      // an AS may refuse at the token endpoint instead (late, but still a refusal)
      registerSecret(noChallenge.code)
      const r = await exchangeCode(ep, client, noChallenge.code, undefined, limit.signal)
      observations.push({ t: ctx.now(), step: 'no-challenge-redeem', status: r.status, error: r.error ?? null })
      noChallengeRefused = !r.ok
    }

    const plainVerifier = pkcePair().verifier
    const plain = await authorize(ep, client, { ...base, challengeMethod: 'plain', codeVerifier: plainVerifier })
    observations.push({ t: ctx.now(), step: 'plain', code: plain.code !== undefined, error: plain.error ?? null })
    let plainRefused = plain.code === undefined
    if (plain.code) {
      registerSecret(plain.code)
      const r = await exchangeCode(ep, client, plain.code, plainVerifier, limit.signal)
      plainRefused = !r.ok
    }

    const good = pkcePair()
    const wrong = await authorize(ep, client, { ...base, challengeMethod: 'S256', codeVerifier: good.verifier })
    let wrongVerifierRefused = false
    let controlSucceeded = false
    if (wrong.code) {
      registerSecret(wrong.code)
      const r = await exchangeCode(ep, client, wrong.code, pkcePair().verifier, limit.signal)
      observations.push({ t: ctx.now(), step: 'wrong-verifier', status: r.status, error: r.error ?? null })
      wrongVerifierRefused = r.error === 'invalid_grant'
    }
    const control = pkcePair()
    const ctl = await authorize(ep, client, { ...base, challengeMethod: 'S256', codeVerifier: control.verifier })
    if (ctl.code) {
      registerSecret(ctl.code)
      const r = await exchangeCode(ep, client, ctl.code, control.verifier, limit.signal)
      controlSucceeded = r.ok
      observations.push({ t: ctx.now(), step: 'control', status: r.status, error: r.error ?? null })
    }
    const value = controlSucceeded && noChallengeRefused && plainRefused && wrongVerifierRefused
    return {
      name: 'PKCE enforced for public clients',
      status: controlSucceeded ? 'ok' : 'failed',
      value,
      unit: 'bool',
      breakdown: { noChallengeRefused, plainRefused, wrongVerifierRefused, controlSucceeded },
      observations,
      ...(controlSucceeded
        ? {}
        : { error: `the control login with S256 did not succeed (${ctl.error ?? ctl.status})` }),
    }
  },
})
