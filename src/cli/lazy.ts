/**
 * Commands reach their implementation through a dynamic import, so `--help`
 * and the commands that do not need a unit stay fast, and a unit that is not
 * there (a trimmed build) fails with a clear ERR_CLI_UNAVAILABLE instead of a
 * stack trace. The imports are written out (not computed), so the CLI bundle
 * (`bin/oauth-gameday.mjs`) carries them and no second copy of a module is
 * ever loaded beside it.
 */
import { GamedayError } from '../errors.ts'

const units = {
  'src/capacity.ts': () => import('../capacity.ts'),
  'src/faults/proxy/cdn.ts': () => import('../faults/proxy/cdn.ts'),
  'src/faults/proxy/fault-proxy.ts': () => import('../faults/proxy/fault-proxy.ts'),
  'src/index.ts': () => import('../index.ts'),
  'src/load/k6/export.ts': () => import('../load/k6/export.ts'),
  'src/report/compare.ts': () => import('../report/compare.ts'),
  'src/report/json.ts': () => import('../report/json.ts'),
  'src/slo/score.ts': () => import('../slo/score.ts'),
  'mock-as/main.ts': () => import('../../mock-as/main.ts'),
  'mock-rs/main.ts': () => import('../../mock-rs/main.ts'),
  'mock-rs/profiles.ts': () => import('../../mock-rs/profiles.ts'),
} satisfies Record<string, () => Promise<unknown>>

/** A unit the CLI can load (a path relative to the repository root). */
export type UnitPath = keyof typeof units

async function load(path: UnitPath): Promise<Record<string, unknown> | undefined> {
  try {
    return (await units[path]()) as Record<string, unknown>
  } catch (cause) {
    const code = (cause as { code?: string }).code
    const message = cause instanceof Error ? cause.message : ''
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(path.split('/').pop()!)) return undefined
    throw cause
  }
}

/**
 * Import `exportName` from `path`.
 *
 * @example const serveAs = await importUnit<(o: object) => Promise<Served>>('mock-as/main.ts', 'serveAs', 'serve as')
 */
export async function importUnit<T>(path: UnitPath, exportName: string, what: string): Promise<T> {
  const mod = await load(path)
  if (!mod) throw new GamedayError('ERR_CLI_UNAVAILABLE', `${what}: not available in this build (${path} is missing)`)
  const value = mod[exportName]
  if (value === undefined) {
    throw new GamedayError('ERR_CLI_UNAVAILABLE', `${what}: not available in this build (${path} does not export ${exportName})`)
  }
  return value as T
}

/** Import a unit that may not exist; undefined when it does not. */
export async function importOptional(path: UnitPath): Promise<Record<string, unknown> | undefined> {
  return await load(path)
}
