#!/usr/bin/env node
// Docker HEALTHCHECK for every reference service in the image. The role and
// port come from the container's command (`serve as --port 9000`), so the
// check reads them from PID 1's command line instead of a second config;
// GAMEDAY_HEALTH_PORT overrides. No curl in the image: Node's fetch is enough.
import { readFileSync } from 'node:fs'

function portFromCmdline() {
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0')
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? ''
      if (arg === '--port') return args[i + 1]
      if (arg.startsWith('--port=')) return arg.slice('--port='.length)
    }
  } catch {
    // not in a container, or /proc hidden: fall through to the env override
  }
  return undefined
}

const port = process.env.GAMEDAY_HEALTH_PORT || portFromCmdline()
if (!port || !/^\d+$/.test(port) || port === '0') {
  console.error('healthcheck: no fixed --port in the command; set GAMEDAY_HEALTH_PORT')
  process.exit(1)
}
const url = `http://127.0.0.1:${port}/healthz`
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) })
  if (res.status !== 200) {
    console.error(`healthcheck: ${url} answered ${res.status}`)
    process.exit(1)
  }
} catch (err) {
  console.error(`healthcheck: ${url} failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
