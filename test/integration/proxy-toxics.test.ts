import Fastify, { type FastifyInstance } from 'fastify'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isGamedayError } from '../../src/errors.ts'
import { createLogger } from '../../src/log.ts'
import type { ServedComponent } from '../../src/util/component/common.ts'
import { buildFaultProxy } from '../../fault-proxy/app.ts'
import { serveProxy } from '../../fault-proxy/main.ts'
import { createProxyControl, type ProxyControlClient } from '../../fault-proxy/client.ts'

const BIG = Buffer.alloc(600, 'x')

async function startUpstream(): Promise<{ app: FastifyInstance; url: string; seen: Array<Record<string, unknown>> }> {
  const seen: Array<Record<string, unknown>> = []
  const app = Fastify({ logger: false })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.all('/*', async (req) => {
    const body = req.body as Buffer | string | undefined
    const rec = {
      method: req.method,
      url: req.url,
      host: req.headers.host,
      authorization: req.headers.authorization ?? null,
      contentType: req.headers['content-type'] ?? null,
      body:
        body === undefined
          ? null
          : Buffer.isBuffer(body)
            ? body.toString()
            : typeof body === 'string'
              ? body
              : JSON.stringify(body),
    }
    seen.push(rec)
    return rec
  })
  app.get('/big', async (_req, reply) => reply.type('application/octet-stream').send(BIG))
  app.get('/stream', (_req, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain' })
    reply.raw.write('first;')
    setTimeout(() => reply.raw.end('second'), 400)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return { app, url: `http://127.0.0.1:${port}`, seen }
}

async function timed(url: string, init: Parameters<typeof request>[1] = {}) {
  const t0 = performance.now()
  const res = await request(url, init)
  const body = await res.body.text()
  return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - t0 }
}

describe('fault-proxy', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>
  let proxy: ServedComponent
  let control: ProxyControlClient
  const logLines: string[] = []

  beforeAll(async () => {
    upstream = await startUpstream()
    proxy = await serveProxy({
      upstream: upstream.url,
      logger: createLogger({ level: 'debug', destination: { write: (l: string) => logLines.push(l) } }),
    })
    control = createProxyControl(proxy.url, proxy.adminToken)
  })
  afterAll(async () => {
    await proxy.close()
    await upstream.app.close()
  })
  afterEach(async () => {
    await control.reset()
  })

  it('forwards method, path, query, headers and body, and rewrites Host', async () => {
    const res = await timed(`${proxy.url}/token?x=1&y=2`, {
      method: 'POST',
      headers: { authorization: 'Bearer canary-token-abcdef', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=orders%3Aread',
    })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({
      method: 'POST',
      url: '/token?x=1&y=2',
      host: new URL(upstream.url).host,
      authorization: 'Bearer canary-token-abcdef',
      contentType: 'application/x-www-form-urlencoded',
      body: 'grant_type=client_credentials&scope=orders%3Aread',
    })
    const del = await timed(`${proxy.url}/things/1`, { method: 'DELETE' })
    expect(JSON.parse(del.body)).toMatchObject({ method: 'DELETE', url: '/things/1' })
    expect(logLines.join('\n')).not.toContain('canary-token-abcdef')
    expect(logLines.join('\n')).not.toContain('client_credentials')
  })

  it('streams the response instead of buffering it', async () => {
    const t0 = performance.now()
    const res = await request(`${proxy.url}/stream`)
    const chunks: Array<{ text: string; ms: number }> = []
    for await (const chunk of res.body) chunks.push({ text: (chunk as Buffer).toString(), ms: performance.now() - t0 })
    expect(chunks.map((c) => c.text).join('')).toBe('first;second')
    expect(chunks[0]!.text).toBe('first;')
    expect(chunks.at(-1)!.ms - chunks[0]!.ms).toBeGreaterThanOrEqual(300)
  })

  it('adds latency of at least latencyMs', async () => {
    await control.addToxic({ type: 'latency', attributes: { latencyMs: 300 } })
    const res = await timed(`${proxy.url}/api/orders`)
    expect(res.status).toBe(200)
    expect(res.ms).toBeGreaterThanOrEqual(290)
    expect(res.ms).toBeLessThan(3000)
  })

  it('answers the error status at the toxicity share', async () => {
    await control.addToxic({ type: 'error', toxicity: 0.3, attributes: { status: 503 } })
    const n = 300
    let errors = 0
    const batch = 20
    for (let i = 0; i < n; i += batch) {
      const results = await Promise.all(Array.from({ length: batch }, () => timed(`${proxy.url}/introspect`)))
      for (const res of results) {
        if (res.status === 503) {
          errors++
          expect(JSON.parse(res.body)).toMatchObject({ error: 'temporarily_unavailable' })
        } else expect(res.status).toBe(200)
      }
    }
    expect(errors / n).toBeGreaterThan(0.2)
    expect(errors / n).toBeLessThan(0.4)
    const stats = await control.stats()
    expect(stats.byToxic.error).toBe(errors)
    expect(stats.requests).toBe(n)
  })

  it('accepts ratio as an alias of toxicity for the error toxic', async () => {
    const { name } = await control.addToxic({ type: 'error', attributes: { status: 500, ratio: 0 } })
    expect((await timed(`${proxy.url}/x`)).status).toBe(200)
    expect((await control.listToxics())[0]).toMatchObject({ name, toxicity: 0 })
    await control.updateToxic(name, { toxicity: 1 })
    expect((await timed(`${proxy.url}/x`)).status).toBe(500)
    await control.updateToxic(name, { attributes: { ratio: 0 } })
    expect((await timed(`${proxy.url}/x`)).status).toBe(200)
  })

  it('rate-limits beyond the burst with 429 and Retry-After', async () => {
    await control.addToxic({ type: 'rate-limit', attributes: { rate: 0.5, burst: 3 } })
    const results = []
    for (let i = 0; i < 6; i++) results.push(await timed(`${proxy.url}/introspect`))
    expect(results.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200])
    const limited = results.slice(3)
    expect(limited.every((r) => r.status === 429)).toBe(true)
    for (const r of limited) expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('holds the request without answering, then closes the connection', async () => {
    await control.addToxic({ type: 'timeout', attributes: { holdMs: 400 } })
    const t0 = performance.now()
    await expect(request(`${proxy.url}/jwks`)).rejects.toThrow()
    expect(performance.now() - t0).toBeGreaterThanOrEqual(380)
  })

  it('holds until the client gives up when holdMs is 0', async () => {
    await control.addToxic({ type: 'timeout', pathPrefix: '/jwks' })
    const t0 = performance.now()
    await expect(request(`${proxy.url}/jwks`, { signal: AbortSignal.timeout(300) })).rejects.toThrow()
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280)
    for (let i = 0; i < 50 && ((await control.state()) as { inflight: number }).inflight > 0; i++)
      await new Promise((r) => setTimeout(r, 20))
    expect(((await control.state()) as { inflight: number }).inflight).toBe(0)
  })

  it('resets the connection', async () => {
    await control.addToxic({ type: 'reset' })
    const err = (await request(`${proxy.url}/token`, { method: 'POST', body: 'a=b' }).catch(
      (e: unknown) => e,
    )) as Error & { code?: string }
    expect(err).toBeInstanceOf(Error)
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(err.code ?? (err.cause as { code?: string } | undefined)?.code)
  })

  it('sends the body no faster than bytesPerSecond', async () => {
    await control.addToxic({ type: 'slow-body', attributes: { bytesPerSecond: 1000 } })
    const res = await timed(`${proxy.url}/big`)
    expect(res.body).toBe(BIG.toString())
    expect(res.ms).toBeGreaterThanOrEqual(550)
    expect(res.ms).toBeLessThan(5000)
  })

  it('limits a toxic to its path prefix', async () => {
    await control.addToxic({ type: 'error', pathPrefix: '/token', attributes: { status: 500 } })
    expect((await timed(`${proxy.url}/token`)).status).toBe(500)
    expect((await timed(`${proxy.url}/token/sub?x=1`)).status).toBe(500)
    expect((await timed(`${proxy.url}/jwks`)).status).toBe(200)
  })

  it('restores normal service when the toxic is removed, and records the events', async () => {
    const before = (await control.poll(0)).at(-1)?.seq ?? 0
    const { name } = await control.addToxic({ type: 'error', attributes: { status: 502 } })
    expect((await timed(`${proxy.url}/x`)).status).toBe(502)
    await control.updateToxic(name, { attributes: { status: 504 } })
    expect((await timed(`${proxy.url}/x`)).status).toBe(504)
    await control.updateToxic(name, { pathPrefix: '/other' })
    expect((await timed(`${proxy.url}/x`)).status).toBe(200)
    await control.updateToxic(name, { pathPrefix: null })
    expect((await timed(`${proxy.url}/x`)).status).toBe(504)
    await control.removeToxic(name)
    expect((await timed(`${proxy.url}/x`)).status).toBe(200)
    expect(await control.listToxics()).toEqual([])
    const events = await control.poll(before)
    expect(events.map((e) => e.type)).toEqual([
      'toxic.added',
      'toxic.updated',
      'toxic.updated',
      'toxic.updated',
      'toxic.removed',
    ])
    expect(events[0]?.data).toMatchObject({ name, type: 'error' })
  })

  it('answers 502 when the upstream is down', async () => {
    const p = await serveProxy({ upstream: 'http://127.0.0.1:1', logger: false })
    try {
      const res = await timed(`${p.url}/x`)
      expect(res.status).toBe(502)
      expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_gateway' })
    } finally {
      await p.close()
    }
  })

  it('answers bad control input with 400 naming the field and the expected value', async () => {
    const post = async (body: unknown) => {
      const res = await request(`${proxy.url}/_proxy/toxics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${proxy.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return { status: res.statusCode, message: ((await res.body.json()) as { message: string }).message }
    }
    expect(await post({ type: 'latency', attributes: { latencyMs: -5 } })).toEqual({
      status: 400,
      message: 'body.attributes.latencyMs: must be a number >= 0 <= 600000 (got -5)',
    })
    const badType = await post({ type: 'slow' })
    expect(badType.status).toBe(400)
    expect(badType.message).toContain('body.type')
    expect(badType.message).toContain('"latency"')
    expect(await post({ type: 'error', toxicity: 2 })).toMatchObject({
      status: 400,
      message: expect.stringContaining('body.toxicity: must be a number >= 0 <= 1 (got 2)'),
    })
    expect(await post({ type: 'latency', attributes: { latency: 5 } })).toMatchObject({
      status: 400,
      message: expect.stringContaining('body.attributes.latency: unknown field'),
    })
    expect(await post({ type: 'rate-limit', attributes: { rate: 0 } })).toMatchObject({
      status: 400,
      message: expect.stringContaining('body.attributes.rate'),
    })
    expect(await post({ type: 'latency', pathPrefix: 'token' })).toMatchObject({
      status: 400,
      message: expect.stringContaining('body.pathPrefix'),
    })
    await control.addToxic({ type: 'latency', name: 'dup' })
    expect((await post({ type: 'latency', name: 'dup' })).status).toBe(409)
    await expect(control.removeToxic('nope')).rejects.toMatchObject({
      code: 'ERR_CONTROL_REQUEST_FAILED',
      message: expect.stringContaining('404'),
    })
  })

  it('refuses the control API without the admin token', async () => {
    expect((await request(`${proxy.url}/_proxy/toxics`)).statusCode).toBe(401)
    const res = await request(`${proxy.url}/_proxy/toxics`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong' },
      body: '{}',
    })
    expect(res.statusCode).toBe(401)
    await expect(createProxyControl(proxy.url, 'wrong').listToxics()).rejects.toMatchObject({
      code: 'ERR_CONTROL_REQUEST_FAILED',
    })
  })

  it('exposes healthz and metrics', async () => {
    expect(JSON.parse((await timed(`${proxy.url}/healthz`)).body)).toEqual({ status: 'ok' })
    expect((await timed(`${proxy.url}/metrics`)).body).toContain('proxy_requests_total')
  })

  it('refuses a non-loopback upstream unless allowed', async () => {
    const err = await buildFaultProxy({ upstream: 'http://10.0.0.1', logger: false }).catch((e: unknown) => e)
    expect(isGamedayError(err, 'ERR_TARGET_NOT_LOOPBACK')).toBe(true)
  })
})
