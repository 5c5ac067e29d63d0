#!/usr/bin/env node
// Removes every package that package-lock.json marks as dev-only from
// ./node_modules: what `npm prune --omit=dev` does, without needing npm or a
// registry inside the image (the locally imported base image has only node).
// Usage: node prune-dev-deps.mjs [projectDir]
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2] ?? process.cwd()
const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
let removed = 0
for (const [path, meta] of Object.entries(lock.packages ?? {})) {
  if (!path || !meta.dev) continue
  const target = join(dir, path)
  if (existsSync(target)) {
    rmSync(target, { recursive: true, force: true })
    removed++
  }
}
// Binaries of removed packages leave dangling links behind.
const binDir = join(dir, 'node_modules', '.bin')
if (existsSync(binDir)) {
  const { readdirSync, statSync } = await import('node:fs')
  for (const name of readdirSync(binDir)) {
    try {
      statSync(join(binDir, name))
    } catch {
      rmSync(join(binDir, name), { force: true })
    }
  }
}
console.log(`prune-dev-deps: removed ${removed} dev-only packages`)
