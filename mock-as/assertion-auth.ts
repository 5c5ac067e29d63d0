/**
 * The AS side of private_key_jwt (RFC 7523 §3): find the client a
 * `client_assertion` names and verify it under the AS's current policy
 * (config `clientAssertion`, narrowed by the `/_chaos/assertion-audience`
 * knob). Every endpoint that authenticates clients reaches it through
 * `authenticateClient` (context.ts).
 */
import type { AsContext } from './context.ts'
import type { ClientConfig } from './config.ts'
import { ASSERTION_TYPE, assertionIssuer, JtiCache, verifyClientAssertion } from './client-assertion.ts'
import type { Params } from './form.ts'
import { OAuthError, invalidRequest } from './oauth-error.ts'
import { durationMs } from '../src/util/duration.ts'

const caches = new WeakMap<AsContext, JtiCache>()

/** The replay cache of one AS (created on first use). */
export function replayCache(ctx: AsContext): JtiCache {
  let c = caches.get(ctx)
  if (!c) {
    c = new JtiCache(ctx.config.clientAssertion.replayCacheSize)
    caches.set(ctx, c)
  }
  return c
}

/** Whether a client may authenticate with a client assertion. */
export function usesPrivateKeyJwt(client: ClientConfig): boolean {
  return client.tokenEndpointAuthMethod === 'private_key_jwt' || (!client.tokenEndpointAuthMethod && !!client.jwks)
}

/** Authenticate a request carrying `client_assertion(_type)`; `basic` tells whether it also sent Basic credentials. */
export function authenticateByAssertion(ctx: AsContext, params: Params, basic: boolean): ClientConfig {
  const type = params.get('client_assertion_type')
  const assertion = params.get('client_assertion')
  if (basic || params.get('client_secret') !== undefined)
    throw invalidRequest('more than one client authentication method (client_assertion and a secret)')
  if (type !== ASSERTION_TYPE)
    throw new OAuthError(
      'invalid_client',
      `unsupported client_assertion_type (got ${JSON.stringify(type?.slice(0, 80) ?? null)}, expected ${ASSERTION_TYPE})`,
    )
  if (assertion === undefined || assertion === '')
    throw new OAuthError('invalid_client', 'client_assertion is required')
  const iss = assertionIssuer(assertion)
  const bodyId = params.get('client_id')
  if (bodyId !== undefined && iss !== undefined && bodyId !== iss)
    throw new OAuthError('invalid_client', 'client_id does not match the client_assertion "iss" claim')
  const client = iss === undefined ? undefined : ctx.clients.get(iss)
  if (!client) throw new OAuthError('invalid_client', 'client authentication failed')
  if (client.public || !usesPrivateKeyJwt(client) || !client.jwks)
    throw new OAuthError('invalid_client', 'client is not registered for private_key_jwt')
  const cfg = ctx.config.clientAssertion
  verifyClientAssertion(
    {
      issuer: ctx.issuer,
      nowSeconds: () => ctx.clock.nowSeconds(),
      audience: ctx.chaos.assertionAudience,
      maxLifetimeS: durationMs(cfg.maxLifetime) / 1000,
      skewS: durationMs(cfg.clockTolerance) / 1000,
      replay: replayCache(ctx),
    },
    client,
    assertion,
  )
  return client
}
