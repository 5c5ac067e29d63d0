/** Benchmark servers run in their own process so the load generator never shares their event loop. */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface SpawnedServer {
  /** The first line the server printed on stdout. */
  line: string
  child: ChildProcess
  stop(): Promise<void>
}

/**
 * Run `script` under tsx with `env`; resolves with its first stdout line (its URL or info).
 * With BENCH_PROF_DIR set, the server runs with `--cpu-prof` and writes its profile there when it stops
 * (the profile of the system under test, beside the figures: `BENCH_PROF_DIR=/tmp/prof npm run bench -- --only dpop`).
 */
export async function spawnServer(
  script: string,
  env: Record<string, string>,
  what: string,
  stdin: 'ignore' | 'pipe' = 'ignore',
): Promise<SpawnedServer> {
  const prof = process.env.BENCH_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR}`] : []
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60 s`)), 60_000)
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer)
      resolve(l.trim())
    })
    child.once('exit', (code) => reject(new Error(`${what} exited (${code})`)))
  })
  return {
    line,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
