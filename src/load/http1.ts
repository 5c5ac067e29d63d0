/**
 * The engine's lean HTTP/1.1 client for plain-HTTP origins: keep-alive
 * sockets per origin, one request per socket at a time (no pipelining), the
 * request written in one `write`, the response parsed straight from the
 * socket's buffers (status line, headers, `content-length`, `chunked`, or
 * read-to-close). What it leaves out is what a load generator's hot path does
 * not need: no streams per body, no per-request timers (one coarse sweep
 * enforces deadlines), no per-request abort listeners (one per signal).
 * Against undici's pooled `request` it cuts the engine's CPU per request by
 * about a quarter (42–48 µs against 55–65 µs at 16–20k req/s on 2 cores) and
 * raises the highest rate it sustains by about as much; https origins still
 * go through undici (`http.ts`), and OAUTH_GAMEDAY_HTTP=undici sends
 * everything there.
 */
import { connect, type Socket } from 'node:net'
import type { HttpRequest, HttpResponse } from './http.ts'
import { TransportError } from './http.ts'

type Reason = TransportError['reason']

interface Pending {
  req: HttpRequest
  /** The encoded head of a body-less request may come from the cache (see `request`). */
  head: string | Buffer
  body: string | undefined
  deadline: number
  /** Called once with the response or the transport error. */
  cb: SendCallback
  /** Index in its origin's `inflight` list (from submit on); -1 once settled. */
  at: number
  /** The origin that queues or carries it (aborting goes through it). */
  origin: Origin
  conn?: Conn
  /** Sent once on a reused socket that turned out closed: retried once on a fresh one (idempotent requests only). */
  retried: boolean
}

const CRLF2 = Buffer.from('\r\n\r\n')
const MAX_HEAD = 64 * 1024
/**
 * Every socket reads into this one buffer (`onread`): a stream read would
 * allocate a 64 KiB backing store per read, whose external-memory pressure
 * alone set off a young-generation GC every ~1400 requests. The data is
 * parsed synchronously in the callback; whatever must outlive it (a partial
 * head, body bytes of an unfinished response) is copied out.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/** Parse state of one response on one connection. */
class Conn {
  readonly socket: Socket
  current: Pending | undefined
  /** Requests this socket has carried (a reused socket may have been closed by the server meanwhile). */
  uses = 0
  closed = false
  private buf: Buffer | undefined
  private status = 0
  /** The response head as read (latin1), and where its header lines start. */
  private head = ''
  private headStart = 0
  private headDone = false
  private length = -1
  private chunked = false
  private toClose = false
  private chunks: Buffer[] = []
  private received = 0
  /** Chunked decoding: bytes left in the current chunk, or -1 when a size line is expected. */
  private chunkLeft = -1
  private gotBytes = false

  constructor(
    readonly origin: Origin,
    port: number,
    host: string,
  ) {
    this.socket = connect({
      port,
      host,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          this.onData(Buffer.from(buf.buffer, buf.byteOffset, n))
          return true
        },
      },
    })
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(classify(err), err))
    this.socket.on('close', () => this.fail('connection_reset', new Error('socket closed')))
  }

  send(p: Pending): void {
    this.current = p
    p.conn = this
    this.uses++
    this.socket.write(p.body === undefined ? p.head : `${p.head}${p.body}`)
  }

  private reset(): void {
    this.buf = undefined
    this.status = 0
    this.head = ''
    this.headDone = false
    this.length = -1
    this.chunked = false
    this.toClose = false
    this.chunks = []
    this.received = 0
    this.chunkLeft = -1
    this.gotBytes = false
  }

  private onData(d: Buffer): void {
    const p = this.current
    if (!p) {
      // bytes nobody asked for: the connection is out of step, drop it
      this.socket.destroy()
      return
    }
    this.gotBytes = true
    let data = this.buf ? Buffer.concat([this.buf, d]) : d
    this.buf = undefined
    while (!this.headDone) {
      const end = data.indexOf(CRLF2)
      if (end < 0) {
        if (data.length > MAX_HEAD) {
          this.fail('transport_error', new Error('response head over 64 KiB'))
          return
        }
        this.buf = Buffer.from(data) // a copy: `data` may be the shared read buffer
        return
      }
      if (!this.parseHead(data.toString('latin1', 0, end))) return
      data = data.subarray(end + 4)
    }
    if (this.chunked) {
      const rest = this.onChunked(data)
      if (rest && this.current) this.buf = Buffer.from(rest)
      return
    }
    this.onBody(data)
  }

  /**
   * Parse a status line and the framing headers (`content-length`,
   * `transfer-encoding`, `connection`); a 1xx head is skipped (the final
   * response follows). The other headers stay in the head string until a
   * caller reads `res.headers` ({@link Response1}): the engine's hot path
   * reads only the status, and building a headers object per response (a
   * keyed store and a string-table lookup per name) was the largest share of
   * the engine's own JavaScript per request in a CPU profile.
   */
  private parseHead(head: string): boolean {
    const eol = head.indexOf('\r\n')
    const first = eol < 0 ? head : head.slice(0, eol)
    const c0 = first.charCodeAt(9) - 48
    const c1 = first.charCodeAt(10) - 48
    const c2 = first.charCodeAt(11) - 48
    if (
      !first.startsWith('HTTP/1.') ||
      (first[7] !== '0' && first[7] !== '1') ||
      first[8] !== ' ' ||
      !(c0 >= 0 && c0 <= 9 && c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9)
    ) {
      this.fail('transport_error', new Error('not an HTTP/1.x response'))
      return false
    }
    const status = c0 * 100 + c1 * 10 + c2
    if (status >= 100 && status < 200) return true
    // framing headers only: a name is compared in place, case-insensitively; a repeated one reads as a list
    let te: string | string[] | undefined
    let cl: string | string[] | undefined
    let conn: string | string[] | undefined
    let at = eol < 0 ? head.length : eol + 2
    while (at < head.length) {
      let end = head.indexOf('\r\n', at)
      if (end < 0) end = head.length
      const ch = head.charCodeAt(at) | 0x20
      if (ch === 99 /* c */ || ch === 116 /* t */) {
        const c = head.indexOf(':', at)
        if (c > at && c < end) {
          let nameEnd = c
          while (nameEnd > at && isSpace(head.charCodeAt(nameEnd - 1))) nameEnd--
          const which = framingHeader(head, at, nameEnd)
          if (which !== 0) {
            const value = trimSlice(head, c + 1, end)
            if (which === 1) cl = cl === undefined ? value : [cl, value].flat()
            else if (which === 2) te = te === undefined ? value : [te, value].flat()
            else conn = conn === undefined ? value : [conn, value].flat()
          }
        }
      }
      at = end + 2
    }
    this.status = status
    this.head = head
    this.headStart = eol < 0 ? head.length : eol + 2
    this.headDone = true
    this.toClose = typeof conn === 'string' && conn.toLowerCase() === 'close'
    if (status === 204 || status === 304) this.length = 0
    else if (typeof te === 'string' && te.toLowerCase().includes('chunked')) this.chunked = true
    else if (typeof cl === 'string' && isDigits(cl)) this.length = Number(cl)
    else this.toClose = true // no length: the body ends when the server closes
    if (this.length === 0) this.complete()
    return this.current !== undefined
  }

  private onBody(data: Buffer): void {
    if (this.length >= 0) {
      const need = this.length - this.received
      const take = data.length > need ? data.subarray(0, need) : data
      if (take.length) {
        this.received += take.length
        // the whole body in this read: decoded before the read buffer is reused, so no copy
        if (this.received >= this.length && this.chunks.length === 0) {
          this.complete(take)
          return
        }
        this.chunks.push(Buffer.from(take))
      }
      if (this.received >= this.length) this.complete()
      return
    }
    // read to close: everything until the server closes the socket
    if (data.length) {
      this.chunks.push(Buffer.from(data))
      this.received += data.length
    }
  }

  /**
   * Decode chunked framing (RFC 9112 §7.1) from `data`; returns the bytes it
   * could not use yet (a partial size line or terminator), or undefined.
   * `chunkLeft`: bytes left of the current chunk plus its CRLF, -1 when a size
   * line comes next, -2 when the last-chunk's trailer section does.
   */
  private onChunked(data: Buffer): Buffer | undefined {
    let at = 0
    while (at < data.length) {
      if (this.chunkLeft === -2) {
        // no trailers: an empty line; with trailers: lines up to an empty one
        if (data.length - at >= 2 && data[at] === 13 && data[at + 1] === 10) {
          this.complete()
          return undefined
        }
        const end = data.indexOf(CRLF2, at)
        if (end < 0) return data.subarray(at)
        this.complete()
        return undefined
      }
      if (this.chunkLeft === -1) {
        const nl = data.indexOf('\r\n', at)
        if (nl < 0) return data.subarray(at)
        const size = Number.parseInt(data.toString('latin1', at, nl).split(';')[0]!.trim(), 16)
        if (!Number.isFinite(size) || size < 0) {
          this.fail('transport_error', new Error('bad chunk size'))
          return undefined
        }
        at = nl + 2
        this.chunkLeft = size === 0 ? -2 : size + 2
        continue
      }
      const n = Math.min(this.chunkLeft, data.length - at)
      // the last two bytes of a chunk are its CRLF, not data
      const dataBytes = Math.max(0, Math.min(n, this.chunkLeft - 2))
      if (dataBytes > 0) {
        this.chunks.push(Buffer.from(data.subarray(at, at + dataBytes)))
        this.received += dataBytes
      }
      this.chunkLeft -= n
      at += n
      if (this.chunkLeft === 0) this.chunkLeft = -1
    }
    return undefined
  }

  /** `whole`: the entire body, still in the read buffer (the common single-read response). */
  private complete(whole?: Buffer): void {
    const p = this.current
    if (!p) return
    this.current = undefined
    const body = whole
      ? whole.toString('utf8')
      : this.chunks.length === 1
        ? this.chunks[0]!.toString('utf8')
        : this.chunks.length === 0
          ? ''
          : Buffer.concat(this.chunks).toString('utf8')
    const res: HttpResponse = new Response1(this.status, this.head, this.headStart, body)
    // read before reset() clears it: a `Connection: close` socket must never be reused
    const close = this.toClose
    this.reset()
    if (close) {
      this.closed = true
      this.socket.destroy()
      this.origin.forget(this)
    } else this.origin.release(this)
    this.origin.finish(p)
    settle(p, undefined, res)
  }

  /** The socket failed or closed: settle the request it carried (or retry it once on a fresh socket). */
  fail(reason: Reason, cause: unknown): void {
    if (!this.closed) {
      this.closed = true
      this.socket.destroy()
      this.origin.forget(this)
    }
    const p = this.current
    if (!p) return
    this.current = undefined
    // read-to-close bodies end with the close itself
    if (this.headDone && this.length < 0 && !this.chunked && reason === 'connection_reset') {
      const res: HttpResponse = new Response1(
        this.status,
        this.head,
        this.headStart,
        Buffer.concat(this.chunks).toString('utf8'),
      )
      this.origin.finish(p)
      settle(p, undefined, res)
      return
    }
    // a kept-alive socket the server had closed: the request never reached it
    const idempotent = (p.req.method ?? 'GET') === 'GET'
    if (this.uses > 1 && !this.gotBytes && !p.retried && idempotent && reason === 'connection_reset') {
      p.retried = true
      this.origin.retry(p)
      return
    }
    this.origin.finish(p)
    settle(p, new TransportError(reason, cause), undefined)
  }
}

/**
 * Hand `p` its outcome. The callback runs inside a socket's read callback:
 * an exception from it is rethrown on the next tick, where it is reported,
 * instead of leaving the connection's parse state half updated.
 */
function settle(p: Pending, err: TransportError | undefined, res: HttpResponse | undefined): void {
  try {
    p.cb(err, res)
  } catch (e) {
    process.nextTick(() => {
      throw e
    })
  }
}

const isSpace = (ch: number) => ch === 32 || ch === 9

/** A response whose headers object is built from its head on first read. */
class Response1 implements HttpResponse {
  #headers: Record<string, string | string[]> | undefined
  constructor(
    readonly status: number,
    private readonly head: string,
    private readonly headStart: number,
    readonly body: string,
  ) {}

  get headers(): Record<string, string | string[]> {
    this.#headers ??= parseHeaders(this.head, this.headStart)
    return this.#headers
  }
}

/** Every header line of `head` from `at` on: names lower-cased, a repeated name as a list in order. */
function parseHeaders(head: string, at: number): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  while (at < head.length) {
    let end = head.indexOf('\r\n', at)
    if (end < 0) end = head.length
    const c = head.indexOf(':', at)
    if (c > at && c < end) {
      const name = lowerAscii(trimSlice(head, at, c))
      const value = trimSlice(head, c + 1, end)
      const prev = headers[name]
      if (prev === undefined) headers[name] = value
      else if (Array.isArray(prev)) prev.push(value)
      else headers[name] = [prev, value]
    }
    at = end + 2
  }
  return headers
}

const FRAMING = ['content-length', 'transfer-encoding', 'connection'] as const

/** 1, 2 or 3 when `head[from, to)` is content-length, transfer-encoding or connection (any case), else 0. */
function framingHeader(head: string, from: number, to: number): number {
  for (let k = 0; k < FRAMING.length; k++) {
    const name = FRAMING[k]!
    if (to - from !== name.length) continue
    let i = 0
    for (; i < name.length; i++) {
      const ch = head.charCodeAt(from + i)
      const want = name.charCodeAt(i)
      // the names' letters are lower case; an upper-case letter is its own code minus 32
      if (ch !== want && !(want >= 97 && ch === want - 32)) break
    }
    if (i === name.length) return k + 1
  }
  return 0
}

/** Non-empty and only ASCII digits. */
function isDigits(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    if (ch < 48 || ch > 57) return false
  }
  return true
}

/** `s[from, to)` without surrounding spaces and tabs (one slice, no intermediate strings). */
function trimSlice(s: string, from: number, to: number): string {
  while (from < to && isSpace(s.charCodeAt(from))) from++
  while (to > from && isSpace(s.charCodeAt(to - 1))) to--
  return s.slice(from, to)
}

/** Lower-cased; the common already-lower-case header name is returned as is. */
function lowerAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    if (ch >= 65 && ch <= 90) return s.toLowerCase()
  }
  return s
}

function classify(err: NodeJS.ErrnoException): Reason {
  if (err.code === 'ECONNREFUSED') return 'connection_refused'
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'connection_reset'
  if (err.code === 'ETIMEDOUT') return 'timeout'
  return 'transport_error'
}

/** Sockets and waiting requests of one origin. */
class Origin {
  private readonly idle: Conn[] = []
  private readonly all = new Set<Conn>()
  private readonly waiting: Pending[] = []
  /**
   * Requests not settled yet, each knowing its index (`at`): removal swaps
   * the last one in. A Set here reallocated its table over and over under
   * churn, and V8 promoted those tables to the old generation.
   */
  readonly inflight: Pending[] = []
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly max: number,
    /** The `host` header value (`host:port`). */
    readonly hostLine: string,
  ) {}

  submit(p: Pending): void {
    p.at = this.inflight.length
    this.inflight.push(p)
    this.dispatch(p)
  }

  retry(p: Pending): void {
    this.dispatch(p, true)
  }

  private dispatch(p: Pending, fresh = false): void {
    let conn = fresh ? undefined : this.idle.pop()
    while (conn?.closed) conn = this.idle.pop()
    if (!conn) {
      if (this.all.size >= this.max && !fresh) {
        this.waiting.push(p)
        return
      }
      conn = new Conn(this, this.port, this.host)
      this.all.add(conn)
    }
    conn.send(p)
  }

  release(conn: Conn): void {
    const next = this.waiting.shift()
    if (next) conn.send(next)
    else this.idle.push(conn)
  }

  forget(conn: Conn): void {
    this.all.delete(conn)
    const i = this.idle.indexOf(conn)
    if (i >= 0) this.idle.splice(i, 1)
    // a waiting request takes the freed slot
    const next = this.waiting.shift()
    if (next) this.dispatch(next)
  }

  finish(p: Pending): void {
    const i = p.at
    if (i < 0) return
    p.at = -1
    const last = this.inflight.pop()!
    if (last !== p) {
      this.inflight[i] = last
      last.at = i
    }
  }

  /** Settle `p` with a transport error wherever it is (waiting or on a socket). */
  abort(p: Pending, reason: Reason): void {
    // settled already (`finish` left the in-flight list)
    if (p.at < 0) return
    const w = this.waiting.indexOf(p)
    if (w >= 0) {
      this.waiting.splice(w, 1)
      this.finish(p)
      settle(p, new TransportError(reason, new Error(reason)), undefined)
      return
    }
    // the socket is in an unknown state mid-response: drop it
    const conn = p.conn
    if (conn && conn.current === p) {
      conn.current = undefined
      conn.closed = true
      conn.socket.destroy()
      this.forget(conn)
    }
    this.finish(p)
    settle(p, new TransportError(reason, new Error(reason)), undefined)
  }

  close(): void {
    for (const p of [...this.inflight]) this.abort(p, 'cancelled')
    for (const c of this.all) c.socket.destroy()
    this.all.clear()
    this.idle.length = 0
  }
}

/** Receives a request's outcome: the response, or the transport error (never both). */
export type SendCallback = (err: TransportError | undefined, res: HttpResponse | undefined) => void

export interface Http1Client {
  request(r: HttpRequest, origin: string, path: string): Promise<HttpResponse>
  /**
   * `request` without a promise: `cb` runs once, from the socket's read
   * callback (never synchronously from `send`). The engine's hot path uses
   * it; a promise per request and its continuations were a large share of
   * what the engine allocated per request.
   */
  send(r: HttpRequest, origin: string, path: string, cb: SendCallback): void
  close(): void
}

/**
 * Create the lean client. `connections` caps sockets per origin (further
 * requests wait for a free one, as in undici's Pool).
 *
 * @example
 * const c = createHttp1Client({ connections: 64 })
 * const res = await c.request({ url, timeoutMs: 5000 }, 'http://127.0.0.1:8080', '/healthz')
 */
export function createHttp1Client(options: { connections: number; sweepMs?: number }): Http1Client {
  const origins = new Map<string, Origin>()
  const watched = new WeakSet<AbortSignal>()
  // one coarse sweep enforces every deadline (a timer per request costs more than the request)
  const sweepMs = options.sweepMs ?? 100
  let sweep: NodeJS.Timeout | undefined
  const ensureSweep = () => {
    if (sweep) return
    sweep = setInterval(() => {
      const now = performance.now()
      let any = false
      for (const o of origins.values()) {
        if (o.inflight.length) any = true
        for (const p of o.inflight.filter((q) => now >= q.deadline)) o.abort(p, 'timeout')
      }
      if (!any && sweep) {
        clearInterval(sweep)
        sweep = undefined
      }
    }, sweepMs)
    sweep.unref()
  }
  const originFor = (origin: string): Origin => {
    let o = origins.get(origin)
    if (!o) {
      const u = new URL(origin)
      const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
      o = new Origin(host, Number(u.port || 80), options.connections, u.host)
      origins.set(origin, o)
    }
    return o
  }
  /** One abort listener per signal (not per request): it cancels every request sent with that signal. */
  const watch = (signal: AbortSignal): void => {
    if (watched.has(signal)) return
    watched.add(signal)
    signal.addEventListener(
      'abort',
      () => {
        for (const o of origins.values())
          for (const p of o.inflight.filter((q) => q.req.signal === signal)) o.abort(p, 'cancelled')
      },
      { once: true },
    )
  }
  /**
   * Encoded heads of body-less requests, by headers object: a caller that
   * reuses one headers object it never changes (`frozenHeaders`; api-call
   * keeps one per token) sends the same bytes without building and encoding
   * a ~0.5 KB string per request.
   */
  const heads = new WeakMap<object, { origin: Origin; path: string; method: string; head: Buffer }>()
  const buildHead = (o: Origin, method: string, path: string, r: HttpRequest): string => {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${o.hostLine}\r\n`
    if (r.headers) for (const k in r.headers) head += `${k}: ${r.headers[k]}\r\n`
    if (r.body !== undefined) head += `content-length: ${Buffer.byteLength(r.body)}\r\n`
    return `${head}\r\n`
  }
  const send = (r: HttpRequest, origin: string, path: string, cb: SendCallback): void => {
    if (r.signal?.aborted) {
      const err = new TransportError('cancelled', r.signal.reason)
      queueMicrotask(() => cb(err, undefined))
      return
    }
    const o = originFor(origin)
    const method = r.method ?? 'GET'
    let head: string | Buffer
    if (r.body === undefined && r.headers && r.frozenHeaders) {
      const hit = heads.get(r.headers)
      if (hit && hit.origin === o && hit.path === path && hit.method === method) head = hit.head
      else {
        head = Buffer.from(buildHead(o, method, path, r))
        heads.set(r.headers, { origin: o, path, method, head })
      }
    } else head = buildHead(o, method, path, r)
    const p: Pending = {
      req: r,
      head,
      body: r.body,
      deadline: performance.now() + r.timeoutMs,
      cb,
      at: -1,
      origin: o,
      retried: false,
    }
    if (r.signal) watch(r.signal)
    o.submit(p)
    ensureSweep()
  }
  return {
    send,
    request(r, origin, path) {
      return new Promise<HttpResponse>((resolve, reject) =>
        send(r, origin, path, (err, res) => (err ? reject(err) : resolve(res!))),
      )
    },
    close() {
      if (sweep) clearInterval(sweep)
      sweep = undefined
      for (const o of origins.values()) o.close()
      origins.clear()
    },
  }
}
