/**
 * The k6 script signs private_key_jwt client assertions (RFC 7523) with
 * WebCrypto. The code between lib.js's //@@ASSERTION markers (with the
 * base64url helpers of the //@@DPOP block) needs nothing from k6, so it runs
 * here on Node's WebCrypto, and jose checks what it signs.
 */
import { generateKeyPairSync } from 'node:crypto'
import { importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { k6Assertion } from '../../../test/helpers/k6-lib.ts'

const keyPair = (alg: string) =>
  alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 })

describe('the k6 script private_key_jwt code (WebCrypto)', () => {
  for (const alg of ['ES256', 'RS256', 'PS256']) {
    it(`signs ${alg} assertions jose verifies: iss = sub = client_id, aud, a fresh jti, exp 60 s after iat, kid`, async () => {
      const { privateKey, publicKey } = keyPair(alg)
      // a JWK as the harness holds it, with members WebCrypto would refuse for this import
      const jwk = { ...privateKey.export({ format: 'jwk' }), alg: alg === 'PS256' ? 'RS256' : alg, use: 'sig' }
      const key = await k6Assertion.importAssertionKey(jwk, alg)
      const a = await k6Assertion.clientAssertion(key, alg, 'k-1', 'pkj', 'http://127.0.0.1:9000')
      const b = await k6Assertion.clientAssertion(key, alg, 'k-1', 'pkj', 'http://127.0.0.1:9000')
      const pub = await importJWK({ ...publicKey.export({ format: 'jwk' }) }, alg)
      const { payload, protectedHeader } = await jwtVerify(a, pub, {
        algorithms: [alg],
        issuer: 'pkj',
        subject: 'pkj',
        audience: 'http://127.0.0.1:9000',
      })
      expect(protectedHeader).toEqual({ alg, typ: 'JWT', kid: 'k-1' })
      expect(payload.exp! - payload.iat!).toBe(60)
      expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5)
      const other = await jwtVerify(b, pub, { algorithms: [alg] })
      expect(other.payload.jti).not.toBe(payload.jti)
    })
  }

  it('leaves kid out when the key has none, and refuses an alg k6 cannot sign', async () => {
    const { privateKey } = keyPair('ES256')
    const key = await k6Assertion.importAssertionKey(privateKey.export({ format: 'jwk' }), 'ES256')
    const jwt = await k6Assertion.clientAssertion(key, 'ES256', '', 'pkj', 'aud')
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'ES256', typ: 'JWT' })
    await expect(k6Assertion.importAssertionKey({ kty: 'OKP' }, 'EdDSA')).rejects.toThrow(/does not sign EdDSA/)
  })
})
