/**
 * The benchmark's target, run as a child process so it never shares an event
 * loop (or a CPU slice of one) with the engine: `/hello` (minimal), `/fixed`
 * (answers after FIXED_MS, default 20), `/stall` (answers at once, except
 * that once, STALL_AFTER_MS after its first request, every response is held
 * for STALL_MS — the classic coordinated-omission trap).
 * Prints its base URL as the first line on stdout.
 */
import Fastify from 'fastify'

const FIXED_MS = Number(process.env.FIXED_MS ?? 20)
const STALL_AFTER_MS = Number(process.env.STALL_AFTER_MS ?? 5000)
const STALL_MS = Number(process.env.STALL_MS ?? 1000)

const app = Fastify({ logger: false })
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
  done(null, body),
)
app.get('/hello', async () => ({ hello: 'world' }))
app.get('/fixed', async () => {
  await new Promise((r) => setTimeout(r, FIXED_MS))
  return { ok: true }
})
let firstStall = 0
app.get('/stall', async () => {
  const now = Date.now()
  if (!firstStall) firstStall = now
  const stallStart = firstStall + STALL_AFTER_MS
  const stallEnd = stallStart + STALL_MS
  if (now >= stallStart && now < stallEnd) await new Promise((r) => setTimeout(r, stallEnd - now))
  return { ok: true }
})
// a request with a DPoP proof gets a DPoP token (unchecked: the engine's client cost is measured, not a server's)
app.post('/token', async (req) => ({
  access_token: 'bench-token-0123456789',
  token_type: req.headers.dpop ? 'DPoP' : 'Bearer',
  expires_in: 3600,
}))
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${url}\n`)
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void app.close().then(() => process.exit(0)))
