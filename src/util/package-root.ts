/**
 * Where oauth-gameday is installed, found once: the folder of the nearest
 * package.json named `oauth-gameday` above this module. The same answer from
 * the sources (src/util/) and from the built files (dist/ or dist/chunks/),
 * in a clone and in `node_modules/oauth-gameday`, so nothing read at run time
 * depends on the layout of the tree it runs from.
 *
 * Files other than code that the harness reads at run time are listed in
 * {@link ASSETS}; the build copies each into dist/ under its name.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Files read at run time, by name: each one's place in the sources (the build copies it to `dist/assets/<name>`). */
export const ASSETS = {
  'k6-lib.js': 'src/load/k6/lib.js',
} as const

/** The name of a file listed in {@link ASSETS}. */
export type AssetName = keyof typeof ASSETS

interface PackageJson {
  name?: string
  version?: string
}

function findRoot(from: string): { root: string; manifest: PackageJson } {
  let dir = from
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson
      if (manifest.name === 'oauth-gameday') return { root: dir, manifest }
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`oauth-gameday: no package.json named oauth-gameday above ${from}`)
    dir = up
  }
}

const here = dirname(fileURLToPath(import.meta.url))
const found = findRoot(here)

/** The package's root folder (holds package.json, dist/, scenarios/). */
export const PACKAGE_ROOT = found.root

/** The version in the package's package.json. */
export const PACKAGE_VERSION = found.manifest.version ?? '0.0.0'

/** True when this code runs from dist/ (the built package) rather than from the TypeScript sources. */
export const RUNS_BUILT = here.startsWith(join(PACKAGE_ROOT, 'dist') + sep) || here === join(PACKAGE_ROOT, 'dist')

/**
 * The path of a run-time asset: in dist/assets when running built, in the
 * sources otherwise.
 *
 * @example readFileSync(assetPath('k6-lib.js'), 'utf8')
 */
export function assetPath(name: AssetName): string {
  return RUNS_BUILT ? join(PACKAGE_ROOT, 'dist', 'assets', name) : join(PACKAGE_ROOT, ASSETS[name])
}

/**
 * The built entry points, by name: `dist/<name>.js` is built from the source
 * beside it. One process (or worker) starts on each of `child` and
 * `load-worker`; `cli` is the bin and `index` the library API.
 */
export const ENTRIES = {
  cli: 'src/cli/main.ts',
  index: 'src/index.ts',
  child: 'src/runtime/child.ts',
  'load-worker': 'src/load/embedded-worker.ts',
} as const

/** The name of a built entry point. */
export type EntryName = keyof typeof ENTRIES

/**
 * The built file of an entry point, which a child process or worker starts
 * on. Always the built one, from the sources too (tests build dist/ first).
 *
 * @example spawn(process.execPath, [entryPath('child')])
 */
export function entryPath(name: EntryName): string {
  return join(PACKAGE_ROOT, 'dist', `${name}.js`)
}
