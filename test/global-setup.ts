/**
 * Components, load workers and the CLI always start from dist/ (never from
 * the sources through a loader), so every vitest run first brings dist/ up to
 * date: the bundles when a source is newer (about a second), the declarations
 * when a checked file is (about 15 s; the packaging suite installs them).
 * `npm test` has built both already (pretest), so this is then a no-op.
 */
import { buildBundles, buildTypes, bundlesStale, typesStale } from '../scripts/build.ts'

export default async function setup(): Promise<void> {
  if (bundlesStale()) await buildBundles()
  if (typesStale() && !buildTypes()) {
    process.stderr.write(
      'global-setup: tsc found type errors (above); the packaging suite will fail until they are fixed\n',
    )
  }
}
