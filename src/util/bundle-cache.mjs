// @ts-check
/**
 * Cached esbuild bundles of the harness's own entry points (the CLI, the
 * component child, the load worker), built once per state of the sources and
 * kept under node_modules/.cache/oauth-gameday. Loading the TypeScript graph
 * through tsx costs about a second of CPU per process; a bundle about a tenth
 * of that, which is what keeps `oauth-gameday run` to its first request fast.
 *
 * Plain JavaScript on purpose: `bin/oauth-gameday.mjs` uses it before any
 * TypeScript loader is registered.
 *
 * Inside a bundle every module would share the bundle's `import.meta.url`;
 * the build rewrites each source file's `import.meta.url` to that file's own
 * URL, so paths resolved relative to a module (package.json, templates, the
 * worker entry) stay right.
 *
 * Packages are bundled too, except the few that find files of their own at
 * run time (see `EXTERNAL`): resolving and reading a package's modules one file
 * at a time cost each process more than its own code did (TypeBox alone is
 * about 250 files), and a component child printed its URL after 480–690 ms
 * with packages external against 270–380 ms with them bundled.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SOURCES = ['src', 'mock-as', 'mock-rs']
/** Where bundles are kept. */
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'oauth-gameday')

/** @type {string | undefined} */
let key

/**
 * A short hash of every source file's path, size and mtime (tests excluded)
 * and of the lockfiles' (packages are bundled): any edit or install gives a
 * new key, hence a new bundle.
 * @returns {string}
 */
export function sourceKey() {
  // the bin and the CLI bundle each carry a copy of this module: walk the tree once per process
  const shared = /** @type {{ __oauthGamedaySourceKey?: string }} */ (globalThis)
  key ??= shared.__oauthGamedaySourceKey
  if (key) return key
  const h = createHash('sha256')
  /** @param {string} dir */
  const walk = (dir) => {
    /** @type {import('node:fs').Dirent[]} */
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if ((e.name.endsWith('.ts') || e.name.endsWith('.mjs') || e.name.endsWith('.js')) && !e.name.endsWith('.test.ts')) {
        const s = statSync(p)
        h.update(`${p}:${s.size}:${s.mtimeMs}\n`)
      }
    }
  }
  for (const d of SOURCES) walk(join(ROOT, d))
  // packages are bundled too: an install that changes node_modules rewrites npm's hidden lockfile
  for (const f of ['package-lock.json', join('node_modules', '.package-lock.json')]) {
    try {
      const s = statSync(join(ROOT, f))
      h.update(`${f}:${s.size}:${s.mtimeMs}\n`)
    } catch {
      // no lockfile (installed without one): the sources alone name the state
    }
  }
  key = h.digest('hex').slice(0, 16)
  shared.__oauthGamedaySourceKey = key
  return key
}

/**
 * Packages left out of the bundles, loaded from node_modules at run time:
 * esbuild runs its platform binary, playwright-core and the Docker client
 * stack (testcontainers, dockerode, ssh2, cpu-features) locate files or
 * native addons next to their own modules.
 */
export const EXTERNAL = ['esbuild', 'playwright-core', 'playwright', 'testcontainers', 'dockerode', 'docker-modem', 'ssh2', 'cpu-features']

/** esbuild plugin: the `EXTERNAL` packages (and `node:` built-ins) stay imports; every other package is bundled. */
const externalPackages = {
  name: 'external-packages',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true }
      const parts = args.path.split('/')
      const pkg = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
      return EXTERNAL.includes(pkg ?? '') ? { external: true } : undefined
    })
  },
}

/**
 * Bundled CommonJS packages call `require` (built-ins, optional peers): each
 * chunk gets one that resolves from the project root, as the packages would.
 */
const REQUIRE_BANNER = `import { createRequire as __gamedayCreateRequire } from 'node:module'; const require = __gamedayCreateRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)});`

/**
 * What the plugin below rewrites, spelled so that this file's own copy inside
 * the CLI bundle keeps it: written out, the rewrite turned the needle into
 * this file's URL, and every bundle the bundled CLI built (the components',
 * the load worker's) kept the chunk's `import.meta.url` in each source file.
 */
const IMPORT_META_URL = ['import', 'meta', 'url'].join('.')

/** esbuild plugin: each own source file's `import.meta.url` becomes its own file URL. */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onLoad({ filter: /\.(ts|mjs)$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined
      const text = await readFile(args.path, 'utf8')
      if (!text.includes(IMPORT_META_URL)) return undefined
      return { contents: text.replaceAll(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith('.ts') ? 'ts' : 'js' }
    })
  },
}

/** @type {Map<string, Promise<string>>} */
const building = new Map()

/**
 * The path of a bundle of `entry` (an absolute path) for the current source
 * state: `<name>-<key>.mjs`, or with `split` a folder `<name>-<key>/` whose
 * dynamic imports are chunks of their own (so a command loads only the
 * packages it uses). Built when missing (into a temporary name, then renamed,
 * so concurrent builders never expose a partial bundle); this entry's bundles
 * of older source states are removed a day later. Rejects when it cannot be
 * built (read-only tree); callers fall back to tsx.
 * @param {string} name
 * @param {string} entry
 * @param {{ split?: boolean }} [options]
 * @returns {Promise<string>}
 */
export function cachedBundle(name, entry, options = {}) {
  let p = building.get(name)
  if (!p) {
    p = (async () => {
      const base = join(CACHE_DIR, `${name}-${sourceKey()}`)
      const file = options.split ? join(base, `${basename(entry).replace(/\.[cm]?[jt]s$/, '')}.mjs`) : `${base}.mjs`
      if (existsSync(file)) return file
      const { build } = await import('esbuild')
      await mkdir(CACHE_DIR, { recursive: true })
      const tmp = `${base}.${process.pid}.tmp`
      const common = { entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', banner: { js: REQUIRE_BANNER }, plugins: [externalPackages, ownImportMetaUrl] }
      /** @type {import('esbuild').BuildOptions} */
      const opts = options.split ? { ...common, splitting: true, outdir: tmp, outExtension: { '.js': '.mjs' } } : { ...common, outfile: tmp }
      await build(opts)
      try {
        await rename(tmp, options.split ? base : file)
      } catch (err) {
        // another process built the same state first
        await rm(tmp, { recursive: true, force: true })
        if (!existsSync(file)) throw err
      }
      const dayAgo = Date.now() - 24 * 3600_000
      const stale = (await readdir(CACHE_DIR)).filter((f) => f.startsWith(`${name}-`) && join(CACHE_DIR, f) !== base && join(CACHE_DIR, f) !== `${base}.mjs` && !f.endsWith('.tmp'))
      await Promise.all(
        stale.map(async (f) => ((await stat(join(CACHE_DIR, f)).catch(() => undefined))?.mtimeMs ?? Date.now()) < dayAgo && rm(join(CACHE_DIR, f), { recursive: true, force: true })),
      )
      return file
    })()
    building.set(name, p)
  }
  return p
}
