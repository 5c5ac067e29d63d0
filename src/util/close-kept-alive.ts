/**
 * Once `close()` has begun, every response a fastify app sends carries
 * `connection: close`. fastify marks only the requests that arrive while it
 * closes: a request already in flight would finish on a kept-alive socket,
 * and `close()` would wait for fastify's 72 s keep-alive timeout (a CI
 * teardown of mock-rs timed out after 60 s that way). mock-as and mock-rs
 * both use it; the fault proxy and the CDN force their connections closed.
 */
import type { FastifyInstance } from 'fastify'

export interface ShutdownFlag {
  closing: boolean
}

/**
 * Add the hooks to `app`; `flag.closing` turns true when `close()` begins
 * (pass your own flag when code outside fastify, such as mock-as's token
 * fast path, needs to know too).
 */
export function closeKeptAliveOnShutdown(app: FastifyInstance, flag: ShutdownFlag = { closing: false }): ShutdownFlag {
  app.addHook('preClose', (done) => {
    flag.closing = true
    done()
  })
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (flag.closing) reply.header('connection', 'close')
    done(null, payload)
  })
  return flag
}
