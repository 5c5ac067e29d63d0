/**
 * Golden files of one whole run: a short clock-skew game day on the fake
 * stack and engine (test/helpers/fake-stack.ts), seeded, whose run.json and
 * reports are compared with the files in test/fixtures/golden/ once wall-clock
 * times, the run id and the host are masked. A refactor of the runner or the
 * record must reproduce them; update them (`npx vitest run test/golden -u`)
 * only for a change meant to be seen, and say so in the commit.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/log.ts'
import { runScenario, type RunOutcome } from '../../src/runner/run.ts'
import { loadScenario } from '../../src/scenario/load.ts'
import { fakeEngine, fakeRuntime } from '../helpers/fake-stack.ts'

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden')

/** Keys whose numbers (or ISO strings) are wall-clock times. */
const TIME_KEYS = new Set(['t', 'start', 'end', 'injectedAt', 'revertedAt', 'startedAt', 'endedAt', 't0', 'time'])
/** Keys whose `[from, to]` pairs are windows in wall-clock ms. */
const WINDOW_KEYS = new Set(['windowMs', 'steadyState', 'fault', 'recovery'])

/** The run record with wall-clock values masked (`<time>`, `<window>`), keeping which ones were set. */
function maskRunJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskRunJson)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (k === 'runId') out[k] = '<run-id>'
      else if (k === 'environment') out[k] = '<environment>'
      else if (TIME_KEYS.has(k) && (typeof v === 'number' || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v))))
        out[k] = '<time>'
      else if (WINDOW_KEYS.has(k) && Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number'))
        out[k] = '<window>'
      else out[k] = maskRunJson(v)
    }
    return out
  }
  // the fake stack listens on a free port
  if (typeof value === 'string') return value.replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://127.0.0.1:<port>')
  return value
}

/** A text report with times, durations in ms, the run id and the host masked. */
function maskText(text: string, outcome: RunOutcome): string {
  return text
    .replaceAll(outcome.record.runId, '<run-id>')
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://127.0.0.1:<port>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g, '<iso-time>')
    .replace(/\bv\d+\.\d+\.\d+\b/g, '<node>')
    .replace(/\b(linux|darwin|win32)-\w+\b/g, '<platform>')
    .replace(/"t0":\d+/g, '"t0":<time>')
    .replace(/time="[\d.]+"/g, 'time="<s>"')
    .replace(/\b\d+(\.\d+)?\s?(ms|s)\b/g, '<dur>')
}

describe('golden run', () => {
  let dir: string
  let outcome: RunOutcome
  const runtime = fakeRuntime()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-golden-'))
    const { scenario } = await loadScenario(join(GOLDEN, 'clock-skew-short.yaml'))
    outcome = await runScenario(scenario, {
      engine: fakeEngine(),
      runtime,
      outDir: dir,
      seed: 7,
      log: createLogger({ name: 'golden', level: 'silent' }),
    })
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('injects and reverts the fault through the AS control, and stops the stack once', () => {
    expect(runtime.as.calls).toEqual([
      { method: 'setClockOffset', args: [15] },
      { method: 'setClockOffset', args: [0] },
    ])
    expect(runtime.stops).toBe(1)
  })

  it('writes the run.json of the golden file', async () => {
    const body = JSON.parse(await readFile(join(outcome.runDir, 'run.json'), 'utf8')) as {
      record: { events: Array<{ t: number }> }
    }
    const times = body.record.events.map((e) => e.t)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    // events of the same millisecond come in either order; the golden file holds them sorted by content
    body.record.events.sort((a, b) => (JSON.stringify({ ...a, t: 0 }) < JSON.stringify({ ...b, t: 0 }) ? -1 : 1))
    await expect(`${JSON.stringify(maskRunJson(body), null, 2)}\n`).toMatchFileSnapshot(join(GOLDEN, 'run.json'))
  })

  it.each(['summary.md', 'junit.xml'])('writes the %s of the golden file', async (name) => {
    const text = await readFile(join(outcome.runDir, name), 'utf8')
    await expect(maskText(text, outcome)).toMatchFileSnapshot(join(GOLDEN, name))
  })

  it('writes an HTML report that names the scenario, the fault and every SLO', async () => {
    const html = await readFile(join(outcome.runDir, 'report.html'), 'utf8')
    for (const s of ['clock-skew-short', 'clock-skew', 'M1', 'M3', 'not_yet_valid']) expect(html).toContain(s)
  })

  it('returns the exit code of a broken SLO', () => {
    expect(outcome.verdict.pass).toBe(false)
    expect(outcome.exitCode).toBe(99)
    expect(outcome.record.exitCode).toBe(99)
    expect(outcome.verdict.exitCode).toBe(99)
  })
})
