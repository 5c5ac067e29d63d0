/**
 * The README's own-stack example runs as written: its shell block starts a
 * mock-as and a mock-rs by hand (standing in for the user's AS and API), its
 * scenario drives them with `--runtime external`, and the AS fault goes
 * through the external AS's control API. Only `--smoke` is added, to keep
 * the run short.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'

const readme = await readFile('README.md', 'utf8')
const section = readme.slice(readme.indexOf('## Point it at your own AS and RS'))
const sh = /```sh\n([\s\S]*?)```/.exec(section)![1]!
const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!

const env: Record<string, string> = {}
for (const m of sh.matchAll(/^export (.+)$/gm))
  for (const pair of m[1]!.split(/\s+/)) env[pair.split('=')[0]!] = pair.slice(pair.indexOf('=') + 1)
const serveLines = [...sh.matchAll(/^npx oauth-gameday (serve [^&#]+)&/gm)].map((m) => m[1]!.trim().split(/\s+/))
const runLine = /^npx oauth-gameday (run [^#\n]+)$/m.exec(sh)![1]!.trim().split(/\s+/)

const children: ChildProcess[] = []
let dir: string | undefined
afterAll(async () => {
  for (const c of children) c.kill('SIGTERM')
  if (dir) await rm(dir, { recursive: true, force: true })
})

function serve(args: string[]): Promise<void> {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not print its url within 20s`)), 20_000)
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer)
      resolve()
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${stderr}`)))
  })
}

describe("README's own-stack example", () => {
  it('has the commands and the scenario it says', () => {
    expect(serveLines.map((l) => l.slice(0, 2).join(' '))).toEqual(['serve as', 'serve rs'])
    expect(runLine).toEqual(['run', '--runtime', 'external', 'my-stack.yaml'])
    expect(yaml).toContain('control: { url: http://127.0.0.1:9000')
  })

  it('runs as written (with --smoke) and the AS fault goes through the control API', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'readme-own-stack-'))
    await writeFile(join(dir, 'my-stack.yaml'), yaml)
    for (const args of serveLines) await serve(args)
    const [cmd, ...rest] = runLine
    const args = [
      cmd!,
      '--smoke',
      '--quiet',
      '--out',
      join(dir, 'reports'),
      ...rest.map((a) => (a === 'my-stack.yaml' ? join(dir!, a) : a)),
    ]
    const run = spawn(process.execPath, ['dist/cli.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    run.stdout!.on('data', (d) => (out += d))
    run.stderr!.on('data', (d) => (err += d))
    const code = await new Promise<number | null>((r) => run.once('exit', r))
    expect(err).not.toContain(env.GAMEDAY_ADMIN_TOKEN)
    expect({ code, err }).toMatchObject({ code: 0 })
    const runDir = out.trim().split('\n').at(-1)!
    expect((await readdir(runDir)).sort()).toContain('run.json')
    const { record } = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'))
    expect(record.faults).toEqual([expect.objectContaining({ fault: 'clock-skew', status: 'reverted' })])
    expect(record.targets.resourceServers[0]).toMatchObject({ name: 'my-api', url: 'http://127.0.0.1:8081/api/orders' })
  })
})
