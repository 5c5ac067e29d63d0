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
    expect(md).toMatch(/\| M3 token validation failure rate .*\| `rate<0\.001` \| run \| 0\.078341 \| -0\.077341 \| 7834\.1% \| FAIL \|/)
    expect(md).toMatch(/\| M2 token endpoint latency p95 \| `p\(95\)<300ms` \| run \| \d+(\.\d)?ms \|/)
    expect(md).toContain('- jwks refresh latency (max over RSs) (`jwks-refresh-latency`): 8200ms')
    expect(md).toContain('- M3: RS did not refetch the key set after the new kid appeared')
    expect(md.split('\n').length).toBeLessThan(40)
  })

  it('adds the per-RS × attack table when jwt-attacks ran', async () => {
    const { record, verdict } = sampleRun()
    const obs = [
      { rs: 'orders', attack: 'alg-none', applicable: true, accepted: false, status: 401 },
      { rs: 'weak', attack: 'alg-none', applicable: true, accepted: true, status: 200 },
      { rs: 'orders', attack: 'jku-injection', applicable: true, accepted: false, status: 401, fetchedAttackerUrl: true },
      { rs: 'weak', attack: 'jku-injection', applicable: true, accepted: false, status: 500, robustness: 'server_error' },
      { rs: 'orders', attack: 'expired', applicable: false, accepted: false, status: 0 },
    ]
    record.probes.push({ index: 9, probe: 'jwt-attacks', name: 'JWT attacks accepted (all RSs)', status: 'ok', value: 2, unit: 'count', observations: obs, startedAt: 1000, endedAt: 2000 })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md).toContain('| attack | orders | weak |')
    expect(md).toContain('| alg-none | refused (401) | ACCEPTED (200) |')
    expect(md).toContain('| jku-injection | fetched attacker URL | server_error |')
    expect(md).toContain('| expired | n/a |  |')
  })

  it('says INTERRUPTED for an interrupted run', async () => {
    const { record, verdict } = sampleRun({ aborted: true })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md.split('\n')[0]).toBe('# ⚠️ INTERRUPTED — bad-key-rotation')
    expect(md).toContain('exit 105')
  })

  it('says ERRORED, never FAIL, for a run whose harness failed', async () => {
    const { record, verdict } = sampleRun({ status: 'errored', error: { code: 'ERR_COMPONENT_EXITED', message: 'mock-as exited (signal SIGKILL)' } })
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md.split('\n')[0]).toBe('# ⚠️ ERRORED — bad-key-rotation')
    expect(md).toContain('exit 103')
  })
})
