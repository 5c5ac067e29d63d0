/**
 * The control API (`/_control`, bearer admin token): RS clock skew for the
 * clock-skew fault, stats, state, reset and the event feed the runner polls.
 * Off when no admin token is configured.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { adminTokenMatches } from '../../src/util/component/admin-auth.ts'
import type { RsContext } from '../context.ts'

/** Ten years: anything larger is a unit mistake, not a skew. */
const MAX_OFFSET_S = 315_360_000

/** Stats as `GET /_control/stats` answers them. */
export function statsOf(ctx: RsContext): Record<string, unknown> {
  const t = ctx.telemetry
  return {
    validations: t.validationsByOutcome(),
    probeValidations: t.validationsByOutcome('probe'),
    jwksFetches: { ...t.jwksFetches, byCause: { ...t.jwksFetches.byCause } },
    introspectionCalls: { ...t.introspectionCalls, byStatus: { ...t.introspectionCalls.byStatus } },
    cacheHits: { ...t.cacheHits },
    cacheMisses: { ...t.cacheMisses },
    failOpenAcceptances: t.failOpenAcceptances,
    failOpenProbeAcceptances: t.failOpenProbeAcceptances,
    kids: ctx.jwks?.kids() ?? [],
    jwksCacheAgeSeconds: ctx.jwks?.ageSeconds() ?? null,
    introspectionCacheSize: ctx.introspector?.cacheSize() ?? 0,
    sampledEventsDropped: t.sampledEventsDropped,
    dpopRejections: t.dpopRejectionsBy('load'),
    probeDpopRejections: t.dpopRejectionsBy('probe'),
  }
}

export function controlRoutes(app: FastifyInstance, ctx: RsContext, adminToken: string): void {
  app.register(
    async (control) => {
      control.addHook('onRequest', async (request, reply) => {
        if (!adminTokenMatches(request.headers.authorization, adminToken)) {
          return reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="mock-rs control"')
            .send({ error: 'unauthorized', error_description: 'control API needs the admin token as a bearer token' })
        }
      })
      control.put(
        '/clock',
        {
          schema: {
            body: Type.Object(
              {
                offsetSeconds: Type.Number({
                  minimum: -MAX_OFFSET_S,
                  maximum: MAX_OFFSET_S,
                  description: 'seconds added to the RS clock',
                }),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (request) => {
          const { offsetSeconds } = request.body as { offsetSeconds: number }
          const previous = ctx.clock.offsetSeconds
          ctx.clock.offsetSeconds = offsetSeconds
          ctx.telemetry.emit('clock.skewed', { offsetSeconds, previous })
          return { offsetSeconds }
        },
      )
      control.get('/stats', async () => statsOf(ctx))
      control.get('/state', async () => ({
        name: ctx.name,
        profile: ctx.profile,
        mode: ctx.knobs.mode,
        knobs: ctx.knobs,
        issuer: ctx.issuer,
        audience: ctx.audience,
        jwksUri: ctx.jwksUri ?? null,
        introspectionEndpoint: ctx.introspectionEndpoint ?? null,
        clockOffsetSeconds: ctx.clock.offsetSeconds,
        kids: ctx.jwks?.kids() ?? [],
        jwksCacheAgeSeconds: ctx.jwks?.ageSeconds() ?? null,
        introspectionCacheSize: ctx.introspector?.cacheSize() ?? 0,
        introspectionBlockedUntil: ctx.introspector?.blockedUntilMs() || null,
        dpop: ctx.dpop?.view() ?? null,
      }))
      control.put(
        '/dpop',
        {
          schema: {
            body: Type.Object(
              {
                nonceRequired: Type.Optional(Type.Boolean({ description: 'require RS nonces (RFC 9449 §9)' })),
                nonceLifetimeMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
                iatPastSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
                iatFutureSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (request, reply) => {
          if (!ctx.dpop)
            return reply.code(409).send({
              error: 'invalid_request',
              error_description: `profile ${ctx.profile} does not verify DPoP (knob dpop: ignore)`,
            })
          ctx.dpop.set(request.body as Parameters<NonNullable<RsContext['dpop']>['set']>[0])
          ctx.telemetry.emit('dpop.changed', { ...(request.body as object) })
          return ctx.dpop.view()
        },
      )
      control.post('/reset', async () => {
        ctx.clock.offsetSeconds = 0
        ctx.telemetry.reset()
        ctx.jwks?.clear()
        ctx.introspector?.clear()
        ctx.dpop?.replay.clear()
        ctx.telemetry.emit('control.reset')
        return { status: 'reset' }
      })
      control.get(
        '/events',
        {
          schema: {
            querystring: Type.Object(
              { since: Type.Integer({ minimum: 0, default: 0 }) },
              { additionalProperties: false },
            ),
          },
        },
        async (request) => ({ events: ctx.telemetry.eventsSince((request.query as { since: number }).since) }),
      )
    },
    { prefix: '/_control' },
  )
}
