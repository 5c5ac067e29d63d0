import { spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBareVerify } from '../../bench/peers/bare-verify.ts'
import { createRsControl } from '../../mock-rs/client.ts'
import { type FixtureAs, startFixtureAs } from '../../mock-rs/fixture-as.ts'
import { parseRsArgs, serveRs } from '../../mock-rs/main.ts'
import { isGamedayError } from '../../src/errors.ts'
import { createLogger } from '../../src/log.ts'

let as: FixtureAs

beforeAll(async () => {
  as = await startFixtureAs()
})
afterAll(async () => {
  await as.close()
})

describe('mock-rs serveRs and createRsControl', () => {
  it('listens on 127.0.0.1 and drives the control API through the typed client', async () => {
    const served = await serveRs({ issuer: as.issuer, name: 'orders', port: 0, logger: false })
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const control = createRsControl(served.url, served.adminToken, 'orders')
      expect(control.source).toBe('rs:orders')
      const token = await as.mint({ expiresIn: 60 })
      const get = () => fetch(`${served.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
      expect((await get()).status).toBe(200)
      await control.setClockOffset(90)
      const res = await get()
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toContain('error_description="expired"')
      const stats = await control.stats()
      expect(stats.validations).toEqual({ accepted: 1, rejected: { expired: 1 } })
      const events = await control.poll(0)
      expect(events.map((e) => e.type)).toContain('clock.skewed')
      expect(await control.poll(events.at(-1)!.seq)).toEqual([])
      await control.reset()
      expect((await get()).status).toBe(200)
      const bad = createRsControl(served.url, 'not-the-token', 'orders')
      await expect(bad.stats()).rejects.toMatchObject({ code: 'ERR_CONTROL_REQUEST_FAILED' })
    } finally {
      await served.close()
    }
  })

  it('closes a kept-alive connection whose request was in flight when close() began, so close() does not wait out the keep-alive timeout', async () => {
    const served = await serveRs({
      issuer: as.issuer,
      name: 'orders',
      port: 0,
      logger: false,
      knobs: { mode: 'introspection' },
      introspectionClient: as.client,
    })
    const agent = new Agent({ keepAlive: true })
    try {
      as.setIntrospectionDelayMs(400)
      const answered = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = request(
          `${served.url}/api/orders`,
          { agent, headers: { authorization: `Bearer ${as.mintOpaque({ scope: 'orders:read' })}` } },
          (res) => {
            res.resume()
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
          },
        )
        req.on('error', reject)
        req.end()
      })
      await new Promise((r) => setTimeout(r, 150)) // the request now waits on introspection
      const closed = served.close().then(() => 'closed' as const)
      expect(await answered).toEqual({ status: 200, connection: 'close' })
      // without the header the socket stays open for fastify's 72 s keep-alive timeout and close() with it
      expect(
        await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000))]),
      ).toBe('closed')
    } finally {
      as.setIntrospectionDelayMs(0)
      agent.destroy()
      await served.close()
    }
  }, 20_000)

  it('parses CLI flags and refuses bad ones with ERR_CLI_USAGE', () => {
    const opts = parseRsArgs([
      '--as',
      'http://127.0.0.1:1',
      '--profile',
      'fixed-ttl',
      '--port',
      '0',
      '--mode',
      'introspection',
      '--introspection-client',
      'rs:s3cr:et',
      '--knobs',
      '{"jwksCacheMaxAge":"20s"}',
    ])
    expect(opts).toMatchObject({
      issuer: 'http://127.0.0.1:1',
      profile: 'fixed-ttl',
      port: 0,
      knobs: { mode: 'introspection', jwksCacheMaxAge: '20s' },
      introspectionClient: { clientId: 'rs', clientSecret: 's3cr:et' },
    })
    for (const argv of [
      [],
      ['--as', 'x', '--profile', 'nope'],
      ['--as', 'x', '--port', '-1'],
      ['--as', 'x', '--knobs', '{"bogus":1}'],
      ['--as', 'x', '--wat'],
    ]) {
      try {
        parseRsArgs(argv)
        expect.unreachable(argv.join(' '))
      } catch (err) {
        expect(isGamedayError(err, 'ERR_CLI_USAGE'), argv.join(' ')).toBe(true)
      }
    }
  })

  it('runs standalone (serve rs, the built CLI): URL on stdout line 1, admin token on line 2, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['dist/cli.js', 'serve', 'rs', '--as', as.issuer, '--profile', 'strict-clock', '--port', '0'],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'warn' },
      },
    )
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
      const url = (await lines.next()).value as string
      const adminToken = (await lines.next()).value as string
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(adminToken.length).toBeGreaterThan(20)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      const state = await createRsControl(url, adminToken, 'cli').state()
      expect(state.profile).toBe('strict-clock')
      const code = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await code).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('bare-verify (the bench peer) accepts what the RS accepts and rejects a tampered token', async () => {
    const bare = await startBareVerify({ jwksUri: as.jwksUri, issuer: as.issuer, audience: 'https://api.example' })
    try {
      const token = await as.mint()
      const ok = await fetch(`${bare.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
      expect(ok.status).toBe(200)
      const bad = await fetch(`${bare.url}/api/orders`, {
        headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
      })
      expect(bad.status).toBe(401)
    } finally {
      await bare.close()
    }
  })

  it('logs fetches and failures but never a token', async () => {
    const lines: string[] = []
    const logger = createLogger({ destination: { write: (l: string) => lines.push(l) }, pretty: false, level: 'debug' })
    const served = await serveRs({
      issuer: as.issuer,
      name: 'logged',
      port: 0,
      logger,
      profile: 'fail-open',
      introspectionClient: as.client,
    })
    try {
      const tokens = [await as.mint(), as.mintOpaque()]
      as.setIntrospectionFailure({ status: 503 })
      for (const t of tokens) {
        const res = await fetch(`${served.url}/api/orders?access_token=${encodeURIComponent(t)}`)
        expect(res.status).toBe(200)
      }
      as.setIntrospectionFailure(null)
      await fetch(`${served.url}/api/orders`, { headers: { authorization: `Bearer ${tokens[0]}x` } })
      const text = lines.join('')
      expect(text).toContain('fail_open.accepted')
      expect(text).toContain('introspection.failed')
      for (const t of tokens) expect(text).not.toContain(t)
      expect(text).not.toContain('eyJ')
    } finally {
      as.setIntrospectionFailure(null)
      await served.close()
    }
  })
})
