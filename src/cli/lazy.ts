/**
 * Commands reach their implementation through a dynamic import, so a command
 * whose unit is not there (yet, or in a trimmed build) fails with a clear
 * ERR_CLI_UNAVAILABLE instead of a stack trace, and `--help` stays fast.
 */
import { GamedayError } from '../errors.ts'

/** Paths relative to the repository root. */
const ROOT = new URL('../../', import.meta.url)

/**
 * Import `exportName` from `path` (relative to the repository root).
 *
 * @example const serveAs = await importUnit<(o: object) => Promise<Served>>('mock-as/main.ts', 'serveAs', 'serve as')
 */
export async function importUnit<T>(path: string, exportName: string, what: string): Promise<T> {
  const url = new URL(path, ROOT).href
  let mod: Record<string, unknown>
  try {
    mod = (await import(url)) as Record<string, unknown>
  } catch (cause) {
    const code = (cause as { code?: string }).code
    const message = cause instanceof Error ? cause.message : ''
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(path.split('/').pop()!)) {
      throw new GamedayError('ERR_CLI_UNAVAILABLE', `${what}: not available in this build (${path} is missing)`, { cause })
    }
    throw cause
  }
  const value = mod[exportName]
  if (value === undefined) {
    throw new GamedayError('ERR_CLI_UNAVAILABLE', `${what}: not available in this build (${path} does not export ${exportName})`)
  }
  return value as T
}

/** Import a module that may not exist; undefined when it does not. */
export async function importOptional(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(new URL(path, ROOT).href)) as Record<string, unknown>
  } catch (cause) {
    const code = (cause as { code?: string }).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined
    throw cause
  }
}
