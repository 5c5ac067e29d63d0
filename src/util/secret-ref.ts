import { readFileSync } from 'node:fs'
import { GamedayError } from '../errors.ts'
import { registerSecret } from './secrets.ts'

/** A secret reference as scenarios write it. */
export type SecretReference = { env: string } | { file: string }

/**
 * Resolve `{ env: NAME }` or `{ file: path }` to the secret's value and register
 * it with the masker. Throws ERR_SCENARIO_SECRET_UNRESOLVED naming the reference.
 *
 * @example resolveSecretRef({ env: 'RS_CLIENT_SECRET' })
 */
export function resolveSecretRef(ref: SecretReference, where = 'secret'): string {
  let value: string | undefined
  if ('env' in ref) {
    value = process.env[ref.env]
    if (value === undefined || value === '') {
      throw new GamedayError('ERR_SCENARIO_SECRET_UNRESOLVED', `${where}: environment variable ${ref.env} is not set`, {
        hint: `export ${ref.env}=… before the run`,
      })
    }
  } else {
    try {
      value = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '')
    } catch (cause) {
      throw new GamedayError(
        'ERR_SCENARIO_SECRET_UNRESOLVED',
        `${where}: cannot read secret file ${JSON.stringify(ref.file)}`,
        { cause, hint: 'create the file or fix the path (relative to the working directory)' },
      )
    }
  }
  registerSecret(value)
  return value
}
