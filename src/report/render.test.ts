import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { json } from './json.ts'
import { renderReports, rerenderRunJson } from './render.ts'

describe('renderReports', () => {
  it('renders the chosen reporters and refuses an unknown id', async () => {
    const { record, verdict } = sampleRun()
    expect((await renderReports(record, verdict, ['markdown', 'junit'])).map((f) => f.name)).toEqual([
      'summary.md',
      'junit.xml',
    ])
    await expect(renderReports(record, verdict, ['pdf'])).rejects.toMatchObject({ code: 'ERR_UNKNOWN_UNIT' })
  })

  it('re-renders any format from a saved run.json', async () => {
    const { record, verdict } = sampleRun()
    const dir = mkdtempSync(join(tmpdir(), 'rerender-'))
    const path = join(dir, 'run.json')
    writeFileSync(path, (await json.render(record, verdict))[0]!.content)
    const written = await rerenderRunJson(path, ['markdown'])
    expect(written).toEqual([join(dir, 'summary.md')])
    expect(readFileSync(written[0]!, 'utf8')).toContain('# ❌ FAIL — bad-key-rotation')
  })
})
