import { generateKeyPairSync } from 'node:crypto'
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, EmbeddedJWK, exportJWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  ath,
  createDpopProof,
  type DpopAlg,
  DpopError,
  type DpopKey,
  DpopNonceSource,
  DpopReplayCache,
  type DpopVerifyOptions,
  dpopKeyFrom,
  generateDpopKey,
  jwkThumbprint,
  normalizeHtu,
  verifyDpopProof,
} from './dpop.ts'

const HTU = 'http://127.0.0.1:4000/token'
const NOW = 1_800_000_000_000
const now = () => NOW
const iatNow = NOW / 1000

function opts(extra: Partial<DpopVerifyOptions> = {}): DpopVerifyOptions {
  return {
    htm: 'POST',
    htu: HTU,
    iatWindow: { past: 60, future: 10 },
    replayCache: new DpopReplayCache({ now }),
    now,
    ...extra,
  }
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof DpopError) return e.code
    throw e
  }
  return 'accepted'
}

/** A proof signed by jose (not by this module), with whatever header and claims a test wants. */
async function joseProof(
  key: DpopKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...header } as never)
    .sign(key.privateKey)
}

const es256 = generateDpopKey('ES256')

describe('dpop helpers', () => {
  it('computes the RFC 7638 §3.1 example thumbprint', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    }
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('agrees with jose on the thumbprint of every supported key type', async () => {
    for (const alg of ['ES256', 'ES384', 'EdDSA', 'RS256'] as DpopAlg[]) {
      const key = generateDpopKey(alg)
      expect(key.jkt, alg).toBe(await calculateJwkThumbprint(await exportJWK(key.privateKey)))
    }
  })

  it('computes the RFC 9449 §7.1 example ath', () => {
    expect(ath('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo')
  })

  it('normalises htu: case, default port, no query or fragment', () => {
    expect(normalizeHtu('HTTP://Example.COM:80/token?x=1#f')).toBe('http://example.com/token')
    expect(normalizeHtu('https://example.com:443')).toBe('https://example.com/')
    expect(normalizeHtu('http://example.com:8080/a')).toBe('http://example.com:8080/a')
    expect(normalizeHtu('/token')).toBeUndefined()
    expect(normalizeHtu('ftp://example.com/x')).toBeUndefined()
  })

  it('keeps only public members in the key it wraps', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const key = dpopKeyFrom(privateKey, 'ES256')
    expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(() => dpopKeyFrom(privateKey, 'EdDSA')).toThrow(DpopError)
  })
})

describe('createDpopProof', () => {
  it('makes proofs jose verifies with the embedded key, for every alg', async () => {
    for (const alg of ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as DpopAlg[]) {
      const key = generateDpopKey(alg)
      const proof = createDpopProof({ key, htm: 'GET', htu: 'http://x/r?q=1#f', accessToken: 'tok', nonce: 'n1' })
      const { payload, protectedHeader } = await compactVerify(proof, EmbeddedJWK)
      expect(protectedHeader).toMatchObject({ typ: 'dpop+jwt', alg })
      const claims = JSON.parse(new TextDecoder().decode(payload))
      expect(claims).toMatchObject({ htm: 'GET', htu: 'http://x/r', ath: ath('tok'), nonce: 'n1' })
      expect(typeof claims.jti).toBe('string')
      expect(typeof claims.iat).toBe('number')
    }
  })

  it('puts no private key member in the header', () => {
    const header = decodeProtectedHeader(createDpopProof({ key: es256, htm: 'POST', htu: HTU }))
    expect(Object.keys(header.jwk ?? {}).sort()).toEqual(['crv', 'kty', 'x', 'y'])
  })
})

describe('verifyDpopProof', () => {
  it('accepts its own proof and returns the thumbprint, jti and iat', () => {
    const proof = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow, jti: 'j1' })
    expect(verifyDpopProof(proof, opts())).toEqual({ jkt: es256.jkt, jti: 'j1', iat: iatNow })
  })

  it('accepts proofs jose signed, for EdDSA and RS256 too', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256'] as DpopAlg[]) {
      const key = generateDpopKey(alg)
      const proof = await joseProof(key, { jti: `j-${alg}`, htm: 'POST', htu: HTU, iat: iatNow })
      expect(verifyDpopProof(proof, opts()).jkt).toBe(key.jkt)
    }
  })

  it('compares htu after normalisation (scheme and host case, default port, query)', () => {
    const proof = createDpopProof({ key: es256, htm: 'POST', htu: 'HTTP://LOCALHOST:80/token', iat: iatNow })
    expect(codeOf(() => verifyDpopProof(proof, opts({ htu: 'http://localhost/token?x=1' })))).toBe('accepted')
  })

  it('refuses a replayed jti', () => {
    const o = opts()
    const proof = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow })
    verifyDpopProof(proof, o)
    expect(codeOf(() => verifyDpopProof(proof, o))).toBe('ERR_DPOP_REPLAY')
  })

  it('refuses a wrong htm or htu', () => {
    const proof = createDpopProof({ key: es256, htm: 'GET', htu: HTU, iat: iatNow })
    expect(codeOf(() => verifyDpopProof(proof, opts()))).toBe('ERR_DPOP_HTM')
    const other = createDpopProof({ key: es256, htm: 'POST', htu: 'http://127.0.0.1:4001/token', iat: iatNow })
    expect(codeOf(() => verifyDpopProof(other, opts()))).toBe('ERR_DPOP_HTU')
  })

  it('refuses an iat outside the window, either side', () => {
    const stale = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow - 600 })
    expect(codeOf(() => verifyDpopProof(stale, opts()))).toBe('ERR_DPOP_IAT')
    const future = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow + 11 })
    expect(codeOf(() => verifyDpopProof(future, opts()))).toBe('ERR_DPOP_IAT')
    const edge = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow - 60 })
    expect(codeOf(() => verifyDpopProof(edge, opts()))).toBe('accepted')
  })

  it('checks ath against the access token and the key against cnf.jkt', () => {
    const bound = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow, accessToken: 'at-1' })
    expect(codeOf(() => verifyDpopProof(bound, opts({ accessToken: 'at-2' })))).toBe('ERR_DPOP_ATH')
    const noAth = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow })
    expect(codeOf(() => verifyDpopProof(noAth, opts({ accessToken: 'at-1' })))).toBe('ERR_DPOP_ATH')
    const other = generateDpopKey()
    expect(codeOf(() => verifyDpopProof(bound, opts({ accessToken: 'at-1', expectedJkt: other.jkt })))).toBe(
      'ERR_DPOP_JKT',
    )
    expect(codeOf(() => verifyDpopProof(bound, opts({ accessToken: 'at-1', expectedJkt: es256.jkt })))).toBe('accepted')
  })

  it('refuses a wrong typ, a disallowed alg and a header that does not parse', async () => {
    const claims = { jti: 'x', htm: 'POST', htu: HTU, iat: iatNow }
    expect(codeOf(() => verifyDpopProof('not-a-jwt', opts()))).toBe('ERR_DPOP_MALFORMED')
    const jwtTyp = await joseProof(es256, claims, { typ: 'JWT' })
    expect(codeOf(() => verifyDpopProof(jwtTyp, opts()))).toBe('ERR_DPOP_TYP')
    const rs = generateDpopKey('RS256')
    const rsProof = await joseProof(rs, claims)
    expect(codeOf(() => verifyDpopProof(rsProof, opts({ algs: ['ES256'] })))).toBe('ERR_DPOP_ALG')
    expect(codeOf(() => verifyDpopProof('a.b.c', opts()))).toBe('ERR_DPOP_MALFORMED')
    expect(codeOf(() => verifyDpopProof(undefined, opts()))).toBe('ERR_DPOP_MALFORMED')
    expect(codeOf(() => verifyDpopProof(['a', 'b'], opts()))).toBe('ERR_DPOP_MALFORMED')
  })

  it('refuses alg none, HS256 and a symmetric or private jwk', async () => {
    const claims = { jti: 'x', htm: 'POST', htu: HTU, iat: iatNow }
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const none = `${enc({ typ: 'dpop+jwt', alg: 'none', jwk: es256.publicJwk })}.${enc(claims)}.`
    expect(codeOf(() => verifyDpopProof(none, opts()))).toBe('ERR_DPOP_ALG')
    const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef')
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'MDEy' } } as never)
      .sign(secret)
    expect(codeOf(() => verifyDpopProof(hs, opts()))).toBe('ERR_DPOP_ALG')
    const withPrivate = await joseProof(es256, claims, { jwk: await exportJWK(es256.privateKey) })
    expect(codeOf(() => verifyDpopProof(withPrivate, opts()))).toBe('ERR_DPOP_JWK')
    const other = generateDpopKey()
    const swapped = await joseProof(es256, claims, { jwk: other.publicJwk })
    expect(codeOf(() => verifyDpopProof(swapped, opts()))).toBe('ERR_DPOP_SIGNATURE')
    const mismatched = await joseProof(es256, claims, { jwk: generateDpopKey('EdDSA').publicJwk })
    expect(codeOf(() => verifyDpopProof(mismatched, opts()))).toBe('ERR_DPOP_JWK')
  })

  it('refuses a tampered payload', () => {
    const proof = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow })
    const [h, , s] = proof.split('.')
    const forged = Buffer.from(JSON.stringify({ jti: 'y', htm: 'POST', htu: HTU, iat: iatNow })).toString('base64url')
    expect(codeOf(() => verifyDpopProof(`${h}.${forged}.${s}`, opts()))).toBe('ERR_DPOP_SIGNATURE')
  })

  it('asks for a nonce with use_dpop_nonce, then accepts the current one', () => {
    const nonce = new DpopNonceSource({ now })
    const o = opts({ nonce })
    let err: unknown
    try {
      verifyDpopProof(createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow }), o)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(DpopError)
    expect((err as DpopError).oauthError).toBe('use_dpop_nonce')
    expect((err as DpopError).reason).toBe('nonce')
    const wrong = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow, nonce: 'made-up' })
    expect(codeOf(() => verifyDpopProof(wrong, o))).toBe('ERR_DPOP_NONCE')
    const right = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow, nonce: nonce.current() })
    expect(codeOf(() => verifyDpopProof(right, o))).toBe('accepted')
  })

  it('does not record the jti of a proof it refused', () => {
    const o = opts({ accessToken: 'at' })
    const proof = createDpopProof({ key: es256, htm: 'POST', htu: HTU, iat: iatNow, jti: 'keep' })
    expect(codeOf(() => verifyDpopProof(proof, o))).toBe('ERR_DPOP_ATH')
    expect(o.replayCache.size).toBe(0)
  })
})

describe('DpopReplayCache', () => {
  it('forgets an id after its ttl', () => {
    let t = 0
    const cache = new DpopReplayCache({ ttlMs: 1000, now: () => t })
    expect(cache.use('a')).toBe(true)
    t = 999
    expect(cache.use('a')).toBe(false)
    t = 1000
    expect(cache.use('a')).toBe(true)
  })

  it('holds at most maxEntries, dropping the oldest and counting it', () => {
    const cache = new DpopReplayCache({ maxEntries: 2, ttlMs: 1000, now: () => 0 })
    cache.use('a')
    cache.use('b')
    cache.use('c')
    expect(cache.size).toBe(2)
    expect(cache.evictions).toBe(1)
    expect(cache.use('b')).toBe(false)
    expect(cache.use('a')).toBe(true)
  })

  it('sweeps expired ids so size follows the live ones', () => {
    let t = 0
    const cache = new DpopReplayCache({ ttlMs: 100, now: () => t })
    for (let i = 0; i < 50; i++) cache.use(`id-${i}`)
    t = 200
    cache.use('late')
    expect(cache.size).toBe(1)
  })
})

describe('DpopNonceSource', () => {
  it('rotates after its lifetime and still accepts the previous nonce once', () => {
    let t = 0
    const source = new DpopNonceSource({ lifetimeMs: 1000, now: () => t })
    const first = source.current()
    t = 999
    expect(source.current()).toBe(first)
    t = 1000
    const second = source.current()
    expect(second).not.toBe(first)
    expect(source.accepts(first)).toBe(true)
    expect(source.accepts(second)).toBe(true)
    t = 2000
    expect(source.accepts(first)).toBe(false)
    t = 10_000
    expect(source.accepts(second)).toBe(false)
    expect(source.accepts('')).toBe(false)
  })
})
