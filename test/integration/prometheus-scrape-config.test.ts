/**
 * The scrape config of `run --prometheus`: every reference component the
 * stack runs is a target — the CDN and the fault proxy too, so rules on
 * cdn_* and proxy_* work — on the loopback ports the harness uses (the
 * containers runtime binds them on the host network), and the real promtool
 * accepts the generated prometheus.yml with its rule file.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { scrapeTargets } from '../../src/prometheus/game-day.ts'
import { prometheusConfig } from '../../src/prometheus/server.ts'
import { buildSloRules, renderSloRules } from '../../src/prometheus/slo-rules.ts'
import { gameDayWindows } from '../../src/prometheus/windows.ts'
import type { Targets } from '../../src/runtime/types.ts'
import { loadScenario } from '../../src/scenario/load.ts'
import { describeWithTool, requireTool } from '../helpers/require-tool.ts'

const control = {} as NonNullable<Targets['control']['as']>
const rsControl = {} as NonNullable<Targets['resourceServers'][number]['control']>
const stack = (withEdges: boolean): Pick<Targets, 'control' | 'issuer' | 'resourceServers' | 'componentUrls'> => ({
  issuer: 'http://127.0.0.1:41000',
  control: { as: control },
  resourceServers: [
    {
      name: 'orders',
      baseUrl: 'http://127.0.0.1:41001',
      apiUrl: 'http://127.0.0.1:41001/api/orders',
      scope: 'orders:read',
      audience: 'orders',
      external: false,
      control: rsControl,
    },
    {
      name: 'theirs',
      baseUrl: 'http://127.0.0.1:41009',
      apiUrl: 'http://127.0.0.1:41009/api',
      scope: 's',
      audience: 'a',
      external: true,
    },
  ],
  ...(withEdges ? { componentUrls: { cdn: 'http://127.0.0.1:41002', proxy: 'http://127.0.0.1:41003' } } : {}),
})

describe('scrapeTargets', () => {
  it('scrapes the AS, each reference RS, the CDN and the fault proxy, on their loopback ports', () => {
    expect(scrapeTargets(stack(true))).toEqual([
      { job: 'mock-as', url: 'http://127.0.0.1:41000' },
      { job: 'rs-orders', url: 'http://127.0.0.1:41001', labels: { rs: 'orders' } },
      { job: 'jwks-cdn', url: 'http://127.0.0.1:41002', labels: { component: 'jwks-cdn' } },
      { job: 'fault-proxy', url: 'http://127.0.0.1:41003', labels: { component: 'fault-proxy' } },
    ])
  })

  it('leaves out an external RS and the CDN and proxy a stack does not have', () => {
    expect(scrapeTargets(stack(false)).map((t) => t.job)).toEqual(['mock-as', 'rs-orders'])
  })

  it('writes one job per target at 1 s, metrics at /metrics', () => {
    const cfg = parse(prometheusConfig(scrapeTargets(stack(true)), 1, 'rules.yaml'))
    expect(cfg.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' })
    const cdn = cfg.scrape_configs.find((j: { job_name: string }) => j.job_name === 'jwks-cdn')
    expect(cdn).toEqual({
      job_name: 'jwks-cdn',
      scheme: 'http',
      metrics_path: '/metrics',
      static_configs: [{ targets: ['127.0.0.1:41002'], labels: { component: 'jwks-cdn' } }],
    })
  })
})

describeWithTool('promtool', 'the generated prometheus.yml in promtool', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-scrape-config-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('passes promtool check config, with the in-run rules of a CDN game day', async () => {
    const { scenario } = await loadScenario('scenarios/stale-jwks-cdn.yaml', { skipSecrets: true })
    const windows = gameDayWindows(52, 1)
    const rules = buildSloRules(scenario, { periodSeconds: 52, windows })
    await writeFile(join(dir, 'rules.yaml'), renderSloRules(scenario.id, rules))
    await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(scrapeTargets(stack(true)), 1, 'rules.yaml'))
    const promtool = requireTool('promtool').command![0]!
    const result = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(promtool, ['check', 'config', join(dir, 'prometheus.yml')], (err, stdout, stderr) =>
        resolve({ code: typeof err?.code === 'number' ? err.code : err ? -1 : 0, out: `${stdout}${stderr}` }),
      ),
    )
    expect(result.out).toContain('SUCCESS')
    expect(result.code, result.out).toBe(0)
  })
})
