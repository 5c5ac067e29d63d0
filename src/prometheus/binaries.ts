/**
 * Finding Prometheus and promtool: `PROMETHEUS_BIN` / `PROMTOOL_BIN`, else
 * the first on PATH (Debian's `prometheus` package brings both).
 */
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { GamedayError } from '../errors.ts'

/** The install hint shown when a binary is missing. */
export const PROMETHEUS_INSTALL_HINT =
  "install Debian's prometheus (`apt-get install prometheus`, which brings promtool) or set PROMETHEUS_BIN / PROMTOOL_BIN"

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, name)
    if (existsSync(p)) return p
  }
  return undefined
}

function find(name: 'prometheus' | 'promtool'): string | undefined {
  const env = process.env[name === 'prometheus' ? 'PROMETHEUS_BIN' : 'PROMTOOL_BIN']
  if (env) return existsSync(env) ? env : undefined
  return onPath(name)
}

/**
 * The prometheus or promtool binary, or undefined.
 *
 * @example findPrometheusTool('promtool') // '/usr/bin/promtool'
 */
export function findPrometheusTool(name: 'prometheus' | 'promtool'): string | undefined {
  return find(name)
}

/**
 * The binary, or an ERR_ENV_PROMETHEUS_NOT_FOUND with the install hint.
 *
 * @example const bin = requirePrometheusTool('prometheus')
 */
export function requirePrometheusTool(name: 'prometheus' | 'promtool'): string {
  const bin = find(name)
  if (!bin)
    throw new GamedayError(
      'ERR_ENV_PROMETHEUS_NOT_FOUND',
      `no ${name} binary found (${name === 'prometheus' ? 'PROMETHEUS_BIN' : 'PROMTOOL_BIN'} unset or wrong, none on PATH)`,
      { hint: PROMETHEUS_INSTALL_HINT },
    )
  return bin
}
