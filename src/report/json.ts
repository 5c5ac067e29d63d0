/**
 * `json` — `run.json`: the whole RunRecord and the Verdict under a
 * `schemaVersion`, valid against `schema/run-record.schema.json`. It is the
 * nightly artefact other runs are compared with, and every other format can
 * be re-rendered from it (`oauth-gameday report run.json --format html`).
 */
import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { GamedayError } from '../errors.ts'
import type { RunRecord } from '../record.ts'
import type { Verdict } from '../slo/types.ts'
import { maskSecrets } from '../util/secrets.ts'
import { RunJsonSchema } from './record-schema.ts'
import type { ReporterDefinition } from './types.ts'

/** What `run.json` holds. */
export interface RunJsonFile {
  schemaVersion: 1
  record: RunRecord
  verdict: Verdict
}

export const json: ReporterDefinition = {
  id: 'json',
  summary: 'run.json: the whole record and verdict, valid against schema/run-record.schema.json',
  render(record, verdict) {
    const body: RunJsonFile = { schemaVersion: 1, record, verdict }
    return [{ name: 'run.json', content: maskSecrets(`${JSON.stringify(body, null, 2)}\n`) }]
  },
}

/**
 * Check a parsed value against the run.json schema.
 *
 * @throws GamedayError ERR_RECORD_INVALID listing the first problems
 */
export function parseRunJson(value: unknown, source = 'run.json'): RunJsonFile {
  if (Value.Check(RunJsonSchema, value)) return value as unknown as RunJsonFile
  const errors = [...Value.Errors(RunJsonSchema, value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`)
  throw new GamedayError(
    'ERR_RECORD_INVALID',
    `${source}: does not match the run record schema (${errors[0] ?? 'invalid'})`,
    { details: errors },
  )
}

/**
 * Read and validate a `run.json`.
 *
 * @example const { record, verdict } = readRunJson('reports/baseline/run-1/run.json')
 * @throws GamedayError ERR_RECORD_INVALID when the file is unreadable, not JSON, or off-schema
 */
export function readRunJson(path: string): RunJsonFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new GamedayError('ERR_RECORD_INVALID', `${path}: cannot be read`, { cause })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new GamedayError('ERR_RECORD_INVALID', `${path}: is not JSON`, { cause })
  }
  return parseRunJson(value, path)
}
