import { describe, expect, it } from 'vitest'
import { sampleRun } from '../../test/fixtures/records/sample.ts'
import { markdown } from './markdown.ts'

describe('markdown reporter', () => {
  it('writes a short summary: verdict, SLO table, probes and why it broke', async () => {
    const { record, verdict } = sampleRun()
    const [file] = await markdown.render(record, verdict)
    const md = file!.content as string
    expect(file!.name).toBe('summary.md')
    expect(md.split('\n')[0]).toBe('# ❌ FAIL — bad-key-rotation')
    expect(md).toContain('| SLO | objective | window | measured | margin | budget | status |')
    expect(md).toMatch(
      /\| M3 token validation failure rate .*\| `rate<0\.001` \| run \| 0\.078341 \| -0\.077341 \| 7834\.1% \| FAIL \|/,
    )
    expect(md).toMatch(/\| M2 token endpoint latency p95 \| `p\(95\)<300ms` \| run \| \d+(\.\d)?ms \|/)
    expect(md).toContain('- jwks refresh latency (max over RSs) (`jwks-refresh-latency`): 8200ms')
    expect(md).toContain('- M3: RS did not refetch the key set after the new kid appeared')
    expect(md.split('\n').length).toBeLessThan(40)
  })

  it('says ABORTED for an aborted run', async () => {
    const { record, verdict } = sampleRun({ aborted: true })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md.split('\n')[0]).toBe('# ⚠️ ABORTED — bad-key-rotation')
    expect(md).toContain('exit 105')
  })
})
