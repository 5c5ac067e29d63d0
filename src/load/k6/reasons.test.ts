/**
 * The k6 script classifies an RS refusal with its own copy of the logic (a
 * k6 script cannot import the engine's TypeScript): this runs that copy, cut
 * from lib.js between its //@@PURE markers, beside the embedded engine's
 * `rsFailure` on the same answers, so both engines tag a 401 storm alike.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.ts'
import { RS_REASONS, rsFailure } from '../flows/oauth.ts'

const lib = readFileSync(new URL('./lib.js', import.meta.url), 'utf8')
const pure = /\/\/@@PURE_START\n([\s\S]*?)\/\/@@PURE_END\n/.exec(lib)?.[1]
const k6 = new Function(`${pure ?? ''}\nreturn { rsFailure, RS_REASONS }`)() as {
  rsFailure(status: number, header: string | undefined): { reason: string; error: string }
  RS_REASONS: string[]
}

const answers: Array<[number, string | undefined]> = [
  [401, 'Bearer error="invalid_token", error_description="expired"'],
  [401, 'Bearer realm=api, error=invalid_token, error_description=unknown_kid'],
  [401, 'Bearer error="invalid_token", error_description="The access token expired"'],
  [401, 'Bearer error_description="say \\"revoked\\"", error="invalid_token"'],
  [401, undefined],
  [403, 'Bearer error="insufficient_scope", scope="orders:write"'],
  [403, 'Bearer error=insufficient_scope'],
  [503, 'Bearer error="temporarily_unavailable"'],
  [500, undefined],
  [200, undefined],
]

describe('the k6 script reads an RS refusal as the embedded engine does', () => {
  it('has the pure helpers between its markers', () => {
    expect(pure).toContain('function rsFailure')
  })

  it('knows the same RS reasons', () => {
    expect([...k6.RS_REASONS].sort()).toEqual([...RS_REASONS].sort())
  })

  it.each(answers)('status %i with %s gets the same reason and error tags', (status, www) => {
    const res: HttpResponse = { status, headers: www ? { 'www-authenticate': www } : {}, body: '' }
    const embedded = rsFailure(res)
    const fromK6 = k6.rsFailure(status, www)
    // the k6 side writes '' where the embedded side leaves a tag out (the k6 recorder drops empty tags)
    expect({ reason: fromK6.reason || undefined, error: fromK6.error || undefined }).toEqual({
      reason: embedded.reason,
      error: embedded.error,
    })
  })

  it('names a transport failure (status 0) as such', () => {
    expect(k6.rsFailure(0, undefined)).toEqual({ reason: 'transport', error: '' })
  })
})
