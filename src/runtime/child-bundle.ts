/**
 * Reference components start as plain Node processes from a bundle of
 * `child.ts` (esbuild, packages left external), built once and cached under
 * node_modules/.cache keyed by the sources' sizes and mtimes. Loading TS
 * through tsx costs each child about 1.5 s of CPU; the bundle about 0.1 s,
 * which is what keeps `oauth-gameday run` to first request under 2 s.
 * Falls back to tsx when the bundle cannot be built (read-only tree).
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url))
const SOURCES = ['src', 'mock-as', 'mock-rs']
const CACHE = join(ROOT, 'node_modules', '.cache', 'oauth-gameday')

let key: Promise<string> | undefined

function sourceKey(): Promise<string> {
  key ??= computeKey()
  return key
}

async function computeKey(): Promise<string> {
  const h = createHash('sha256')
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name)
      if (e.isDirectory()) await walk(p)
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const s = await stat(p)
        h.update(`${p}:${s.size}:${s.mtimeMs}\n`)
      }
    }
  }
  for (const d of SOURCES) await walk(join(ROOT, d))
  return h.digest('hex').slice(0, 16)
}

const bundles = new Map<string, Promise<string>>()

/**
 * The path of a cached esbuild bundle of `entry` (an absolute .ts path) named
 * `<name>-<source key>.mjs`, built once per source state (atomic rename, so
 * concurrent builders never expose a partial file). Rejects when it cannot be
 * built; callers fall back to tsx. Inside a bundle every module shares one
 * `import.meta.url`: the entry must not rely on "am I main?" checks.
 */
export function cachedBundle(name: string, entry: string): Promise<string> {
  let p = bundles.get(name)
  if (!p) {
    p = (async () => {
      const file = join(CACHE, `${name}-${await sourceKey()}.mjs`)
      if (!existsSync(file)) {
        const { build } = await import('esbuild')
        await mkdir(CACHE, { recursive: true })
        const tmp = `${file}.${process.pid}.tmp`
        await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: tmp, logLevel: 'silent' })
        await rename(tmp, file)
      }
      return file
    })()
    bundles.set(name, p)
  }
  return p
}

let cached: Promise<string[]> | undefined

/** The argv (after `node`) that starts one component process. */
export function childCommand(): Promise<string[]> {
  cached ??= (async () => {
    if (process.env.OAUTH_GAMEDAY_CHILD_TSX === '1') return tsxCommand()
    try {
      return [await cachedBundle('child', ENTRY)]
    } catch {
      return tsxCommand()
    }
  })()
  return cached
}

function tsxCommand(): string[] {
  return ['--import', import.meta.resolve('tsx'), ENTRY]
}
