import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = 'bin/oauth-gameday.mjs'
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
