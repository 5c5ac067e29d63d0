import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { errorCodes } from '../src/errors.ts'
import { check, codesInErrorsDoc, fieldRows, ROOT, renderScenarioReference } from './gen.ts'
import { ScenarioSchema } from '../src/scenario/schema.ts'

describe('gen', () => {
  it.each(check().map((c) => [c.path, c] as const))(
    '%s is up to date (run `npm run gen` when this fails)',
    (_path, c) => {
      expect(c.actual, `${c.path} is missing or stale: run \`npm run gen\` and commit the result`).toBe(c.expected)
    },
  )

  it('lists every error code in docs/errors.md, and nothing else', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    const listed = codesInErrorsDoc(doc)
    expect([...listed].sort()).toEqual(Object.keys(errorCodes).sort())
  })

  it('documents every scenario field with a type', () => {
    const rows = fieldRows(ScenarioSchema as never)
    const paths = rows.map((r) => r.path)
    expect(paths).toContain('load.flows[].executor')
    expect(paths).toContain('timeline[].params')
    expect(paths).toContain('stack.authorizationServer.external.clients[].clientSecret.env')
    expect(rows.find((r) => r.path === 'load.warmup')).toMatchObject({ type: 'duration', default: '5s' })
    expect(renderScenarioReference()).toContain('| `load.duration` | duration | *required* |')
  })
})
