/**
 * `compare` and `report` from the built CLI on folders of recorded runs, as a
 * nightly job would call them: the newest runs picked from a folder, plans
 * that differ warned about (refused with --strict), removed SLOs shown, and
 * `report` succeeding (exit 0) on a failed run unless --exit-code.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reporters } from '../../src/report/index.ts'
import type { SloEntry } from '../../src/scenario/schema.ts'
import { scoreRun } from '../../src/slo/score.ts'
import { buildRecord } from '../fixtures/records/build.ts'

const BIN = 'dist/cli.js'
let reports = ''

/** Write one run's run.json as `run` would: reports/<scenario>/<run-id>/run.json. */
async function writeRun(
  scenarioId: string,
  runId: string,
  opts: { p95Ms: number; slos: SloEntry[]; rsProfile?: string },
) {
  const record = buildRecord({
    runId,
    scenarioId,
    scenario: {
      id: scenarioId,
      title: scenarioId,
      stack: { resourceServers: [{ name: 'rs1', profile: opts.rsProfile ?? 'resilient' }] },
      load: { flows: [] },
      slos: opts.slos,
    },
    series: [
      { metric: 'oauth_token', rate: 100, latencyMs: (_s, i) => (i < 90 ? 10 : opts.p95Ms) },
      { metric: 'rs_request', rate: 100 },
    ],
  })
  const verdict = scoreRun(record, opts.slos, [])
  const dir = join(reports, scenarioId, runId)
  mkdirSync(dir, { recursive: true })
  for (const f of await reporters.json!.render(record, verdict)) writeFileSync(join(dir, f.name), f.content)
  return join(dir, 'run.json')
}

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 })

beforeAll(async () => {
  reports = mkdtempSync(join(tmpdir(), 'cli-compare-'))
  const slos: SloEntry[] = [{ id: 'M1' }, { id: 'M2', objective: 'p(95)<300ms' }, { id: 'M3' }]
  await writeRun('nightly', '20261201T010000Z-aaaaaa', { p95Ms: 100, slos })
  await writeRun('nightly', '20261202T010000Z-bbbbbb', { p95Ms: 100, slos })
  await writeRun('nightly', '20261203T010000Z-cccccc', {
    p95Ms: 500,
    slos: [{ id: 'M1' }, { id: 'M2', objective: 'p(95)<300ms' }],
  })
  await writeRun('other', '20261203T020000Z-dddddd', { p95Ms: 100, slos, rsProfile: 'jose-defaults' })
})
afterAll(() => rmSync(reports, { recursive: true, force: true }))

describe('cli compare on folders of runs', () => {
  it('compares the last two runs of a folder: the regression, exit 99, and the SLO no longer scored', () => {
    const r = cli('compare', join(reports, 'nightly'))
    expect(r.status, r.stderr).toBe(99)
    expect(r.stderr).toContain('20261202T010000Z-bbbbbb/run.json → ')
    expect(r.stderr).toContain('20261203T010000Z-cccccc/run.json')
    expect(r.stdout).toMatch(/regressed:\n {2}- M2 /)
    expect(r.stdout).toMatch(/removed:\n {2}x M3 .*no longer scored/)
    const md = cli('compare', join(reports, 'nightly'), '--format', 'markdown')
    expect(md.stdout).toMatch(/\| M3 .*\| removed \|/)
  })

  it('--latest 3 compares the oldest of the three newest with the newest', () => {
    const r = cli('compare', join(reports, 'nightly'), '--latest', '3', '--format', 'json')
    const result = JSON.parse(r.stdout) as { oldRun: { runId: string }; newRun: { runId: string } }
    expect(result.oldRun.runId).toBe('20261201T010000Z-aaaaaa')
    expect(result.newRun.runId).toBe('20261203T010000Z-cccccc')
  })

  it('warns when the runs did not run the same plan, and refuses them with --strict (ERR_COMPARE_MISMATCH, 104)', () => {
    const older = join(reports, 'nightly', '20261202T010000Z-bbbbbb', 'run.json')
    const warned = cli('compare', older, join(reports, 'other'))
    expect(warned.status, warned.stderr).toBe(0)
    expect(warned.stdout).toContain('warning: different scenarios: "nightly" then "other"')
    expect(warned.stdout).toContain('warning: different stacks')
    const strict = cli('compare', older, join(reports, 'other'), '--strict')
    expect(strict.status).toBe(104)
    expect(strict.stderr).toContain('error ERR_COMPARE_MISMATCH:')
    expect(strict.stderr).toContain('different scenarios')
  })

  it('refuses a folder with fewer than two runs, or none, with ERR_RUN_NOT_FOUND', () => {
    const one = cli('compare', join(reports, 'other'))
    expect(one.status).toBe(104)
    expect(one.stderr).toMatch(/ERR_RUN_NOT_FOUND: .*holds one run only/)
    const none = cli('compare', join(reports, 'missing'))
    expect(none.status).toBe(104)
    expect(none.stderr).toContain('ERR_RUN_NOT_FOUND')
  })
})

describe('cli report on a recorded run', () => {
  it('exits 0 once a failed run is rendered again, and 99 with --exit-code', () => {
    const folder = join(reports, 'nightly', '20261203T010000Z-cccccc')
    const out = join(reports, 'rendered')
    const r = cli('report', folder, '--format', 'markdown,junit', '--out', out)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(join(out, 'summary.md'))
    const mirrored = cli('report', join(folder, 'run.json'), '--out', out, '--exit-code')
    expect(mirrored.status).toBe(99)
  })
})
