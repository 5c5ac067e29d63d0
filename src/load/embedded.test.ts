import { describe, expect, it } from 'vitest'
import { withoutTsx } from './embedded.ts'

describe('withoutTsx', () => {
  it('drops tsx loader flags from the worker execArgv and keeps every other flag', () => {
    expect(withoutTsx(['--import', 'tsx', '--enable-source-maps'])).toEqual(['--enable-source-maps'])
    expect(withoutTsx(['--import=tsx', '--import', '/w/node_modules/tsx/dist/esm/index.mjs', '--max-old-space-size=100', '--import', './x.mjs'])).toEqual(['--max-old-space-size=100', '--import', './x.mjs'])
    expect(withoutTsx(['-r', 'tsx/cjs', '--loader', 'file:///w/node_modules/tsx/dist/loader.mjs', '--conditions', 'dev'])).toEqual(['--conditions', 'dev'])
  })
})
