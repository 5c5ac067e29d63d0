import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { TransportError } from './http.ts'
import { createHttp1Client, type Http1Client } from './http1.ts'

/** A raw TCP server whose replies are written byte by byte as the test says (split into the given pieces). */
async function rawServer(
  reply: (req: string, socket: Socket, n: number) => void,
): Promise<{ origin: string; server: Server; connections: () => number }> {
  let n = 0
  let conns = 0
  const server = createServer((socket) => {
    conns++
    let buf = ''
    socket.on('data', (d) => {
      buf += d.toString('latin1')
      // one request per head (the tests send no bodies larger than their content-length)
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buf.slice(0, end)
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
        if (buf.length < end + 4 + len) return
        const req = buf.slice(0, end + 4 + len)
        buf = buf.slice(end + 4 + len)
        reply(req, socket, n++)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return { origin: `http://127.0.0.1:${port}`, server, connections: () => conns }
}

/** Write `text` in pieces of `size` bytes, each in its own TCP write a tick apart. */
function dribble(socket: Socket, text: string, size: number): void {
  let at = 0
  const next = () => {
    if (at >= text.length || socket.destroyed) return
    socket.write(text.slice(at, at + size))
    at += size
    setTimeout(next, 1)
  }
  next()
}

let client: Http1Client | undefined
let servers: Server[] = []
afterEach(async () => {
  client?.close()
  client = undefined
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  servers = []
})

function use(s: { server: Server }) {
  servers.push(s.server)
  client = createHttp1Client({ connections: 4, sweepMs: 20 })
  return client
}

describe('lean HTTP/1.1 client', () => {
  it('sends one well-formed request (host, headers, content-length of the UTF-8 body) and reads a content-length body', async () => {
    let seen = ''
    const s = await rawServer((req, socket) => {
      seen = req
      socket.write('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
    })
    const res = await use(s).request(
      {
        url: `${s.origin}/token`,
        method: 'POST',
        headers: { authorization: 'Basic eDp5' },
        body: 'a=é',
        timeoutMs: 2000,
      },
      s.origin,
      '/token',
    )
    expect(res.status).toBe(201)
    expect(res.body).toBe('{"ok":true}')
    expect(res.headers['content-type']).toBe('application/json')
    expect(seen.startsWith('POST /token HTTP/1.1\r\n')).toBe(true)
    expect(seen).toContain(`host: ${new URL(s.origin).host}\r\n`)
    expect(seen).toContain('authorization: Basic eDp5\r\n')
    expect(seen).toContain('content-length: 4\r\n')
  })

  it('decodes a chunked body split at every byte, with a trailer, then reuses the socket', async () => {
    const s = await rawServer((_req, socket, n) => {
      const body = n === 0 ? '5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n' : '0\r\n\r\n'
      dribble(
        socket,
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n${body}`,
        1,
      )
    })
    const c = use(s)
    const first = await c.request({ url: s.origin, timeoutMs: 5000 }, s.origin, '/')
    expect(first.body).toBe('hello, world')
    expect(first.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    const second = await c.request({ url: s.origin, timeoutMs: 5000 }, s.origin, '/')
    expect(second.status).toBe(200)
    expect(second.body).toBe('')
    expect(s.connections()).toBe(1)
  })

  it('skips a 100 Continue head, reads a 204 without a body, and a body that ends with the connection', async () => {
    const s = await rawServer((_req, socket, n) => {
      if (n === 0) socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nDate: x\r\n\r\n')
      else socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close')
    })
    const c = use(s)
    expect((await c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/a')).status).toBe(204)
    const closed = await c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/b')
    expect(closed.body).toBe('until close')
  })

  it('does not reuse a socket whose response said Connection: close, even before the server closes it', async () => {
    // one answer per connection; the server closes only later, so a reused socket would wait in vain
    const answered = new WeakSet<Socket>()
    const s = await rawServer((_req, socket) => {
      if (answered.has(socket)) return
      answered.add(socket)
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx')
      setTimeout(() => socket.destroy(), 500)
    })
    const c = use(s)
    expect((await c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')).body).toBe('x')
    expect((await c.request({ url: s.origin, method: 'POST', body: 'a=1', timeoutMs: 300 }, s.origin, '/')).body).toBe(
      'x',
    )
    expect(s.connections()).toBe(2)
  })

  it('times out a request the server never answers, with reason timeout, and keeps serving others', async () => {
    const s = await rawServer((req, socket) => {
      if (req.startsWith('GET /slow')) return
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    })
    const c = use(s)
    const slow = c.request({ url: s.origin, timeoutMs: 100 }, s.origin, '/slow')
    await expect(slow).rejects.toMatchObject({ reason: 'timeout' })
    expect((await c.request({ url: s.origin, timeoutMs: 1000 }, s.origin, '/fast')).body).toBe('ok')
  })

  it('classifies a refused connection and a reset mid-response', async () => {
    const s = await rawServer((_req, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')
      setTimeout(() => socket.resetAndDestroy(), 5)
    })
    const c = use(s)
    await expect(c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')).rejects.toMatchObject({
      reason: 'connection_reset',
    })
    await expect(
      c.request({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }, 'http://127.0.0.1:1', '/'),
    ).rejects.toBeInstanceOf(TransportError)
    await expect(
      c.request({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }, 'http://127.0.0.1:1', '/'),
    ).rejects.toMatchObject({ reason: 'connection_refused' })
  })

  it('retries a GET once on a fresh socket when a kept-alive one was closed under it, but never a POST', async () => {
    // per connection: the first request is answered, the second finds the connection closed (a keep-alive race)
    const perConn = new WeakMap<Socket, number>()
    const s = await rawServer((_req, socket) => {
      const k = perConn.get(socket) ?? 0
      perConn.set(socket, k + 1)
      if (k === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx')
      else socket.destroy()
    })
    const c = use(s)
    await c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')
    expect((await c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')).body).toBe('x')
    expect(s.connections()).toBe(2)
    await expect(
      c.request({ url: s.origin, method: 'POST', body: 'a=1', timeoutMs: 2000 }, s.origin, '/'),
    ).rejects.toMatchObject({ reason: 'connection_reset' })
  })

  it('caps sockets per origin and queues the rest; aborting the signal cancels queued and in-flight requests', async () => {
    const held: Socket[] = []
    const s = await rawServer((_req, socket) => {
      held.push(socket)
    })
    const c = use(s)
    const ac = new AbortController()
    const all = Array.from({ length: 10 }, () =>
      c.request({ url: s.origin, timeoutMs: 5000, signal: ac.signal }, s.origin, '/'),
    )
    await new Promise((r) => setTimeout(r, 50))
    expect(s.connections()).toBe(4)
    ac.abort()
    const results = await Promise.allSettled(all)
    expect(results.every((r) => r.status === 'rejected' && (r.reason as TransportError).reason === 'cancelled')).toBe(
      true,
    )
  })

  it('aborting one signal cancels only the requests sent with it; the rest are answered (callback form)', async () => {
    const held: Socket[] = []
    const s = await rawServer((req, socket) => {
      if (req.startsWith('GET /hold')) held.push(socket)
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    })
    const c = use(s)
    const a = new AbortController()
    const b = new AbortController()
    const outcomes: string[] = []
    const sendAs = (path: string, signal: AbortSignal, label: string) =>
      new Promise<void>((resolve) =>
        c.send({ url: s.origin, timeoutMs: 5000, signal }, s.origin, path, (err, res) => {
          outcomes.push(`${label}:${err ? err.reason : res!.body}`)
          resolve()
        }),
      )
    // in flight on four sockets (the cap), then queued: a's and b's mixed
    const all = [
      sendAs('/hold', a.signal, 'a1'),
      sendAs('/hold', b.signal, 'b1'),
      sendAs('/hold', a.signal, 'a2'),
      sendAs('/hold', a.signal, 'a3'),
      sendAs('/fast', b.signal, 'b2'),
      sendAs('/fast', a.signal, 'a4'),
    ]
    await new Promise((r) => setTimeout(r, 50))
    expect(outcomes).toEqual([])
    a.abort()
    await new Promise((r) => setTimeout(r, 50))
    // a's four are cancelled; b2 took a freed socket and was answered; b1 still waits on its held socket
    expect(outcomes.filter((o) => o.startsWith('a')).sort()).toEqual([
      'a1:cancelled',
      'a2:cancelled',
      'a3:cancelled',
      'a4:cancelled',
    ])
    expect(outcomes).toContain('b2:ok')
    expect(outcomes).not.toContain('b1:cancelled')
    b.abort()
    await Promise.all(all)
    expect(outcomes).toContain('b1:cancelled')
    expect(outcomes).toHaveLength(6)
  })

  it('rejects garbage instead of a status line', async () => {
    const s = await rawServer((_req, socket) => socket.write('SSH-2.0-OpenSSH\r\n\r\n'))
    await expect(use(s).request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')).rejects.toMatchObject({
      reason: 'transport_error',
    })
  })

  it('parses header names case-insensitively with surrounding whitespace, keeps repeated ones, and rejects a bad status code', async () => {
    const s = await rawServer((_req, socket, n) => {
      if (n === 0)
        socket.write(
          'HTTP/1.1 404 Not Found\r\nX-Odd-Case :  v1 \r\nset-cookie: a=1\r\nSet-Cookie:b=2\r\nno-colon-line\r\nContent-Length: 2\r\n\r\nno',
        )
      else socket.write('HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n')
    })
    const c = use(s)
    const res = await c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')
    expect(res.status).toBe(404)
    expect(res.headers['x-odd-case']).toBe('v1')
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(res.body).toBe('no')
    await expect(c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')).rejects.toMatchObject({
      reason: 'transport_error',
    })
  })

  it('reads the framing headers in any case (CONTENT-LENGTH, Transfer-Encoding: Chunked, Connection: Close) and closes a socket told to', async () => {
    const s = await rawServer((_req, socket, n) => {
      if (n === 0) socket.write('HTTP/1.1 200 OK\r\nCONTENT-LENGTH : 3\r\nx-after: 1\r\n\r\none')
      else if (n === 1) socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n')
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: Close\r\n\r\nthree')
    })
    const c = use(s)
    const get = () => c.request({ url: s.origin, timeoutMs: 2000 }, s.origin, '/')
    const one = await get()
    expect(one.body).toBe('one')
    expect(one.headers).toEqual({ 'content-length': '3', 'x-after': '1' })
    expect((await get()).body).toBe('two')
    const three = await get()
    expect(three.body).toBe('three')
    expect(three.headers.connection).toBe('Close')
    // the server said close: the next request opens a second socket
    expect((await get()).body).toBe('three')
    expect(s.connections()).toBe(2)
  })

  it('keeps a body that arrives over several reads intact while other sockets read meanwhile (one shared read buffer)', async () => {
    const big = 'x'.repeat(50_000) + 'y'.repeat(50_000)
    const s = await rawServer((req, socket) => {
      if (req.startsWith('GET /big'))
        dribble(socket, `HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`, 7000)
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall')
    })
    const c = use(s)
    const bigP = c.request({ url: `${s.origin}/big`, timeoutMs: 5000 }, s.origin, '/big')
    const smalls = await Promise.all(
      [1, 2, 3].map(() => c.request({ url: `${s.origin}/s`, timeoutMs: 5000 }, s.origin, '/s')),
    )
    expect(smalls.map((r) => r.body)).toEqual(['small', 'small', 'small'])
    expect((await bigP).body).toBe(big)
  })

  it('reuses the encoded head of frozen headers per origin, path and method, and rebuilds it for anything else', async () => {
    const seen: string[] = []
    const s = await rawServer((req, socket) => {
      seen.push(req.split('\r\n\r\n')[0]!)
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    })
    const c = use(s)
    const frozen = Object.freeze({ authorization: 'Bearer t1' }) as Record<string, string>
    const mutable: Record<string, string> = { authorization: 'Bearer m1' }
    const send = (path: string, headers: Record<string, string>, frozenHeaders: boolean) =>
      c.request({ url: `${s.origin}${path}`, headers, frozenHeaders, timeoutMs: 2000 }, s.origin, path)
    await send('/a', frozen, true)
    await send('/a', frozen, true)
    await send('/b', frozen, true)
    await send('/a', mutable, false)
    mutable.authorization = 'Bearer m2'
    await send('/a', mutable, false)
    const host = new URL(s.origin).host
    expect(seen).toEqual([
      `GET /a HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer t1`,
      `GET /a HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer t1`,
      `GET /b HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer t1`,
      `GET /a HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer m1`,
      `GET /a HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer m2`,
    ])
  })
})
