/**
 * Capacity search end to end: a real mock-as (child process) with an
 * injected per-request CPU cost (`PUT /_chaos/token-cost`), so its token
 * endpoint serves at most 1000/cost req/s on its one thread: the knee is
 * known in advance. `runCapacity` drives the runner against it as an
 * external AS and must find the highest rate with p95<300ms within 10% of it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCapacity } from '../../src/capacity.ts'

const COST_MS = 40
const ADMIN = 'capacity-test-admin-token-0123456789'
let runnerReady = true
try {
  const { runScenario } = await import('../../src/runner.ts')
  runnerReady = !/not implemented/.test(runScenario.toString())
} catch {
  runnerReady = false
}

// the knee is only known in advance when the AS gets its CPU: on a saturated machine (other suites running) skip outside CI
const saturated = loadavg()[0]! > cpus().length * 2
if (runnerReady && saturated && !process.env.CI)
  console.warn(
    `capacity e2e: skipped, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cpus makes the knee unknowable (runs in CI)`,
  )

async function startAs(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', 'as', '--admin-token', ADMIN], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mock-as did not print its url within 20s')), 20_000)
    lines.once('line', (l) => {
      clearTimeout(timer)
      resolve(l.trim())
    })
    child.once('exit', (code) => reject(new Error(`mock-as exited (${code})`)))
  })
  return { child, url }
}

async function token(url: string): Promise<void> {
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`,
    },
    body: 'grant_type=client_credentials&scope=orders%3Aread',
  })
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
}

describe.skipIf(!runnerReady || (saturated && !process.env.CI))(
  'capacity search against mock-as with a known per-request cost',
  () => {
    let as: { child: ChildProcess; url: string } | undefined
    let dir: string

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'capacity-'))
      as = await startAs()
      const res = await fetch(`${as.url}/_chaos/token-cost`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cpuMs: COST_MS }),
      })
      expect(res.status).toBe(200)
    })

    afterAll(async () => {
      if (as?.child.exitCode === null) {
        const exited = new Promise((r) => as!.child.once('exit', r))
        as.child.kill('SIGTERM')
        await exited
      }
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    it('finds the knee within 10% and writes capacity.json and capacity.html', { timeout: 420_000 }, async () => {
      // The knee is known in advance: each token request burns COST_MS of CPU on the AS's one thread, so
      // it cannot serve more than 1000/COST_MS req/s; just below that, queueing makes p95 explode.
      // (Sequential calibration overstates the service time by the client's round trip, so it is only logged.)
      const samples: number[] = []
      for (let i = 0; i < 15; i++) {
        const t = performance.now()
        await token(as!.url)
        samples.push(performance.now() - t)
      }
      samples.sort((a, b) => a - b)
      const serviceMs = samples[Math.floor(samples.length / 2)]!
      const expected = 1000 / COST_MS

      const path = join(dir, 'capacity.yaml')
      await writeFile(
        path,
        `id: capacity
title: token endpoint capacity under a known per-request cost
stack:
  authorizationServer:
    external:
      issuer: ${as!.url}
      clients:
        - { clientId: svc, clientSecret: { env: CAPACITY_SVC_SECRET }, grantTypes: [client_credentials], scopes: ['orders:read'], audience: 'https://api.example' }
load:
  duration: 9s
  warmup: 1s
  gracefulStop: 2s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 4, preAllocatedVUs: 40, maxVUs: 400, timeout: 5s, scope: 'orders:read' }
slos:
  - { id: M2, objective: 'p(95)<300ms' }
`,
      )
      process.env.CAPACITY_SVC_SECRET = 'svc-secret'
      const { result, dir: out } = await runCapacity(path, { maxRate: 256, budget: '3m', outDir: dir })

      const found = result.highestPassingRate
      console.info(
        `capacity: known knee ${expected.toFixed(1)} req/s (sequential service ${serviceMs.toFixed(1)}ms), found ${found} req/s in ${result.steps.length} steps, ${Math.round(result.elapsedMs / 1000)}s`,
      )
      for (const st of result.steps)
        console.info(
          `  ${st.phase} ${st.rate} req/s: ${st.pass ? 'pass' : `fail ${(st.failing ?? []).join(',')}`} p95=${st.p95Ms?.toFixed(1)}ms achieved=${st.achievedRate}`,
        )
      expect(found).not.toBeNull()
      expect(Math.abs(found! - expected) / expected).toBeLessThan(0.1)
      expect(result.firstFailingSlo).toBe('M2')
      expect(result.statement).toContain(`the token endpoint holds p(95)<300ms up to ${found} req/s`)
      expect(existsSync(join(out, 'capacity.html'))).toBe(true)
      const json = JSON.parse(await readFile(join(out, 'capacity.json'), 'utf8'))
      expect(json.steps.length).toBe(result.steps.length)
    })
  },
)
