/**
 * The runner end to end on the process runtime: a short scenario with a
 * fault, its journal and reports; an abort in the middle of a fault (library
 * and CLI Ctrl-C) that still writes an aborted report and leaves no process
 * and no open port behind.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunRecord } from '../../src/record.ts'
import { type RunProgress, runScenario } from '../../src/runner.ts'
import { loadScenario } from '../../src/scenario/load.ts'

const SCENARIO = `id: runner-smoke
title: runner smoke test
description: a short run with one fault, for the runner's own tests
stack:
  authorizationServer: {}
  resourceServers:
    - { name: orders, profile: resilient }
load:
  duration: DURATION
  warmup: 1s
  gracefulStop: 1s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 10 }
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 20 }
steadyState: [M1]
timeline:
  - { at: 2s, fault: clock-skew, params: { side: as, offsetSeconds: 5 }, duration: FAULT }
  - { at: 2s, probe: pkce-enforcement }
slos:
  - { id: M1 }
  - { id: M3 }
`

async function writeScenario(dir: string, duration: string, fault: string): Promise<string> {
  const path = join(dir, 'runner-smoke.yaml')
  await writeFile(path, SCENARIO.replace('DURATION', duration).replace('FAULT', fault))
  return path
}

/** True when nothing accepts connections on the URL's port any more. */
async function portClosed(url: string): Promise<boolean> {
  const u = new URL(url)
  return await new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port) })
    s.once('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(true))
  })
}

function childrenOf(pid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('runtime/child.ts'))
  } catch {
    return []
  }
}

describe('runScenario on the process runtime', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runner-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('runs every phase, reverts the fault and writes the reports', { timeout: 180_000 }, async () => {
    const { scenario } = await loadScenario(await writeScenario(dir, '6s', '2s'))
    const out = join(dir, 'reports')
    const progress: RunProgress[] = []
    const { record, verdict, runDir, exitCode } = await runScenario(scenario, {
      outDir: out,
      seed: 7,
      onProgress: (p) => progress.push(p),
    })

    expect(record.status).toBe('completed')
    expect(record.phases.map((p) => p.name)).toEqual([
      'preflight',
      'warmup',
      'steady-state-before',
      'method',
      'recovery',
      'steady-state-after',
      'score',
      'report',
    ])
    expect(record.faults).toHaveLength(1)
    expect(record.faults[0]).toMatchObject({ fault: 'clock-skew', status: 'reverted' })
    expect(record.faults[0]!.revertedAt! - record.faults[0]!.injectedAt).toBeGreaterThanOrEqual(1500)
    expect(record.events.some((e) => e.source === 'mock-as' && e.type === 'chaos.changed')).toBe(true)
    expect(record.probes.map((p) => p.probe)).toEqual(['pkce-enforcement'])
    expect(record.load.series.some((s) => s.metric === 'oauth_token')).toBe(true)
    expect(record.load.series.some((s) => s.metric === 'rs_request' && !s.failed)).toBe(true)
    expect(record.windows.fault).toBeDefined()
    expect(record.windows.recovery).toBeDefined()
    // the live SLO status: every scenario SLO, known once traffic after the warm-up was scored
    expect(Object.keys(progress.at(-1)!.slos)).toEqual(['M1', 'M3'])
    expect(progress[0]!.slos).toEqual({ M1: null, M3: null })
    expect(progress.some((p) => p.slos.M1 !== null)).toBe(true)
    expect(exitCode).toBe(verdict.pass ? 0 : 99)
    for (const f of ['run.json', 'summary.md', 'junit.xml', 'report.html'])
      expect(existsSync(join(runDir, f)), f).toBe(true)
    const json = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { record: RunRecord }
    expect(json.record.runId).toBe(record.runId)
    expect(await portClosed(record.targets.issuer)).toBe(true)
    expect(childrenOf(process.pid)).toEqual([])
  })

  it('reverts the active fault and writes an aborted report when aborted mid-fault', { timeout: 180_000 }, async () => {
    const { scenario } = await loadScenario(await writeScenario(dir, '20s', '15s'))
    const out = join(dir, 'aborted')
    const controller = new AbortController()
    const started = Date.now()
    const run = runScenario(scenario, {
      outDir: out,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.activeFaults.length > 0 && !controller.signal.aborted) controller.abort()
      },
    })
    const { record, runDir, exitCode } = await run
    expect(exitCode).toBe(105)
    expect(record.status).toBe('aborted')
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(record.faults[0]).toMatchObject({ fault: 'clock-skew', status: 'reverted' })
    const json = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { record: RunRecord }
    expect(json.record.status).toBe('aborted')
    expect(await portClosed(record.targets.issuer)).toBe(true)
    for (const rs of record.targets.resourceServers) expect(await portClosed(rs.url)).toBe(true)
    expect(childrenOf(process.pid)).toEqual([])
  })

  it('exits 105 on Ctrl-C from the CLI and leaves nothing running', { timeout: 180_000 }, async () => {
    const path = await writeScenario(dir, '20s', '15s')
    const out = join(dir, 'cli')
    const cli = spawn(process.execPath, ['dist/cli.js', 'run', path, '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1' },
    })
    let stderr = ''
    let stdout = ''
    cli.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    const sent = new Promise<void>((resolve) => {
      cli.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d
        if (stderr.includes('fault.injected') && !cli.killed) {
          cli.kill('SIGINT')
          resolve()
        }
      })
    })
    const code = await new Promise<number | null>((resolve) => cli.once('exit', (c) => resolve(c)))
    await sent
    expect(code).toBe(105)
    const runDir = stdout.trim().split('\n').at(-1)!
    const json = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { record: RunRecord }
    expect(json.record.status).toBe('aborted')
    expect(json.record.faults[0]?.status).toBe('reverted')
    expect(await portClosed(json.record.targets.issuer)).toBe(true)
    for (const rs of json.record.targets.resourceServers) expect(await portClosed(rs.url)).toBe(true)
  })
})
