import { spawn } from 'node:child_process'
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { loadAsConfig } from '../../mock-as/config.ts'
import { authorize, basic, codeFlow, json, pkce, post } from '../../mock-as/testing.ts'
import { isGamedayError } from '../../src/errors.ts'
import { baseLogOptions } from '../../src/log.ts'
import { seededRandom } from '../../src/util/random.ts'

const ENDPOINTS = [
  '/token',
  '/introspect',
  '/revoke',
  '/device_authorization',
  '/authorize',
  '/device',
  '/_chaos/rotate',
  '/_chaos/clock',
  '/_chaos/revoke',
  '/jwks',
  '/nope',
]

describe('mock-as robustness', () => {
  it('never answers 500 to garbage', async () => {
    const app = await buildAuthorizationServer({ adminToken: 'adm', logger: false })
    const rnd = seededRandom(42)
    const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)))
    const headerSets: Array<Record<string, string>> = [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'application/x-www-form-urlencoded; charset=latin1' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': ';;;' },
      { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic' },
      { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ====' },
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('svc').toString('base64')}`,
      },
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('%zz:%zz').toString('base64')}`,
      },
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(':').toString('base64')}`,
      },
      { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer x' },
      { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer adm' },
      { 'content-type': 'application/json', authorization: 'Bearer adm' },
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('svc', 'svc-secret') },
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('rs', 'rs-secret'),
        cookie: 'mock_as_csrf=%%%; ;=;',
      },
    ]
    const bodies: Array<string | Buffer> = [
      '',
      '{"grant_type":"client_credentials"}',
      '[1,2',
      'grant_type=%E0%A4%A',
      'grant_type=%zz&%%%=1',
      '&&&===&&',
      'grant_type=client_credentials&grant_type=client_credentials',
      `grant_type=client_credentials&scope=${'x'.repeat(20_000)}`,
      `token=${'a'.repeat(9000)}`,
      'token=eyJhbGciOiJub25lIn0.eyJqdGkiOjF9.&token_type_hint=refresh_token',
      'token=eyJ%00.eyJ.x',
      'grant_type=authorization_code&code=x&code_verifier=%00%01',
      'grant_type=refresh_token&refresh_token=__proto__',
      'grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=constructor&client_id=device',
      'client_id=__proto__&grant_type=client_credentials',
      'txn=x&csrf=y&decision=approve',
      'mode=wrong-alg',
      '{"mode":"wrong-alg","alg":{"x":1}}',
      '{"offsetSeconds":1e400}',
      '{"clientId":["a"]}',
      'null',
      garbage(64),
      garbage(4096),
    ]
    let count = 0
    for (const url of ENDPOINTS) {
      for (const method of ['POST', 'PUT', 'GET'] as const) {
        for (const headers of headerSets) {
          for (const payload of bodies) {
            if (method === 'GET' && payload !== '') continue
            // every combination on /token, a seeded sample elsewhere (keeps the suite fast)
            if (url !== '/token' && method !== 'GET' && rnd() > 0.2) continue
            const res = await app.inject({ method, url, headers, payload })
            count++
            expect(
              res.statusCode,
              `${method} ${url} ${JSON.stringify(headers)} ${String(payload).slice(0, 60)}`,
            ).toBeLessThan(500)
          }
        }
      }
    }
    for (const q of [
      '%',
      '%zz',
      'client_id=%E0%A4%A',
      `client_id=spa&redirect_uri=${'x'.repeat(10_000)}`,
      'client_id=spa&client_id=spa',
      'response_type=code&client_id=spa&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2Fcb&code_challenge=%00',
    ]) {
      for (const url of ['/authorize', '/device', '/_chaos/events', '/token']) {
        const res = await app.inject({ method: 'GET', url: `${url}?${q}`, headers: { authorization: 'Bearer adm' } })
        expect(res.statusCode, `${url}?${q.slice(0, 60)}`).toBeLessThan(500)
      }
    }
    expect(count).toBeGreaterThan(1200)
    expect(
      json(
        await post(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'svc-secret') }),
      ).token_type,
    ).toBe('Bearer')
    await app.close()
  })

  it('never answers 500 on raw malformed HTTP and keeps serving', async () => {
    const app = await buildAuthorizationServer({ logger: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const { connect } = await import('node:net')
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.end(text))
        let out = ''
        s.on('data', (d) => (out += d.toString()))
        s.on('close', () => resolve(out))
        s.on('error', () => resolve(out))
        s.setTimeout(3000, () => s.destroy())
      })
    for (const req of [
      'POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n\u00ff\u00fe\u0000ab',
      'POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\n',
      'GET /%%%/../token HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nabc',
    ]) {
      const out = await raw(req)
      expect(out.slice(0, 12), req.slice(0, 40)).not.toMatch(/ 5\d\d/)
    }
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(ok.status).toBe(200)
    await app.close()
  })

  it('never writes a token, code, secret or password to the log', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    const logger = pino(baseLogOptions('trace'), sink)
    const app = await buildAuthorizationServer({ adminToken: 'admin-canary-token', logger })
    const secrets = ['svc-secret', 'rs-secret', 'web-secret', 'wonderland', 'admin-canary-token']
    const cc = json(
      await post(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'svc-secret') }),
    )
    const opaque = json(
      await post(app, '/token', {
        grant_type: 'client_credentials',
        client_id: 'svc-opaque',
        client_secret: 'svc-opaque-secret',
      }),
    )
    const flow = await codeFlow(app, 'web', 'http://127.0.0.1:5173/cb', { authorization: basic('web', 'web-secret') })
    const { location } = await authorize(app, {
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: 'http://127.0.0.1:5173/cb',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    })
    const code = location!.searchParams.get('code')!
    await post(app, '/token', {
      grant_type: 'authorization_code',
      code,
      client_id: 'spa',
      code_verifier: pkce().verifier,
    })
    await post(app, '/token', {
      grant_type: 'authorization_code',
      code,
      client_id: 'spa',
      code_verifier: pkce().verifier,
    })
    const rotated = json(
      await post(
        app,
        '/token',
        { grant_type: 'refresh_token', refresh_token: String(flow.refresh_token) },
        { authorization: basic('web', 'web-secret') },
      ),
    )
    await post(
      app,
      '/token',
      { grant_type: 'refresh_token', refresh_token: String(flow.refresh_token) },
      { authorization: basic('web', 'web-secret') },
    )
    await post(app, '/introspect', { token: String(cc.access_token) }, { authorization: basic('rs', 'rs-secret') })
    await post(app, '/revoke', {
      token: String(opaque.access_token),
      client_id: 'svc-opaque',
      client_secret: 'svc-opaque-secret',
    })
    await post(
      app,
      '/token',
      { grant_type: 'client_credentials' },
      { authorization: basic('svc', 'wrong-canary-secret') },
    )
    await app.inject({
      method: 'POST',
      url: '/_chaos/rotate',
      headers: { authorization: 'Bearer admin-canary-token', 'content-type': 'application/json' },
      payload: '{"mode":"drop-old-early"}',
    })
    await app.inject({
      method: 'POST',
      url: '/_chaos/revoke',
      headers: { authorization: 'Bearer admin-canary-token', 'content-type': 'application/json' },
      payload: '{"sub":"alice"}',
    })
    await app.close()
    const text = lines.join('')
    expect(lines.length).toBeGreaterThan(3)
    expect(text).toContain('refresh_token.reused')
    const values = [
      ...secrets,
      'svc-opaque-secret',
      'wrong-canary-secret',
      code,
      ...[cc, opaque, flow, rotated]
        .flatMap((t) => [t.access_token, t.refresh_token])
        .filter(Boolean)
        .map(String),
    ]
    for (const v of values) expect(text, `leaked ${v.slice(0, 12)}…`).not.toContain(v)
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/)
  })

  it('refuses an invalid config listing every error with its path', async () => {
    const err = await buildAuthorizationServer({
      config: { accesTokenTtl: '5s', signing: { alg: 'HS256' }, clients: [{ clientId: 'x', public: false }] },
      logger: false,
    }).catch((e: unknown) => e)
    expect(isGamedayError(err, 'ERR_CONFIG_INVALID')).toBe(true)
    const details = (err as { details: string[] }).details.join('\n')
    expect(details).toContain('accesTokenTtl: unknown key')
    expect(details).toContain('signing.alg')
    expect(() => loadAsConfig({ clients: [{ clientId: 'x' }] })).toThrow(/clients\[0\]\.clientSecret/)
    expect(() => loadAsConfig('/nonexistent/as.yaml')).toThrow(/cannot read/)
    expect(loadAsConfig({}).accessTokenTtl).toBe('300s')
  })

  it('runs standalone (serve as, the built CLI): prints the issuer URL and admin token, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'serve', 'as', '--port', '0', '--admin-token', 'cli-admin'], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d.toString()))
    const end = Date.now() + 30_000
    while (out.split('\n').length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    const [url, token] = out.split('\n')
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(token).toBe('cli-admin')
    const meta = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string }
    expect(meta.issuer).toBe(url)
    expect((await fetch(`${url}/_chaos/state`, { headers: { authorization: 'Bearer cli-admin' } })).status).toBe(200)
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
