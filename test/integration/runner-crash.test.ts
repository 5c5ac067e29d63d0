/**
 * Crash detection on the process runtime, with real components: a harness
 * component killed (SIGKILL) in the middle of a run ends the run at once as
 * `errored` with exit 103 and a `component.exited` event naming it, never as
 * an SLO breach (the AS, an RS, the CDN, the fault proxy); every report is
 * written, the dead component's log kept, and nothing is left running.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunRecord } from '../../src/record/index.ts'
import { runScenario } from '../../src/runner/run.ts'
import { processRuntime } from '../../src/runtime/process.ts'
import type { RuntimeDefinition, StartedStack } from '../../src/runtime/types.ts'
import { loadScenario } from '../../src/scenario/load.ts'
import type { Verdict } from '../../src/slo/types.ts'

const SCENARIO = `id: runner-crash
title: a harness component dies mid-run
description: the load would run 30 s; a component is killed after about 2 s
stack:
  authorizationServer: {}
  jwksCdn: {}
  faultProxy: {}
  resourceServers:
    - { name: orders, profile: resilient }
load:
  duration: 30s
  warmup: 1s
  gracefulStop: 1s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 10 }
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 20 }
steadyState: [M1]
timeline:
  - { at: 20s, fault: clock-skew, params: { side: as, offsetSeconds: 5 }, duration: 5s }
slos:
  - { id: M1 }
  - { id: M3 }
`

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('crash detection', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-crash-'))
    await writeFile(join(dir, 'runner-crash.yaml'), SCENARIO)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it.each(['as', 'rs-orders', 'jwks-cdn', 'fault-proxy'])(
    'ends the run as errored (exit 103) when %s is killed mid-run',
    { timeout: 120_000 },
    async (victim) => {
      const { scenario } = await loadScenario(join(dir, 'runner-crash.yaml'))
      let stack: StartedStack | undefined
      // the process runtime itself, remembered so the test can find the child to kill
      const runtime: RuntimeDefinition = {
        ...processRuntime,
        start: async (...args) => (stack = await processRuntime.start(...args)),
      }
      let killed: { pid: number; at: number } | undefined
      const started = Date.now()
      const { record, verdict, runDir, exitCode } = await runScenario(scenario, {
        runtime,
        outDir: join(dir, victim),
        seed: 3,
        onProgress: (p) => {
          if (killed || p.elapsedMs < 2000) return
          const pid = stack?.components?.().find((c) => c.component === victim)?.pid
          expect(pid, `${victim} has a pid`).toBeTypeOf('number')
          process.kill(pid!, 'SIGKILL')
          killed = { pid: pid!, at: Date.now() }
        },
      })
      expect(killed, 'the component was killed').toBeDefined()
      // ended promptly: long before the 30 s of load, within a few seconds of the kill
      expect(Date.now() - killed!.at).toBeLessThan(10_000)
      expect(Date.now() - started).toBeLessThan(25_000)

      expect(exitCode).toBe(103)
      expect(record.status).toBe('errored')
      expect(record.error).toMatchObject({ code: 'ERR_COMPONENT_EXITED' })
      expect(record.error!.message).toContain(`component ${victim} (pid ${killed!.pid}) exited on SIGKILL`)
      // its own hint, not its code's generic one: the log to read
      expect(record.error!.hint).toContain(`logs/${victim}.log`)
      const exited = record.events.filter((e) => e.type === 'component.exited')
      expect(exited).toHaveLength(1)
      expect(exited[0]!.data).toEqual({ component: victim, pid: killed!.pid, code: null, signal: 'SIGKILL' })
      expect(record.faults, 'the fault at 20 s never came').toEqual([])
      expect(verdict.pass).toBe(false)

      // the written record says the same as the process
      const json = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as {
        record: RunRecord
        verdict: Verdict
      }
      expect(json.record.status).toBe('errored')
      expect(json.record.exitCode).toBe(103)
      expect(json.verdict.exitCode).toBe(103)
      for (const f of ['summary.md', 'junit.xml', 'report.html']) expect(existsSync(join(runDir, f)), f).toBe(true)
      const summary = await readFile(join(runDir, 'summary.md'), 'utf8')
      expect(summary.split('\n')[0]).toBe('# ⚠️ ERRORED — runner-crash')
      expect(summary).toContain('exit 103')
      expect(existsSync(join(runDir, 'logs', `${victim}.log`)), 'the component logs are kept').toBe(true)

      // nothing left running
      for (const c of stack!.components!()) expect(alive(c.pid!), c.component).toBe(false)
      expect(await portClosed(record.targets.issuer)).toBe(true)
      for (const rs of record.targets.resourceServers) expect(await portClosed(rs.url)).toBe(true)
    },
  )
})
