/**
 * pino everywhere: JSON on stderr, pretty on a TTY. Three layers keep secrets
 * out: redaction by path, masking of registered values, masking by JWT shape.
 */
import { createRequire } from 'node:module'
import pino, { type Logger, type LoggerOptions } from 'pino'
import { maskSecrets } from './util/secrets.ts'

export type { Logger } from 'pino'

/** Paths pino redacts wherever they appear in a log object. */
export const REDACT_PATHS = [
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'code_verifier',
  '*.code_verifier',
  'code',
  '*.code',
  'password',
  '*.password',
  'token',
  '*.token',
  'adminToken',
  '*.adminToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.dpop',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
]

export interface LogOptions {
  level?: string
  /** Where lines go; defaults to stderr. */
  destination?: { write(line: string): unknown }
  pretty?: boolean
  name?: string
}

/** The pino options every logger of the project uses (also for fastify's logger). */
export function baseLogOptions(level = process.env.LOG_LEVEL ?? 'info'): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  }
}

/** A destination stream that masks secrets before writing. */
export function maskingStream(target: { write(line: string): unknown }): { write(line: string): void } {
  return { write: (line: string) => void target.write(maskSecrets(line)) }
}

/**
 * Create a logger.
 *
 * @example
 * ```ts
 * const log = createLogger({ name: 'runner' })
 * log.info({ runId, fault: 'clock-skew' }, 'fault.injected')
 * ```
 */
export function createLogger(options: LogOptions = {}): Logger {
  const usePretty = options.pretty ?? (process.stderr.isTTY === true && !process.env.CI)
  // pino-pretty is loaded only for a terminal: every component process would otherwise pay for it at start
  const pretty = () => createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')
  const target =
    options.destination ?? (usePretty ? pretty()({ destination: 2, sync: true, colorize: true }) : process.stderr)
  const opts = baseLogOptions(options.level)
  if (options.name) opts.name = options.name
  return pino(opts, maskingStream(target))
}

/** A logger that drops everything (for tests and library use). */
export const silentLogger: Logger = pino({ level: 'silent' })
