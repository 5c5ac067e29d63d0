/**
 * The k6 engine with the real k6 binary: runs wherever k6 is on PATH (or
 * K6_PATH). k6 cannot be installed on every machine, so when it is missing
 * this suite says so plainly and skips — the script itself is still
 * type-checked against @types/k6 and the output parser tested on k6's
 * documented format (src/load/k6/*.test.ts).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findK6 } from '../../src/load/k6.ts'
import { runScenario } from '../../src/runner/run.ts'
import { loadScenario } from '../../src/scenario/load.ts'

const k6 = findK6()
if (!k6) console.warn('k6-live: the live k6 test did NOT run: no k6 binary on PATH and K6_PATH is not set')

describe.skipIf(!k6)('k6 engine with real k6', () => {
  const dirs: string[] = []
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))
  /** Write `yaml` to a fresh folder and run it with the k6 engine, reports beside it. */
  const runWithK6 = async (name: string, yaml: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'k6-live-'))
    dirs.push(dir)
    const path = join(dir, `${name}.yaml`)
    await writeFile(path, yaml)
    const { scenario } = await loadScenario(path)
    return runScenario(scenario, { engine: 'k6', outDir: join(dir, 'reports') })
  }

  it('runs a short scenario and yields the same metric families as the embedded engine', {
    timeout: 180_000,
  }, async () => {
    const { record, runDir } = await runWithK6(
      'k6-live',
      `id: k6-live
title: k6 live
stack:
  authorizationServer: {}
  resourceServers: [{ name: orders, profile: resilient }]
load:
  duration: 5s
  warmup: 1s
  gracefulStop: 2s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 10 }
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 10 }
slos: [{ id: M1 }, { id: M3 }]
`,
    )
    expect(record.status).toBe('completed')
    expect(record.engine.id).toBe('k6')
    expect(record.engine.version).toMatch(/^v\d/)
    const families = new Set(record.load.series.map((s) => s.metric))
    expect(families).toEqual(new Set(['oauth_token', 'rs_request']))
    const script = await readFile(join(runDir, 'k6', 'script.js'), 'utf8')
    expect(script).not.toContain('svc-secret')
  })

  it('signs private_key_jwt assertions with WebCrypto and logs in through PAR, holding M1 and M10', {
    timeout: 180_000,
  }, async () => {
    const { record, exitCode } = await runWithK6(
      'k6-pkj',
      `id: k6-pkj
title: k6 private_key_jwt and PAR
stack:
  authorizationServer:
    clients:
      - { clientId: svc-pkj, tokenEndpointAuthMethod: private_key_jwt, grantTypes: [client_credentials], scopes: [orders:read] }
      - clientId: web-pkj
        tokenEndpointAuthMethod: private_key_jwt
        grantTypes: [authorization_code]
        scopes: [orders:read]
        redirectUris: ['http://127.0.0.1:5173/cb']
  resourceServers: [{ name: orders, profile: resilient }]
load:
  duration: 5s
  warmup: 1s
  gracefulStop: 2s
  flows:
    - { flow: client-credentials, client: svc-pkj, executor: constant-arrival-rate, rate: 10 }
    - { flow: auth-code, client: web-pkj, par: true, assertionAudience: token-endpoint, executor: constant-arrival-rate, rate: 2 }
slos: [{ id: M1 }, { id: M10 }]
`,
    )
    expect(record.status).toBe('completed')
    expect(exitCode).toBe(0)
  })
})
