/**
 * Build dist/ from the TypeScript sources:
 *
 * - esbuild bundles each entry point of `ENTRIES` (src/util/package-root.ts)
 *   into `dist/<name>.js`, code shared between them into `dist/chunks/`
 *   (ES modules, Node 20). Packages are bundled too, except `EXTERNAL`: a
 *   process loads a few chunks instead of resolving and reading hundreds of
 *   package files one at a time (a component child printed its URL after
 *   480–690 ms with packages external, 270–380 ms bundled).
 * - the run-time assets of `ASSETS` are copied to `dist/assets/`.
 * - with `--types`, tsc type-checks the whole tree and emits declarations to
 *   `dist/types/` (the package's `types`); this replaces `tsc --noEmit`.
 *
 * Usage: `tsx scripts/build.ts [--types] [--watch] [--if-stale]`
 *   --types     also type-check and emit declarations
 *   --if-stale  build only what is older than its sources (`npm test` and the test setup use it)
 *   --watch     rebuild the bundles on every change (development)
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type BuildOptions, build, context, type Plugin } from 'esbuild'
import { ASSETS, ENTRIES, PACKAGE_ROOT } from '../src/util/package-root.ts'

const DIST = join(PACKAGE_ROOT, 'dist')
/** Folders whose files go into the bundles (their change makes the bundles stale). */
const SOURCES = ['src', 'mock-as', 'mock-rs', 'jwks-cdn', 'fault-proxy']
/** Folders tsc checks (tsconfig.json's `include`): their change makes the declarations stale. */
const CHECKED = [...SOURCES, 'test', 'bench', 'scripts']
const TYPES = join(DIST, 'types')
/** Files whose mtime says when the bundles, and the declarations, were last built. */
const STAMP = join(DIST, '.built')
const TYPES_STAMP = join(TYPES, '.built')

/**
 * Packages left out of the bundles, imported from node_modules at run time:
 * playwright-core and the Docker client stack (testcontainers, dockerode,
 * ssh2, cpu-features) locate files or native addons next to their own
 * modules; typescript is a development tool (`export k6 --check` loads it
 * when it is installed).
 */
export const EXTERNAL = [
  'playwright-core',
  'playwright',
  'testcontainers',
  'dockerode',
  'docker-modem',
  'ssh2',
  'cpu-features',
  'typescript',
]

const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true }
      const parts = args.path.split('/')
      const pkg = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
      return EXTERNAL.includes(pkg ?? '') ? { external: true } : undefined
    })
  },
}

/** Bundled CommonJS packages call `require` (built-ins, optional peers): each chunk gets one that resolves from where it lies. */
const REQUIRE_BANNER =
  "import { createRequire as __gamedayCreateRequire } from 'node:module'; const require = __gamedayCreateRequire(import.meta.url);"

const options: BuildOptions = {
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name, join(PACKAGE_ROOT, src)])),
  outdir: DIST,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  banner: { js: REQUIRE_BANNER },
  plugins: [externalPackages],
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p))
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

function isStale(stamp: string, dirs: readonly string[], files: readonly string[]): boolean {
  let built: number
  try {
    built = statSync(stamp).mtimeMs
  } catch {
    return true
  }
  const mtime = (f: string) => {
    try {
      return statSync(join(PACKAGE_ROOT, f)).mtimeMs
    } catch {
      return 0
    }
  }
  return Math.max(...dirs.map((d) => newestMtime(join(PACKAGE_ROOT, d))), ...files.map(mtime)) > built
}

/** True when the bundles are missing or older than a source file, package.json or the lockfile. */
export const bundlesStale = (): boolean => isStale(STAMP, SOURCES, ['package.json', 'package-lock.json'])

/** True when the declarations are missing or older than a file tsc checks. */
export const typesStale = (): boolean => isStale(TYPES_STAMP, CHECKED, ['tsconfig.json', 'package-lock.json'])

function copyAssets(): void {
  for (const [name, src] of Object.entries(ASSETS)) {
    const to = join(DIST, 'assets', name)
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(join(PACKAGE_ROOT, src), to)
  }
}

function finish(): void {
  copyAssets()
  chmodSync(join(DIST, 'cli.js'), 0o755)
  writeFileSync(STAMP, `${new Date().toISOString()}\n`)
}

/** Bundle the entry points (about a second); the old bundles and chunks are removed first. */
export async function buildBundles(): Promise<void> {
  mkdirSync(DIST, { recursive: true })
  for (const e of readdirSync(DIST, { withFileTypes: true }).filter((e) => e.name !== 'types')) {
    rmSync(join(DIST, e.name), { recursive: true, force: true })
  }
  await build(options)
  finish()
}

/** Rewrite `./x.ts` specifiers in emitted declarations to `./x.js`, which a consumer's TypeScript resolves to `./x.d.ts`. */
function rewriteDeclarations(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) rewriteDeclarations(p)
    else if (e.name.endsWith('.d.ts')) {
      const text = readFileSync(p, 'utf8')
      const out = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2')
      if (out !== text) writeFileSync(p, out)
    }
  }
}

/** Type-check the whole tree and emit declarations into dist/types (tsc; about 15 s). */
export function buildTypes(): boolean {
  const types = TYPES
  rmSync(types, { recursive: true, force: true })
  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.json', '--noEmit', 'false', '--emitDeclarationOnly', '--declaration', '--outDir', types],
    {
      cwd: PACKAGE_ROOT,
      stdio: 'inherit',
    },
  )
  if (r.status !== 0) return false
  rewriteDeclarations(types)
  writeFileSync(TYPES_STAMP, `${new Date().toISOString()}\n`)
  return true
}

async function main(argv: string[]): Promise<number> {
  mkdirSync(DIST, { recursive: true })
  if (argv.includes('--watch')) {
    const ctx = await context({
      ...options,
      plugins: [...(options.plugins ?? []), { name: 'finish', setup: (b) => b.onEnd(() => finish()) }],
    })
    await ctx.watch()
    process.stderr.write(`build: watching ${SOURCES.join(', ')}; dist/ is rebuilt on every change (Ctrl-C stops)\n`)
    return await new Promise<number>(() => {})
  }
  const ifStale = argv.includes('--if-stale')
  if (!ifStale || bundlesStale()) {
    const start = Date.now()
    await buildBundles()
    process.stderr.write(`build: bundles in ${relative(process.cwd(), DIST) || 'dist'}/ (${Date.now() - start} ms)\n`)
  }
  if (argv.includes('--types') && (!ifStale || typesStale())) {
    const t = Date.now()
    if (!buildTypes()) {
      process.stderr.write('build: type errors (above); dist/types is incomplete\n')
      return 1
    }
    process.stderr.write(`build: type-checked, declarations in dist/types/ (${Date.now() - t} ms)\n`)
  }
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2))
}
