/**
 * docker-compose.yml as docker-compose itself reads it (`config` resolves
 * anchors, variables and profiles), plus the rules the stack depends on:
 * host networking on loopback only, a healthcheck on every reference service,
 * every image tag pinned once, and a Prometheus job for every port.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { describeWithTool, requireTool } from '../helpers/require-tool.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml')
const REFERENCE = ['as', 'rs-jwt', 'rs-introspection', 'jwks-cdn', 'fault-proxy']

interface Service {
  image?: string
  command?: string[]
  network_mode?: string
  healthcheck?: { test?: string[] }
  profiles?: string[]
  depends_on?: Record<string, { condition?: string }>
}

const results = new Map<string, { status: number | null; stdout: string; stderr: string }>()

/** `docker-compose config` (cached: each call costs a Python start-up). */
function composeConfig(
  profiles: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const key = JSON.stringify([profiles, env])
  const hit = results.get(key)
  if (hit) return hit
  const cmd = requireTool('docker-compose').command ?? ['docker-compose']
  const args = [...cmd.slice(1), '-f', COMPOSE_FILE, ...profiles.flatMap((p) => ['--profile', p]), 'config']
  // A clean environment: the file's own defaults must be complete.
  const r = spawnSync(cmd[0]!, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  })
  const result = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
  results.set(key, result)
  return result
}

function portOf(s: Service): number {
  const cmd = s.command ?? []
  const i = cmd.indexOf('--port')
  return Number(cmd[i + 1])
}

describeWithTool('docker-compose', 'docker-compose.yml', () => {
  it('is accepted by docker-compose config, with and without profiles', () => {
    for (const profiles of [[], ['observability', 'k6']]) {
      const r = composeConfig(profiles)
      expect(r.stderr, `profiles ${profiles.join(',') || '(none)'}`).not.toMatch(/ERROR|invalid/i)
      expect(r.status, r.stderr).toBe(0)
    }
  })

  it('starts the reference stack by default and the extras only behind their profiles', () => {
    const { services } = parse(composeConfig(['observability', 'k6']).stdout) as { services: Record<string, Service> }
    const always = Object.entries(services)
      .filter(([, s]) => !s.profiles?.length)
      .map(([n]) => n)
    expect(always.sort()).toEqual([...REFERENCE].sort())
    expect(services.prometheus?.profiles).toEqual(['observability'])
    expect(services.grafana?.profiles).toEqual(['observability'])
    expect(services.k6?.profiles).toEqual(['k6'])
  })

  it('runs every service on the host network, bound to loopback, with a healthcheck on fixed distinct ports', () => {
    const { services } = parse(composeConfig(['observability', 'k6']).stdout) as { services: Record<string, Service> }
    const ports = new Set<number>()
    for (const [name, s] of Object.entries(services)) {
      expect(s.network_mode, name).toBe('host')
      const text = JSON.stringify(s)
      for (const m of text.matchAll(/https?:\/\/([^/:"]+)/g)) expect(m[1], `${name}: ${m[0]}`).toBe('127.0.0.1')
      if (!REFERENCE.includes(name)) continue
      expect(s.image, name).toBe('oauth-gameday:local')
      expect(s.command?.slice(0, 1), name).toEqual(['serve'])
      expect(s.command?.[s.command.indexOf('--host') + 1], name).toBe('127.0.0.1')
      expect(s.healthcheck?.test, name).toContain('deploy/healthcheck.mjs')
      const port = portOf(s)
      expect(port, name).toBeGreaterThan(1023)
      expect(ports.has(port), `${name}: port ${port} used twice`).toBe(false)
      ports.add(port)
    }
    expect(services['rs-jwt']?.command).toContain('resilient')
  })

  it('takes the project image from OAUTH_GAMEDAY_IMAGE', () => {
    const r = composeConfig(['observability', 'k6'], { OAUTH_GAMEDAY_IMAGE: 'registry.example/oauth-gameday:1.2.3' })
    const { services } = parse(r.stdout) as { services: Record<string, Service> }
    for (const name of REFERENCE) expect(services[name]?.image).toBe('registry.example/oauth-gameday:1.2.3')
  })
})

describe('compose pinning and observability config', () => {
  const raw = readFileSync(COMPOSE_FILE, 'utf8')
  const doc = parse(raw, { merge: true }) as { 'x-images': Record<string, string>; services: Record<string, Service> }

  it('pins every image tag once, in x-images', () => {
    const imageLines = raw.split('\n').filter((l) => /^\s+image:/.test(l))
    for (const l of imageLines)
      expect(l.trim(), 'services refer to an x-images anchor').toMatch(/^image: \*[a-z0-9-]+-image$/)
    for (const [name, ref] of Object.entries(doc['x-images'])) {
      if (name === 'gameday') continue
      expect(ref, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/)
    }
  })

  it('has a Prometheus job for every reference port', () => {
    const prom = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>
    }
    const targets = new Set(prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets)))
    for (const name of REFERENCE) {
      const s = doc.services[name]!
      expect(targets, name).toContain(`127.0.0.1:${portOf(s)}`)
    }
  })

  it('charts only metrics the reference servers export', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/oauth-slis.json'), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>
    }
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
    expect(exprs.length).toBeGreaterThan(10)
    const sources = ['mock-as/metrics.ts', 'mock-rs/telemetry.ts', 'jwks-cdn/app.ts', 'fault-proxy/app.ts']
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n')
    const names = new Set(
      exprs.flatMap((e) =>
        [...e.matchAll(/\b((?:mock_as|rs|cdn|proxy)_[a-z_]+?)(?:_bucket)?\b(?=[{[ )])/g)].map((m) => m[1]!),
      ),
    )
    expect(names.size).toBeGreaterThan(8)
    for (const n of names) expect(sources, `metric ${n}`).toContain(`'${n}'`)
  })

  it('leaves deliberate traffic out of every chart of a metric labelled by source (DESIGN.md: probe traffic is marked)', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/oauth-slis.json'), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>
    }
    const labelled =
      /\b(mock_as_requests_total|mock_as_request_duration_seconds_bucket|rs_validations_total|rs_fail_open_total|cdn_requests_total|proxy_requests_total)(\{[^}]*\})?/g
    const uses = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(labelled)]))
    expect(uses.length).toBeGreaterThan(10)
    for (const m of uses) expect(m[2] ?? '', m[0]).toContain('source!="probe"')
  })
})
