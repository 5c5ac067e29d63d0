/** Printing for the CLI: error blocks, tables. Text goes through the secret masker. */
import { type GamedayError, isGamedayError } from '../errors.ts'
import { maskSecrets } from '../util/secrets.ts'

/** Write a line to stdout (masked). */
export function out(line = ''): void {
  process.stdout.write(`${maskSecrets(line)}\n`)
}

/** Write a line to stderr (masked). */
export function err(line = ''): void {
  process.stderr.write(`${maskSecrets(line)}\n`)
}

/**
 * Print an error the way every command does: a known error as
 * `error ERR_X: message`, its detail lines and a hint, no stack; anything
 * else with its stack, as a bug. Returns the exit code.
 */
export function printError(e: unknown): number {
  if (isGamedayError(e)) {
    err(formatError(e))
    return e.exitCode
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e)
  err(`internal error (this is a bug in oauth-gameday; please report it with the lines below):\n${stack}`)
  return 1
}

/** An error for people: `error CODE: message`, its details, `hint: …`. */
export function formatError(e: GamedayError): string {
  return [
    `error ${e.code}: ${e.message}`,
    ...e.details.map((d) => `  ${d}`),
    ...(e.hint ? [`hint: ${e.hint}`] : []),
  ].join('\n')
}

/** A plain left-aligned table; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const all = header ? [header, ...rows] : [...rows]
  if (all.length === 0) return ''
  const cols = Math.max(...all.map((r) => r.length))
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd()
  const lines = all.map(line)
  if (header) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  return lines.join('\n')
}
