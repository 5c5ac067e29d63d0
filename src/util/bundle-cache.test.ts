import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CACHE_DIR, cachedBundle, EXTERNAL, sourceKey } from './bundle-cache.mjs'

const run = promisify(execFile)
const BIN = new URL('../../bin/oauth-gameday.mjs', import.meta.url).pathname
const ENTRY = new URL('../cli/main.ts', import.meta.url).pathname
const CHILD = new URL('../runtime/child.ts', import.meta.url).pathname

/** The text of every chunk of the split bundle whose entry is `file`. */
function chunksText(file: string): string {
  const dir = dirname(file)
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
}

/** The bare specifiers (packages, not `node:` built-ins) a split bundle's chunks still import. */
function packageImports(file: string): string[] {
  const specs = new Set<string>()
  for (const m of chunksText(file).matchAll(/^import\s+(?:[\w*{}\s,$]+\s+from\s+)?"([^"]+)";?\s*$|\bimport\(\s*"([^"]+)"\s*\)/gm)) specs.add((m[1] ?? m[2])!)
  return [...specs].filter((s) => !s.startsWith('.') && !s.startsWith('node:')).sort()
}

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

  it('bundles packages too, except the ones that find their own files at run time', async () => {
    // a component child imports nothing from node_modules at run time (fastify, jose, TypeBox are inside)
    expect(packageImports(await cachedBundle('child', CHILD, { split: true }))).toEqual([])
    // the CLI keeps esbuild, playwright-core and testcontainers as imports, and nothing else
    const cli = packageImports(await cachedBundle('cli', ENTRY, { split: true }))
    expect(cli).toContain('esbuild')
    expect(cli.every((s) => EXTERNAL.includes(s))).toBe(true)
  }, 60_000)

  it('a bundle built by the bundled CLI still gives each source file its own import.meta.url', async () => {
    // the CLI builds the components' and the worker's bundles with its own, bundled copy of this module
    const self = await cachedBundle('test-bundle-cache', new URL('./bundle-cache.mjs', import.meta.url).pathname)
    const bundled = (await import(self)) as typeof import('./bundle-cache.mjs')
    const child = await bundled.cachedBundle('test-child', CHILD, { split: true })
    const text = chunksText(child)
    expect(text).toContain(JSON.stringify(new URL('../faults/proxy/cdn.ts', import.meta.url).href))
    expect(text).not.toContain('isMain(import.meta.url)')
  }, 60_000)

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
