import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// ajv comes with fastify; it checks the published file independently of TypeBox
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { isGamedayError } from '../errors.ts'
import { json, readRunJson } from './json.ts'
import { RunJsonSchema, runRecordSchemaText } from '../record/schema.ts'

const dir = mkdtempSync(join(tmpdir(), 'report-json-'))

function expectInvalid(fn: () => unknown, text: string) {
  try {
    fn()
    expect.unreachable()
  } catch (err) {
    expect(isGamedayError(err, 'ERR_RECORD_INVALID')).toBe(true)
    expect((err as Error).message).toContain(text)
  }
}

describe('json reporter', () => {
  it('writes run.json that validates against the published schema and reads back', async () => {
    const { record, verdict } = sampleRun()
    const [file] = await json.render(record, verdict)
    expect(file!.name).toBe('run.json')
    const parsed = JSON.parse(file!.content as string)
    expect(parsed.schemaVersion).toBe(2)
    expect(parsed.record.exitCode).toBe(verdict.exitCode)
    const published = JSON.parse(readFileSync(new URL('../../schema/run-record.schema.json', import.meta.url), 'utf8'))
    const ajv = new Ajv({ strict: false, allErrors: true })
    const validate = ajv.compile(published)
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true)
    const path = join(dir, 'run.json')
    writeFileSync(path, file!.content)
    const back = readRunJson(path)
    expect(back.verdict).toEqual(JSON.parse(JSON.stringify(verdict)))
    expect(back.record.load.series).toHaveLength(record.load.series.length)
  })

  it('keeps schema/run-record.schema.json in step with the TypeBox source', () => {
    const file = readFileSync(new URL('../../schema/run-record.schema.json', import.meta.url), 'utf8')
    expect(
      file,
      "run: npx tsx -e \"import('./src/record/schema.ts').then(m=>m.writeRunRecordSchema('schema/run-record.schema.json'))\"",
    ).toBe(runRecordSchemaText())
  })

  it('reads a version 1 run.json as version 2: failed becomes errored, aborted becomes interrupted, the exit code comes from the verdict', async () => {
    const { record, verdict } = sampleRun()
    const v2 = JSON.parse((await json.render(record, verdict))[0]!.content as string)
    const { exitCode: _dropped, ...recordV1 } = v2.record
    for (const [v1Status, v2Status] of [
      ['failed', 'errored'],
      ['aborted', 'interrupted'],
      ['completed', 'completed'],
    ]) {
      const path = join(dir, `v1-${v1Status}.json`)
      writeFileSync(
        path,
        JSON.stringify({
          schemaVersion: 1,
          record: { ...recordV1, schemaVersion: 1, status: v1Status },
          verdict: { ...v2.verdict, exitCode: 42 },
        }),
      )
      const back = readRunJson(path)
      expect(back.schemaVersion).toBe(2)
      expect(back.record).toMatchObject({ schemaVersion: 2, status: v2Status, exitCode: 42 })
    }
    // a version 1 file with a version 2 status is neither
    const path = join(dir, 'v1-errored.json')
    writeFileSync(
      path,
      JSON.stringify({
        schemaVersion: 1,
        record: { ...recordV1, schemaVersion: 1, status: 'errored' },
        verdict: v2.verdict,
      }),
    )
    expectInvalid(() => readRunJson(path), 'does not match')
  })

  it('refuses unreadable, non-JSON and off-schema files with ERR_RECORD_INVALID', async () => {
    expectInvalid(() => readRunJson(join(dir, 'missing.json')), 'cannot be read')
    const notJson = join(dir, 'bad.json')
    writeFileSync(notJson, '{ nope')
    expectInvalid(() => readRunJson(notJson), 'is not JSON')
    const { record, verdict } = sampleRun()
    const body = JSON.parse((await json.render(record, verdict))[0]!.content as string)
    body.record.status = 'exploded'
    const off = join(dir, 'off.json')
    writeFileSync(off, JSON.stringify(body))
    expectInvalid(() => readRunJson(off), '/record/status')
    body.record.status = 'completed'
    body.verdict.extra = 1
    writeFileSync(off, JSON.stringify(body))
    expectInvalid(() => readRunJson(off), 'does not match')
  })

  it('describes every part of the record', () => {
    expect(Object.keys(RunJsonSchema.properties.record.properties)).toContain('load')
  })
})
