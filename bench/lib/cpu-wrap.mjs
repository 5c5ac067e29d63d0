/**
 * `node cpu-wrap.mjs <cmd> [args...]`: run one command and report the CPU
 * time it spent, its own children included, on fd 3 as one JSON line.
 *
 * The figure is this wrapper's `cutime + cstime` from /proc/self/stat once
 * the command has exited and been reaped: the kernel adds a reaped child's
 * CPU (and that of every descendant it reaped in turn) there, so wrk,
 * autocannon, Artillery's workers and the engine's worker thread are all
 * counted the same way, and the wrapper's own start-up is not.
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeSync } from 'node:fs'

const [cmd, ...args] = process.argv.slice(2)
if (!cmd) {
  process.stderr.write('usage: node cpu-wrap.mjs <cmd> [args...]\n')
  process.exit(2)
}
const TICK_MS = 10 // USER_HZ is 100 on Linux
const start = performance.now()
const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] })
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig))
child.once('error', (err) => {
  writeSync(3, `${JSON.stringify({ error: err.code === 'ENOENT' ? 'not-found' : err.message })}\n`)
  process.exit(127)
})
child.once('exit', (code, signal) => {
  const wallMs = performance.now() - start
  // fields after the ")" of the command name start at field 3 (state); cutime and cstime are fields 16 and 17
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const userMs = Number(f[13]) * TICK_MS
  const sysMs = Number(f[14]) * TICK_MS
  writeSync(3, `${JSON.stringify({ code, signal, userMs, sysMs, cpuMs: userMs + sysMs, wallMs })}\n`)
  process.exit(code ?? 1)
})
