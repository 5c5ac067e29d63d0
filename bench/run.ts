/**
 * `npm run bench`: every benchmark in sequence, each measurement repeated
 * (interleaved with its peer) and reported as the median with its spread.
 * Writes bench/results/latest.json and prints the same as a table.
 * `npm run bench -- --only NAME` runs the benchmarks whose name contains NAME;
 * with `--update` their rows replace the same rows of results/latest.json.
 *
 * Performance claims are ratios against a peer measured in the same run on
 * the same machine, never absolute times from elsewhere.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { benchmarks } from './benchmarks.ts'

export interface BenchEntry {
  name: string
  unit: string
  value: number
  /** (max − min) / median over the repeats, 0–1. */
  spread: number
  peer: string | null
  peerValue: number | null
  ratio: number | null
  target: string
  pass: boolean
  command: string
  repeats: number
}

export interface BenchFile {
  date: string
  node: string
  cpus: number
  /** Wall-clock seconds of the whole run (the target is under 15 minutes). */
  totalSeconds?: number
  entries: BenchEntry[]
  /** Set when `--only … --update` replaced some rows after the full run. */
  updated?: { date: string; only: string }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function spread(xs: readonly number[]): number {
  const m = median(xs)
  return m ? (Math.max(...xs) - Math.min(...xs)) / Math.abs(m) : 0
}

const fmt = (n: number | null, digits = 2) =>
  n === null || Number.isNaN(n) ? '—' : Math.abs(n) >= 100 ? String(Math.round(n)) : n.toFixed(digits)

/** The table printed at the end and written into the README. */
export function renderTable(file: BenchFile): string {
  const rows = file.entries.map(
    (e) =>
      `| ${e.name} | ${fmt(e.value)} ${e.unit} | ±${Math.round(e.spread * 100)}% | ${e.peer ?? '—'} | ${e.peerValue === null ? '—' : `${fmt(e.peerValue)} ${e.unit}`} | ${fmt(e.ratio)} | ${e.target} | ${e.pass ? 'pass' : '**fail**'} |`,
  )
  return [
    `Measured ${file.date.slice(0, 10)} on ${file.cpus} cores, Node ${file.node}${file.totalSeconds ? ` in ${Math.round(file.totalSeconds)} s (target: under 900 s)` : ''}${file.updated ? `; the ${file.updated.only} rows rerun on ${file.updated.date.slice(0, 10)} (\`npm run bench -- --only ${file.updated.only} --update\`)` : ''}; medians of the repeats shown, spread = (max−min)/median.`,
    '',
    '| benchmark | value | spread | peer | peer value | ratio | target | result |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const onlyAt = args.indexOf('--only')
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined
  if (onlyAt >= 0 && !only) throw new Error('--only needs a benchmark name (see bench/benchmarks.ts)')
  const selected = benchmarks.filter((b) => !only || b.id.includes(only))
  if (selected.length === 0)
    throw new Error(`--only ${only}: no benchmark matches (ids: ${benchmarks.map((b) => b.id).join(', ')})`)
  const entries: BenchEntry[] = []
  const started = Date.now()
  for (const b of selected) {
    const t = Date.now()
    process.stderr.write(`bench ${b.id}: running (${b.repeats} repeat${b.repeats > 1 ? 's' : ''})...\n`)
    try {
      const produced = await b.run(b.repeats)
      for (const e of produced) entries.push({ ...e, command: `npm run bench -- --only ${b.id}`, repeats: b.repeats })
    } catch (err) {
      process.stderr.write(`bench ${b.id}: failed: ${(err as Error).stack ?? err}\n`)
      entries.push({
        name: b.id,
        unit: '',
        value: Number.NaN,
        spread: 0,
        peer: null,
        peerValue: null,
        ratio: null,
        target: 'runs',
        pass: false,
        command: `npm run bench -- --only ${b.id}`,
        repeats: 0,
      })
    }
    process.stderr.write(`bench ${b.id}: done in ${Math.round((Date.now() - t) / 1000)} s\n`)
  }
  const file: BenchFile = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    totalSeconds: Math.round((Date.now() - started) / 1000),
    entries,
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  await mkdir(dir, { recursive: true })
  if (!only) await writeFile(`${dir}latest.json`, `${JSON.stringify(file, null, 2)}\n`)
  else await writeFile(`${dir}only-${only}.json`, `${JSON.stringify(file, null, 2)}\n`)
  if (only && args.includes('--update')) {
    // the rerun groups replace their rows in latest.json; the other rows keep the full run's figures
    const latest = JSON.parse(await readFile(`${dir}latest.json`, 'utf8')) as BenchFile
    const rerun = new Set(selected.map((b) => `npm run bench -- --only ${b.id}`))
    const merged: BenchEntry[] = []
    for (const e of latest.entries) {
      if (!rerun.has(e.command)) merged.push(e)
      else if (!merged.some((m) => m.command === e.command))
        merged.push(...entries.filter((n) => n.command === e.command))
    }
    for (const e of entries) if (!merged.includes(e)) merged.push(e)
    await writeFile(
      `${dir}latest.json`,
      `${JSON.stringify({ ...latest, entries: merged, updated: { date: file.date, only } }, null, 2)}\n`,
    )
  }
  process.stdout.write(`${renderTable(file)}\n\ntotal ${Math.round((Date.now() - started) / 1000)} s\n`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(1)
  })
}
