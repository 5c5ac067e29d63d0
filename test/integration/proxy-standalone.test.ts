import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import Fastify, { type FastifyInstance } from 'fastify'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCdnControl } from '../../jwks-cdn/client.ts'
import { createProxyControl } from '../../fault-proxy/client.ts'

/** `oauth-gameday serve <args>` from the built CLI. */
async function startChild(args: string[]): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const url = (await lines.next()).value as string
  const token = (await lines.next()).value as string
  clearTimeout(timer)
  return { child, url, token }
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code] = (await exited) as [number | null]
  return code
}

describe('standalone cdn and fault proxy', () => {
  let origin: FastifyInstance
  let originUrl: string

  beforeAll(async () => {
    origin = Fastify({ logger: false })
    origin.get('/jwks', async (_req, reply) => reply.header('cache-control', 'max-age=60').send({ keys: [] }))
    await origin.listen({ port: 0, host: '127.0.0.1' })
    originUrl = `http://127.0.0.1:${(origin.server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await origin.close()
  })

  it('starts the fault proxy, prints URL and admin token, stops on SIGTERM', async () => {
    const { child, url, token } = await startChild(['proxy', '--upstream', originUrl, '--port', '0'])
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      await createProxyControl(url, token).addToxic({ type: 'error', pathPrefix: '/jwks', attributes: { status: 500 } })
      expect((await request(`${url}/jwks`)).statusCode).toBe(500)
    } finally {
      expect(await stop(child)).toBe(0)
    }
  })

  it('starts the cdn with a forced ttl flag', async () => {
    const { child, url, token } = await startChild(['cdn', '--origin', originUrl, '--port', '0', '--ttl', '10m'])
    try {
      await request(`${url}/jwks`).then((r) => r.body.dump())
      const res = await request(`${url}/jwks`)
      await res.body.dump()
      expect(res.headers['x-cache']).toBe('HIT')
      const state = (await createCdnControl(url, token).state()) as { config: { ttl: string } }
      expect(state.config.ttl).toBe('10m')
    } finally {
      expect(await stop(child)).toBe(0)
    }
  })

  it('refuses a non-loopback upstream with exit code 104', async () => {
    const child = spawn(
      process.execPath,
      ['dist/cli.js', 'serve', 'proxy', '--upstream', 'http://192.0.2.1', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
    })
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(104)
    expect(err).toContain('ERR_TARGET_NOT_LOOPBACK')
  })
})
