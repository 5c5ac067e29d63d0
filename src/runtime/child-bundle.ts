/**
 * Reference components start as plain Node processes from a bundle of
 * `child.ts` (esbuild, packages left external), built once and cached under
 * node_modules/.cache keyed by the sources' sizes and mtimes. Loading TS
 * through tsx costs each child about 1.5 s of CPU; the bundle about 0.1 s,
 * which is what keeps `oauth-gameday run` to first request under 2 s.
 * Falls back to tsx when the bundle cannot be built (read-only tree).
 */
import { fileURLToPath } from 'node:url'
import { cachedBundle } from '../util/bundle-cache.mjs'

export { cachedBundle }

const ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url))

let cached: Promise<string[]> | undefined

/** The argv (after `node`) that starts one component process. */
export function childCommand(): Promise<string[]> {
  cached ??= (async () => {
    if (process.env.OAUTH_GAMEDAY_CHILD_TSX === '1') return tsxCommand()
    try {
      return [await cachedBundle('child', ENTRY, { split: true })]
    } catch {
      return tsxCommand()
    }
  })()
  return cached
}

function tsxCommand(): string[] {
  return ['--import', import.meta.resolve('tsx'), ENTRY]
}
