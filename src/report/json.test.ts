import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// ajv comes with fastify; it checks the published file independently of TypeBox
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { isGamedayError } from '../errors.ts'
import { json, readRunJson } from './json.ts'
import { RunJsonSchema, runRecordSchemaText } from './record-schema.ts'

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
    expect(parsed.schemaVersion).toBe(1)
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
      "run: npx tsx -e \"import('./src/report/record-schema.ts').then(m=>m.writeRunRecordSchema('schema/run-record.schema.json'))\"",
    ).toBe(runRecordSchemaText())
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
