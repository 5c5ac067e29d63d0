import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CACHE_DIR, cachedBundle, sourceKey } from './bundle-cache.mjs'

const run = promisify(execFile)
const BIN = new URL('../../bin/oauth-gameday.mjs', import.meta.url).pathname
const ENTRY = new URL('../cli/main.ts', import.meta.url).pathname

describe('bundle cache', () => {
  it('names bundles by the source state and builds a split CLI bundle once', async () => {
    expect(sourceKey()).toMatch(/^[0-9a-f]{16}$/)
    const file = await cachedBundle('cli', ENTRY, { split: true })
    expect(file.startsWith(`${CACHE_DIR}/cli-${sourceKey()}/`)).toBe(true)
    expect(existsSync(file)).toBe(true)
    // a module's own import.meta.url survives bundling (package.json, templates are found relative to it)
    expect(readFileSync(file, 'utf8')).not.toContain('import.meta.url')
    expect(await cachedBundle('cli', ENTRY, { split: true })).toBe(file)
  })

  it('the bundled CLI answers like the tsx-loaded one (version from package.json, a lazily loaded unit)', async () => {
    const env = (noBundle: boolean) => ({ ...process.env, OAUTH_GAMEDAY_NO_BUNDLE: noBundle ? '1' : '0' })
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
    for (const noBundle of [false, true]) {
      const v = await run(process.execPath, [BIN, '--version'], { env: env(noBundle) })
      expect(v.stdout.trim()).toBe(version)
      const profiles = await run(process.execPath, [BIN, 'list', 'profiles'], { env: env(noBundle) })
      expect(profiles.stdout).toContain('resilient')
    }
  }, 60_000)
})
