/**
 * The plain-JS blocks of the k6 script (src/load/k6/lib.js), run on Node's
 * WebCrypto: the //@@DPOP block's helpers and the //@@ASSERTION block's
 * private_key_jwt signing, as k6 would run them.
 */
import { readFileSync } from 'node:fs'

const lib = readFileSync(new URL('../../src/load/k6/lib.js', import.meta.url), 'utf8')
const block = (name: string) => new RegExp(`//@@${name}_START\\n([\\s\\S]*?)//@@${name}_END\\n`).exec(lib)?.[1] ?? ''

export const k6Assertion = new Function(
  `${block('DPOP')}\n${block('ASSERTION')}\nreturn { importAssertionKey, clientAssertion }`,
)() as {
  importAssertionKey(jwk: unknown, alg: string): Promise<unknown>
  clientAssertion(key: unknown, alg: string, kid: string, clientId: string, audience: string): Promise<string>
}
