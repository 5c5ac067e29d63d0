/**
 * Load engine benchmarks, each bounded in time; the bench runner calls these.
 * Standalone: `node --import tsx bench/load/index.ts [max-rate|accuracy|co|memory]...`
 */
import { pathToFileURL } from 'node:url'
import { benchAccuracy } from './accuracy.ts'
import { benchCoordinatedOmission } from './coordinated-omission.ts'
import { benchMaxRate } from './max-rate.ts'
import { benchMemory } from './memory.ts'

export { benchAccuracy, benchCoordinatedOmission, benchMaxRate, benchMemory }

export const loadBenchmarks = {
  'max-rate': () => benchMaxRate(),
  accuracy: () => benchAccuracy(),
  co: () => benchCoordinatedOmission(),
  memory: () => benchMemory(),
} as const

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(loadBenchmarks)
  for (const name of names) {
    const fn = loadBenchmarks[name as keyof typeof loadBenchmarks]
    if (!fn)
      throw new Error(`unknown benchmark ${JSON.stringify(name)} (one of ${Object.keys(loadBenchmarks).join(', ')})`)
    const started = Date.now()
    const figures = await fn()
    console.log(JSON.stringify({ bench: name, seconds: Math.round((Date.now() - started) / 1000), ...figures }))
  }
}
