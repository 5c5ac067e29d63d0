import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

const BIN = 'dist/cli.js'

// each child is a Node process loading the CLI; on a busy 2-core machine that alone can take seconds
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 })
const FIX = 'test/fixtures/scenarios'

interface Result {
  code: number
  stdout: string
  stderr: string
}

/** Run the real CLI; never throws on a non-zero exit. */
function spawnCli(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(
      'node',
      [BIN, ...args],
      { timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err)
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr })
      },
    )
  })
}

// Each child pays the CLI's start-up: run at most three at once and
// start them all up front, so the file takes the time of a few, not the sum.
const POOL = 3
let running = 0
const queue: Array<() => void> = []
const memo = new Map<string, Promise<Result>>()
function cli(...args: string[]): Promise<Result> {
  const key = JSON.stringify(args)
  let p = memo.get(key)
  if (!p) {
    const start = (go: () => void) => {
      running++
      go()
    }
    p = new Promise<void>((go) => {
      if (running < POOL) start(go)
      else queue.push(() => start(go))
    })
      .then(() => spawnCli(args))
      .finally(() => {
        running--
        queue.shift()?.()
      })
    memo.set(key, p)
  }
  return p
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/)

let dir: string
const BROKEN = () => join(dir, 'broken.yaml')
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gameday-cli-'))
  await writeFile(BROKEN(), 'id: broken\ntitle: t\nload:\n  flows: [ { flow: x }\n')
  for (const args of CALLS()) void cli(...args).catch(() => {})
})
afterAll(async () => {
  await Promise.allSettled(memo.values())
  await rm(dir, { recursive: true, force: true })
})

/** Every invocation this file makes, started together in beforeAll. */
const CALLS = (): string[][] => [
  ['validate', `${FIX}/valid`],
  [
    'validate',
    `${FIX}/invalid/unknown-key-duraton.yaml`,
    `${FIX}/invalid/bare-number-duration.yaml`,
    `${FIX}/valid/minimal.yaml`,
  ],
  ['validate', BROKEN()],
  ['run', '--quiet', `${FIX}/invalid/fault-after-load-ends.yaml`],
  ['run', '--engin', 'k6'],
  ['valdate'],
  ['run', '--engine', 'jmeter'],
  ['report', `${FIX}/valid/minimal.yaml`],
  ['list', 'faults'],
  ['list', 'slos'],
  ['list', 'fault'],
  ['plan', `${FIX}/valid/full.yaml`],
]

describe('cli validate', () => {
  it('accepts every valid fixture with exit 0', async () => {
    const r = await cli('validate', `${FIX}/valid`)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`ok  ${FIX}/valid/minimal.yaml`)
    expect(r.stdout).toContain(`ok  ${FIX}/valid/full.yaml`)
  })

  it('lists every error of every invalid file with file:line:col and exits 104, no stack', async () => {
    const r = await cli(
      'validate',
      `${FIX}/invalid/unknown-key-duraton.yaml`,
      `${FIX}/invalid/bare-number-duration.yaml`,
      `${FIX}/valid/minimal.yaml`,
    )
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('error ERR_SCENARIO_INVALID:')
    expect(r.stderr).toContain(
      `${FIX}/invalid/unknown-key-duraton.yaml:7:3 load.duraton: unknown key; did you mean "duration"?`,
    )
    expect(r.stderr).toContain(
      `${FIX}/invalid/bare-number-duration.yaml:6:13 load.duration: must be a duration like 15s (got 90)`,
    )
    expect(r.stderr).toContain(`${FIX}/invalid/bare-number-duration.yaml:8:87 load.flows[0].timeUnit:`)
    expect(r.stderr).toContain('hint: ')
    expect(r.stderr).toContain('2 of 3 scenarios invalid')
    expect(r.stdout).toContain(`ok  ${FIX}/valid/minimal.yaml`)
    noStack(r.stderr)
  })

  it('reports YAML syntax errors as ERR_SCENARIO_PARSE with a position', async () => {
    const file = BROKEN()
    const r = await cli('validate', file)
    expect(r.code).toBe(104)
    expect(r.stderr).toMatch(
      new RegExp(`error ERR_SCENARIO_PARSE: .*\\n  ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ `),
    )
    noStack(r.stderr)
  })

  it('refuses a run of an invalid scenario before anything starts, exit 104', async () => {
    const r = await cli('run', '--quiet', `${FIX}/invalid/fault-after-load-ends.yaml`)
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('fault-after-load-ends.yaml:11:11 timeline[1].at:')
    noStack(r.stderr)
  })
})

describe('cli usage errors', () => {
  it('names the closest flag for an unknown flag, exit 104', async () => {
    const r = await cli('run', '--engin', 'k6')
    expect(r.code).toBe(104)
    expect(r.stderr).toContain("error ERR_CLI_USAGE: unknown option '--engin'")
    expect(r.stderr).toContain('did you mean --engine?')
    noStack(r.stderr)
  })

  it('names the closest command for an unknown command, and refuses a bad choice', async () => {
    const [a, b] = await Promise.all([cli('valdate'), cli('run', '--engine', 'jmeter')])
    expect(a.code).toBe(104)
    expect(a.stderr).toContain('did you mean validate?')
    expect(b.code).toBe(104)
    expect(b.stderr).toContain('Allowed choices are embedded, k6')
  })

  it('refuses a run.json that is not a run record with ERR_RECORD_INVALID', async () => {
    const r = await cli('report', `${FIX}/valid/minimal.yaml`)
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('error ERR_RECORD_INVALID:')
    noStack(r.stderr)
  })
})

describe('cli list and plan', () => {
  it('prints the fault and SLO tables', async () => {
    const [faults, slos] = await Promise.all([cli('list', 'faults'), cli('list', 'slos')])
    expect(faults.code).toBe(0)
    expect(faults.stdout.split('\n')[0]).toMatch(/^id\s+default duration\s+params \(default\)\s+summary$/)
    // every fault's parameters with their defaults, from its schema
    expect(faults.stdout).toMatch(/\nbad-key-rotation\s+30s\s+\S*mode=sign-before-publish/)
    expect(slos.code).toBe(0)
    expect(slos.stdout.split('\n')[0]).toMatch(/^id\s+objective\s+window\s+severity\s+title$/)
  })

  it('refuses an unknown kind with a suggestion', async () => {
    const r = await cli('list', 'fault')
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('did you mean "faults"?')
  })

  it('prints the timeline, flows and SLOs of a scenario', async () => {
    const r = await cli('plan', `${FIX}/valid/full.yaml`)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('full: Every section of the format')
    expect(r.stdout).toMatch(/client-credentials\s+constant-arrival-rate\s+50\/1s\s+\+0s\.\.\+1m30s/)
    expect(r.stdout).toMatch(/api-call\s+→ orders\s+ramping-arrival-rate\s+0 → 100 over 30s → 100 over 60s \/1s/)
    expect(r.stdout).toMatch(/timeline:\n\s+\+0s\s+load starts\n\s+\+10s\s+warm-up ends\n\s+\+1m30s\s+load ends/)
    expect(r.stdout).toMatch(/M2\s+p\(95\)<300ms\s+window run/)
    expect(r.stdout).toContain('steady state: M1, M3 must hold')
  })
})
