/**
 * The protected API the load calls: `GET /api/orders` needs the read scope,
 * `POST /api/orders` the write scope. The bodies are small and fixed; what
 * matters is the RFC 6750 gate in front of them.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { authenticate, type RsContext } from '../context.ts'

const ORDERS = [
  { id: 'o-1001', item: 'widget', quantity: 2 },
  { id: 'o-1002', item: 'gadget', quantity: 1 },
]

export function ordersRoutes(app: FastifyInstance, ctx: RsContext): void {
  app.get('/api/orders', async (request, reply) => {
    const claims = await authenticate(ctx, request, reply, ctx.readScope)
    if (!claims) return reply
    return { orders: ORDERS, sub: claims.sub ?? null, clientId: claims.clientId ?? null }
  })
  app.post('/api/orders', async (request, reply) => {
    const claims = await authenticate(ctx, request, reply, ctx.writeScope)
    if (!claims) return reply
    return reply.code(201).send({ id: `o-${randomUUID().slice(0, 8)}`, status: 'created', sub: claims.sub ?? null })
  })
}
