/**
 * Suites that need an outside tool (Docker, Chromium, docker-compose, k6) ask
 * here first. Outside CI a missing tool skips the suite with the reason in its
 * name; under `CI` it fails loudly instead, so a broken CI image cannot turn
 * into a green run that tested nothing. k6 is the exception: it cannot be
 * installed from Debian, so its suites always skip, visibly.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, it } from 'vitest'

export type Tool = 'docker' | 'chromium' | 'docker-compose' | 'k6'

export interface ToolCheck {
  available: boolean
  /** Why it is not available, with what to do. */
  reason?: string
  /** The command (or path) that works, when available. */
  command?: string[]
}

const INSTALL_HINT: Record<Tool, string> = {
  docker: 'install docker.io and start the engine: scripts/ci/start-docker.sh',
  chromium: 'apt-get install -y chromium, or set CHROMIUM_PATH',
  'docker-compose': 'apt-get install -y docker-compose (or the docker compose plugin)',
  k6: 'install k6 from https://k6.io (not packaged by Debian), or set K6_PATH',
}

function runs(cmd: string, args: string[], timeoutMs = 15_000): { ok: boolean; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.error)
    return {
      ok: false,
      why: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd} not found on PATH` : r.error.message,
    }
  if (r.status !== 0)
    return {
      ok: false,
      why: `\`${[cmd, ...args].join(' ')}\` exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? ''}`,
    }
  return { ok: true, why: '' }
}

function check(tool: Tool): ToolCheck {
  switch (tool) {
    case 'docker': {
      // The binary is not enough: the suites need a running engine.
      const r = runs('docker', ['info', '--format', '{{.ServerVersion}}'])
      return r.ok
        ? { available: true, command: ['docker'] }
        : { available: false, reason: `no Docker engine (${r.why})` }
    }
    case 'chromium': {
      for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
        if (p && existsSync(p)) return { available: true, command: [p] }
      }
      return {
        available: false,
        reason: 'no Chromium at CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser',
      }
    }
    case 'docker-compose': {
      const v1 = runs('docker-compose', ['version', '--short'])
      if (v1.ok) return { available: true, command: ['docker-compose'] }
      const v2 = runs('docker', ['compose', 'version', '--short'])
      if (v2.ok) return { available: true, command: ['docker', 'compose'] }
      return { available: false, reason: `neither docker-compose nor docker compose works (${v1.why})` }
    }
    case 'k6': {
      const bin = process.env.K6_PATH || 'k6'
      const r = runs(bin, ['version'])
      return r.ok ? { available: true, command: [bin] } : { available: false, reason: `no k6 (${r.why})` }
    }
  }
}

const cache = new Map<Tool, ToolCheck>()

/**
 * Whether `tool` can be used right now (cached per test file).
 *
 * @example
 * ```ts
 * const docker = requireTool('docker')
 * if (!docker.available) console.warn(docker.reason)
 * ```
 */
export function requireTool(tool: Tool): ToolCheck {
  let c = cache.get(tool)
  if (!c) {
    c = check(tool)
    if (!c.available) c.reason = `${c.reason}; ${INSTALL_HINT[tool]}`
    cache.set(tool, c)
  }
  return c
}

/** True when a missing tool must fail the suite rather than skip it. */
export function mustHave(tool: Tool, env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  return ci && tool !== 'k6'
}

/**
 * `describe` that runs only when `tool` is available. When it is missing: a
 * failing test under CI (except k6), a skipped suite with the reason otherwise.
 *
 * @example
 * ```ts
 * describeWithTool('docker', 'containers runtime', () => {
 *   it('starts the baseline stack', async () => { ... })
 * })
 * ```
 */
export function describeWithTool(tool: Tool, name: string, fn: () => void): void {
  const c = requireTool(tool)
  if (c.available) {
    describe(name, fn)
    return
  }
  if (mustHave(tool)) {
    describe(name, () => {
      it(`needs ${tool}`, () => {
        throw new Error(`${name}: ${tool} is required under CI and is missing: ${c.reason}`)
      })
    })
    return
  }
  const why = `${tool} missing: ${c.reason}`
  process.stderr.write(`[skip] ${name}: ${why}\n`)
  describe.skip(`${name} (skipped: ${why})`, fn)
}
