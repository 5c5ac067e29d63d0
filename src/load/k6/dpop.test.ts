/**
 * The k6 script signs DPoP proofs with WebCrypto (k6's global `crypto`). The
 * code between lib.js's //@@DPOP markers needs nothing from k6, so it runs
 * here on Node's global WebCrypto, and jose (an independent implementation)
 * checks what it makes: the proof's signature, header, claims and the RFC 7638
 * thumbprint.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { nonceChallenge } from '../../oauth/dpop-client.ts'
import { DpopReplayCache, verifyDpopProof } from '../../oauth/dpop.ts'
import { typecheckK6Script } from './typecheck.ts'

const lib = readFileSync(new URL('./lib.js', import.meta.url), 'utf8')
const block = /\/\/@@DPOP_START\n([\s\S]*?)\/\/@@DPOP_END\n/.exec(lib)?.[1]
type Key = { privateKey: unknown; header: string; jkt: string }
const k6 = new Function(`${block ?? ''}\nreturn { newDpopKey, dpopProof, dpopNonceChallenge, b64url }`)() as {
  newDpopKey(): Promise<Key>
  dpopProof(key: Key, htm: string, url: string, nonce: string | undefined, accessToken?: string): Promise<string>
  dpopNonceChallenge(status: number, www: string | undefined, body: string, nonce: string | undefined): string
  b64url(b: Uint8Array): string
}

describe('the k6 script DPoP code (WebCrypto)', () => {
  it('makes proofs jose verifies: ES256 raw r||s signature, typ, public jwk, htm, htu without query, ath, nonce', async () => {
    const key = await k6.newDpopKey()
    const proof = await k6.dpopProof(key, 'GET', 'http://127.0.0.1:9101/api/orders?x=1#f', 'n-1', 'tok.en')
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
    expect(protectedHeader.jwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
    })
    expect(await calculateJwkThumbprint(protectedHeader.jwk as JWK)).toBe(key.jkt)
    expect(payload).toMatchObject({
      htm: 'GET',
      htu: 'http://127.0.0.1:9101/api/orders',
      nonce: 'n-1',
      ath: createHash('sha256').update('tok.en').digest('base64url'),
    })
    expect(Buffer.from(proof.split('.')[2]!, 'base64url')).toHaveLength(64)
    // and the harness's own verifier agrees, binding to the same thumbprint
    const r = verifyDpopProof(proof, {
      htm: 'GET',
      htu: 'http://127.0.0.1:9101/api/orders',
      accessToken: 'tok.en',
      expectedJkt: key.jkt,
      iatWindow: { past: 60, future: 10 },
      replayCache: new DpopReplayCache(),
    })
    expect(r.jkt).toBe(key.jkt)
  })

  it('makes a fresh jti per proof and leaves out ath and nonce when there are none', async () => {
    const key = await k6.newDpopKey()
    const a = await k6.dpopProof(key, 'POST', 'http://127.0.0.1:9000/token', undefined)
    const b = await k6.dpopProof(key, 'POST', 'http://127.0.0.1:9000/token', undefined)
    const claims = (p: string) =>
      JSON.parse(Buffer.from(p.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
    expect(claims(a).jti).not.toBe(claims(b).jti)
    expect(Object.keys(claims(a)).sort()).toEqual(['htm', 'htu', 'iat', 'jti'])
    expect(decodeProtectedHeader(a).typ).toBe('dpop+jwt')
  })

  it('encodes base64url as Node does, at every padding length', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 31, 32, 33]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 0xff)
      expect(k6.b64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'))
    }
  })

  it('reads a nonce challenge as the embedded engine does', () => {
    const answers: Array<[number, string | undefined, string, string | undefined]> = [
      [401, 'DPoP error="use_dpop_nonce", error_description="nonce"', '', 'n1'],
      [401, 'DPoP error=use_dpop_nonce', '', 'n1'],
      [401, 'DPoP error="invalid_dpop_proof"', '', 'n1'],
      [400, undefined, '{"error":"use_dpop_nonce","error_description":"x"}', 'n2'],
      [400, undefined, '{"error":"invalid_dpop_proof"}', 'n2'],
      [400, undefined, '{"error":"use_dpop_nonce"}', undefined],
      [200, undefined, '{}', 'n3'],
    ]
    for (const [status, www, body, nonce] of answers) {
      const headers = { ...(www ? { 'www-authenticate': www } : {}), ...(nonce ? { 'dpop-nonce': nonce } : {}) }
      expect(k6.dpopNonceChallenge(status, www, body, nonce), `${status} ${www ?? body}`).toBe(
        nonceChallenge(status, headers, body) ?? '',
      )
    }
  })

  it('type-checks against the standard WebCrypto declarations, which catch a misuse', () => {
    expect(typecheckK6Script(lib)).toEqual([])
    const broken = lib.replace("crypto.subtle.sign({ name: 'ECDSA'", "crypto.subtle.sgn({ name: 'ECDSA'")
    expect(broken).not.toBe(lib)
    expect(typecheckK6Script(broken).join('\n')).toMatch(/sgn/)
  })
})
