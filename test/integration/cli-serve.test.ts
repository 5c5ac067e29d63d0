import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = 'dist/cli.js'
const children: ChildProcess[] = []

/** Start `serve …` and resolve with its first two stdout lines (URL, admin token). */
function serve(args: string[]): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn('node', [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`serve ${args.join(' ')} printed no URL in 45 s`)), 45_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const lines = out.split('\n')
      if (lines.length >= 3) {
        clearTimeout(timer)
        resolve({ child, lines: lines.slice(0, 2) })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited early with ${code}`))
    })
  })
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
})

describe('cli serve', () => {
  it('prints the URL then the admin token, serves, and stops cleanly on SIGTERM', async () => {
    const { child, lines } = await serve(['cdn', '--origin', 'http://127.0.0.1:9'])
    const [url, token] = lines
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(token!.length).toBeGreaterThanOrEqual(16)
    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})

describe('cli serve as --config, under the built CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serve-config-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each([
    ['as.yaml', 'accessTokenTtl: 45s\nport: 0\n'],
    ['as.yml', 'accessTokenTtl: 45s\n'],
    ['as.json', '{ "accessTokenTtl": "45s", "host": "127.0.0.1" }'],
  ])('accepts %s and applies it', async (name, text) => {
    writeFileSync(join(dir, name), text)
    const { child, lines } = await serve(['as', '--config', join(dir, name)])
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'svc',
      client_secret: 'svc-secret',
    })
    const res = await fetch(`${lines[0]}/token`, { method: 'POST', body: form })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { expires_in: number }).expires_in).toBe(45)
    child.kill('SIGTERM')
  })

  it.each([
    ['bad.yaml', 'accessTokenTtl: [unclosed\n', /not valid YAML or JSON/],
    ['typo.yaml', 'accesTokenTtl: 45s\n', /accesTokenTtl: unknown key/],
    ['port.json', '{ "port": "ninety" }', /port: must be an integer from 0 to 65535/],
  ])('refuses %s with ERR_CONFIG_INVALID and exit 104', (name, text, why) => {
    writeFileSync(join(dir, name), text)
    const r = spawnSync('node', [BIN, 'serve', 'as', '--config', join(dir, name)], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status).toBe(104)
    expect(r.stderr).toMatch(/ERR_CONFIG_INVALID/)
    expect(r.stderr).toMatch(why)
  })
})
