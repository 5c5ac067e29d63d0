/**
 * Authorization server metadata (RFC 8414 §2) at both well-known names, the
 * JWKS (RFC 7517; public members only, cacheable for jwksMaxAge), /healthz
 * and /metrics.
 */
import type { FastifyInstance } from 'fastify'
import type { AsContext } from '../context.ts'
import { ASSERTION_ALGS } from '../client-assertion.ts'
import { DEVICE_GRANT } from './token.ts'

export function metadata(ctx: AsContext): Record<string, unknown> {
  const at = (p: string) => `${ctx.issuer}${p}`
  const authMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']
  return {
    issuer: ctx.issuer,
    authorization_endpoint: at('/authorize'),
    token_endpoint: at('/token'),
    jwks_uri: at('/jwks'),
    introspection_endpoint: at('/introspect'),
    revocation_endpoint: at('/revoke'),
    device_authorization_endpoint: at('/device_authorization'),
    pushed_authorization_request_endpoint: at('/par'),
    require_pushed_authorization_requests: false,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', DEVICE_GRANT],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
    introspection_endpoint_auth_methods_supported: authMethods.slice(0, 3),
    introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
    revocation_endpoint_auth_methods_supported: authMethods,
    scopes_supported: [...new Set([...ctx.clients.values()].flatMap((c) => c.scopes))],
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [ctx.config.signing.alg],
    dpop_signing_alg_values_supported: [...ctx.dpop.settings.algs],
  }
}

export function metadataRoutes(app: FastifyInstance, ctx: AsContext): void {
  const send = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('cache-control', 'public, max-age=60').send(metadata(ctx))
  app.get('/.well-known/oauth-authorization-server', send)
  app.get('/.well-known/openid-configuration', send)
  app.get('/jwks', async (_req, reply) =>
    reply
      .header('content-type', 'application/jwk-set+json; charset=utf-8')
      .header('cache-control', `public, max-age=${Math.floor(ctx.ttl.jwksMaxAge / 1000)}`)
      .send(ctx.keys.jwksJson()),
  )
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  )
}
