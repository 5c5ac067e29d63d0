/** Run a command as a child process and read its CPU time the same way for every command (see cpu-wrap.mjs). */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WRAPPER = fileURLToPath(new URL('./cpu-wrap.mjs', import.meta.url))

export interface MeasuredRun {
  code: number | null
  stdout: string
  stderr: string
  /** User + system CPU of the command and every descendant it reaped, ms (10 ms ticks). */
  cpuMs: number
  wallMs: number
  /** The command was not found (ENOENT). */
  notFound: boolean
}

/** Spawn `cmd args` under the CPU wrapper; killed after `timeoutMs` (every load loop here is bounded, this is the backstop). */
export async function runMeasured(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<MeasuredRun> {
  const child = spawn(process.execPath, [WRAPPER, cmd, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let report = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const fd3 = child.stdio[3] as NodeJS.ReadableStream
  fd3.setEncoding('utf8')
  fd3.on('data', (d: string) => {
    report += d
  })
  const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 120_000)
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)))
  clearTimeout(timer)
  const r = (report.trim() ? JSON.parse(report.trim().split('\n').pop()!) : {}) as {
    error?: string
    cpuMs?: number
    wallMs?: number
  }
  return {
    code,
    stdout,
    stderr,
    cpuMs: r.cpuMs ?? Number.NaN,
    wallMs: r.wallMs ?? Number.NaN,
    notFound: r.error === 'not-found',
  }
}
