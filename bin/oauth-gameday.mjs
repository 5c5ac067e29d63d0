#!/usr/bin/env node
// Runs the CLI from a cached esbuild bundle of its TypeScript sources (built on
// first use, rebuilt when a source changes: see src/util/bundle-cache.mjs), so
// `npx oauth-gameday` works straight from a clone without a build step and
// starts in a fraction of the time tsx's loader takes. Falls back to tsx when
// the bundle cannot be built (a read-only tree) or OAUTH_GAMEDAY_NO_BUNDLE=1.
import { fileURLToPath, pathToFileURL } from 'node:url'

const entry = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
let bundle
if (process.env.OAUTH_GAMEDAY_NO_BUNDLE !== '1') {
  try {
    const { cachedBundle } = await import('../src/util/bundle-cache.mjs')
    bundle = await cachedBundle('cli', entry, { split: true })
  } catch {
    bundle = undefined
  }
}
if (bundle) {
  await import(pathToFileURL(bundle).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}
