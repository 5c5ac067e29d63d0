/**
 * `npm run bench`: every benchmark in sequence, each measurement repeated
 * (interleaved with its peer) and reported as the median with its spread.
 * Writes bench/results/latest.json and prints the same as a table.
 * `npm run bench -- --only NAME` runs one group (`as`, `engine`, `peers`,
 * `curves`, `harness`) or the benchmarks whose id contains NAME (several:
 * `--only peers,curves`); with
 * `--update` their rows replace the same rows of results/latest.json.
 * `--install-peers` first installs the load generators kept outside the
 * dependency tree (Artillery, into bench/.peers/). `--quick` checks the
 * harness: one repeat of short windows, written to results/only-*.json and
 * never merged into latest.json.
 *
 * Opt-in benchmarks run only by their own flag, never with the default bench,
 * a group or `--only`, and count outside its budget: `--soak` (10 minutes at
 * 500 tokens/s; `--soak-minutes N` for a short check) and `--suite` (the
 * default game-day suite, `oauth-gameday run scenarios/` once); both flags
 * together run both. Their rows go to results/only-soak.json,
 * only-suite.json, `--update` merges them into latest.json, and a full run
 * keeps them (with when they were measured) from the latest.json it replaces.
 *
 * Performance claims are ratios against a peer measured in the same run on
 * the same machine, never absolute times from elsewhere.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { type Benchmark, benchmarks } from './benchmarks.ts'
import { installPeers } from './load/generators.ts'

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
  /** A curve's points (size → figure), smallest size first; the row's value is the last point's figure, its peer the first's. */
  curve?: { x: string; y: string; points: Array<[number, number]> }
  /** Set when the row could not be measured here (a peer not installed): what is missing and how to get it. */
  skipped?: string
  command: string
  repeats: number
}

export interface BenchFile {
  date: string
  node: string
  cpus: number
  /** Wall-clock seconds of the whole run (the target is under 20 minutes, DESIGN.md's budgets). */
  totalSeconds?: number
  entries: BenchEntry[]
  /** Set when `--only … --update` replaced some rows after the full run. */
  updated?: { date: string; only: string }
  /** Every `--only … --update` since the full run, oldest first, one per `only` (its latest rerun). */
  updates?: Array<{ date: string; only: string }>
  /** Wall-clock seconds of each benchmark (by id) as last measured; `--update` replaces the rerun ones. */
  seconds?: Record<string, number>
}

/** What choosing benchmarks and merging their rows needs of one. */
export type BenchRef = Pick<Benchmark, 'id' | 'group' | 'optIn'>

/**
 * The benchmarks a run measures, and the label of its results file (none for the whole default bench):
 * an opt-in flag (`--soak`, `--suite`, both at once) runs its benchmarks only; `--only` picks groups or ids
 * (`--only peers,curves`), never an opt-in one.
 *
 * @example
 * selectBenchmarks(benchmarks, ['--only', 'peers,curves']).label // 'peers,curves'
 */
export function selectBenchmarks<B extends BenchRef>(
  all: readonly B[],
  args: readonly string[],
): { selected: B[]; label: string | undefined } {
  const onlyAt = args.indexOf('--only')
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined
  if (onlyAt >= 0 && !only) throw new Error('--only needs a group or a benchmark name (see bench/benchmarks.ts)')
  const optIn = all.filter((b) => b.optIn && args.includes(b.optIn))
  if (optIn.length > 0) {
    if (only) throw new Error(`${optIn.map((b) => b.optIn).join(' ')} runs opt-in benchmarks on their own: drop --only`)
    return { selected: optIn, label: [...new Set(optIn.map((b) => b.group))].join(',') }
  }
  const matches = (b: B, w: string) => b.group === w || b.id.includes(w)
  const wanted = only?.split(',').filter(Boolean) ?? []
  for (const w of wanted) {
    const hits = all.filter((b) => matches(b, w))
    if (hits.length > 0 && hits.every((b) => b.optIn))
      throw new Error(hits.map((b) => `${b.id} is opt-in: run \`npm run bench -- ${b.optIn}\``).join('; '))
  }
  const selected = all.filter((b) => !b.optIn && (!only || wanted.some((w) => matches(b, w))))
  const others = all.filter((b) => !b.optIn)
  if (selected.length === 0)
    throw new Error(
      `--only ${only}: no benchmark matches (groups: ${[...new Set(others.map((b) => b.group))].join(', ')}; ids: ${others.map((b) => b.id).join(', ')}; opt-in: ${[...new Set(all.map((b) => b.optIn).filter(Boolean))].join(', ')})`,
    )
  return { selected, label: only }
}

/** The command that reruns a benchmark's rows: its opt-in flag, or `--only ID`. */
export function commandOf(b: BenchRef): string {
  return `npm run bench -- ${b.optIn ?? `--only ${b.id}`}`
}

/** Whether benchmark `b` measured a row (rows measured before it was opt-in say `--only ID`). */
export function measuredBy(e: BenchEntry, b: BenchRef): boolean {
  return e.command === commandOf(b) || e.command === `npm run bench -- --only ${b.id}`
}

/** The `--only … --update` records of a file, oldest first (older files kept one, `updated`). */
function recorded(file: BenchFile): Array<{ date: string; only: string }> {
  return file.updates ?? (file.updated ? [file.updated] : [])
}

/**
 * `--update`: the rows of `rerun` in `run` replace theirs in `latest`, where they stood; the other rows keep
 * the full run's figures, and `latest` records the rerun (one record per label, its latest).
 *
 * @example
 * mergeUpdate(latest, run, selected, 'peers').updates?.at(-1) // { date: run.date, only: 'peers' }
 */
export function mergeUpdate(latest: BenchFile, run: BenchFile, rerun: readonly BenchRef[], label: string): BenchFile {
  const rerunOf = (e: BenchEntry) => rerun.find((b) => measuredBy(e, b))
  const merged: BenchEntry[] = []
  const placed = new Set<BenchRef>()
  for (const e of latest.entries) {
    const b = rerunOf(e)
    if (!b) merged.push(e)
    else if (!placed.has(b)) {
      placed.add(b)
      merged.push(...run.entries.filter((n) => rerunOf(n) === b))
    }
  }
  for (const e of run.entries) if (!merged.includes(e)) merged.push(e)
  const updates = [...recorded(latest).filter((u) => u.only !== label), { date: run.date, only: label }]
  const { updated: _old, ...rest } = latest
  return { ...rest, entries: merged, updates, seconds: { ...latest.seconds, ...run.seconds } }
}

/**
 * A full run's file, with the opt-in rows of the file it replaces carried over (a full run does not measure
 * them): their seconds, and when they were measured (their `updates` records; rows the replaced full run
 * measured itself get a record with its date).
 *
 * @example
 * carryOptIn(JSON.parse(previousLatest), fresh, benchmarks).entries // fresh rows, then the soak's and the suite's
 */
export function carryOptIn(previous: BenchFile | undefined, fresh: BenchFile, all: readonly BenchRef[]): BenchFile {
  const optIn = all.filter((b) => b.optIn)
  const kept = optIn.filter((b) => previous?.entries.some((e) => measuredBy(e, b)))
  if (!previous || kept.length === 0) return fresh
  const groups = new Set(kept.map((b) => b.group))
  const optInGroups = new Set<string>(optIn.map((b) => b.group))
  const updates = recorded(previous).filter((u) => u.only.split(',').every((g) => optInGroups.has(g)))
  for (const g of groups)
    if (!updates.some((u) => u.only.split(',').includes(g))) updates.push({ date: previous.date, only: g })
  const seconds = { ...fresh.seconds }
  for (const b of kept) {
    const s = previous.seconds?.[b.id]
    if (s !== undefined) seconds[b.id] = s
  }
  return {
    ...fresh,
    entries: [...fresh.entries, ...previous.entries.filter((e) => kept.some((b) => measuredBy(e, b)))],
    updates: [...(fresh.updates ?? []), ...updates].sort((a, b) => a.date.localeCompare(b.date)),
    seconds,
  }
}

/** The whole default bench's budget on 2 cores (DESIGN.md's budgets), seconds. */
export const BUDGET_S = 1200

/**
 * Seconds per group and in all, with the budget verdict: `measured` are this
 * run's benchmarks, `known` what an earlier run recorded for the others (so a
 * group rerun still says whether the whole bench fits). Opt-in benchmarks
 * count outside the budget.
 */
export function budgetLines(
  groups: ReadonlyArray<{ id: string; group: string; optIn?: string }>,
  measured: Record<string, number>,
  known: Record<string, number> = {},
): string[] {
  const perGroup = new Map<string, { s: number; estimated: boolean; missing: boolean }>()
  for (const b of groups.filter((g) => !g.optIn)) {
    const g = perGroup.get(b.group) ?? { s: 0, estimated: false, missing: false }
    const s = measured[b.id] ?? known[b.id]
    if (s === undefined) g.missing = true
    else {
      g.s += s
      if (measured[b.id] === undefined) g.estimated = true
    }
    perGroup.set(b.group, g)
  }
  const lines = [...perGroup].map(
    ([g, v]) =>
      `  ${g}: ${Math.round(v.s)} s${v.estimated ? ' (partly from the last recorded run)' : ''}${v.missing ? ' (some benchmarks never timed)' : ''}`,
  )
  const total = [...perGroup.values()].reduce((t, v) => t + v.s, 0)
  const partial = [...perGroup.values()].some((v) => v.estimated || v.missing)
  const verdict =
    total > BUDGET_S
      ? `OVER BUDGET: ${Math.round(total)} s > ${BUDGET_S} s (trim repeats or windows of the slowest group)`
      : `within budget (${BUDGET_S} s)`
  lines.push(`default bench ${partial ? 'estimated' : 'total'}: ${Math.round(total)} s, ${verdict}`)
  return lines
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

/** The reruns since the full run, and when the opt-in rows were measured, as said above the table. */
function reruns(file: BenchFile): string {
  const optIn = benchmarks.filter((b) => b.optIn)
  const isOptIn = (u: { only: string }) => u.only.split(',').every((g) => optIn.some((b) => b.group === g))
  const say = (list: Array<{ date: string; only: string }>) =>
    list.map((u) => `${u.only} on ${u.date.slice(0, 10)}`).join(', ')
  const rerun = recorded(file).filter((u) => !isOptIn(u))
  const apart = recorded(file).filter(isOptIn)
  return `${rerun.length ? `; rerun since (\`npm run bench -- --only NAME --update\`): ${say(rerun)}` : ''}${apart.length ? `; opt-in rows measured (${optIn.map((b) => `\`npm run bench -- ${b.optIn}\``).join(', ')}): ${say(apart)}` : ''}`
}

/** The table printed at the end and written into the README. */
export function renderTable(file: BenchFile): string {
  const rows = file.entries.map(
    (e) =>
      `| ${e.name} | ${fmt(e.value)} ${e.unit} | ±${Math.round(e.spread * 100)}% | ${e.peer ?? '—'} | ${e.peerValue === null ? '—' : `${fmt(e.peerValue)} ${e.unit}`} | ${fmt(e.ratio)} | ${e.target} | ${e.skipped ? `skipped: ${e.skipped.replace(/\|/g, '\\|')}` : e.pass ? 'pass' : '**fail**'} |`,
  )
  return [
    `Measured ${file.date.slice(0, 10)} on ${file.cpus} cores, Node ${file.node}${file.totalSeconds ? ` in ${Math.round(file.totalSeconds)} s (target: under 1200 s)` : ''}${reruns(file)}; medians of the repeats shown, spread = (max−min)/median.`,
    '',
    '| benchmark | value | spread | peer | peer value | ratio | target | result |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const minutesAt = args.indexOf('--soak-minutes')
  const soakMinutes = minutesAt >= 0 ? Number(args[minutesAt + 1]) : undefined
  if (soakMinutes !== undefined && !(soakMinutes > 0))
    throw new Error('--soak-minutes needs a number of minutes above 0')
  // `--soak-minutes N` alone runs the soak
  const { selected, label } = selectBenchmarks(benchmarks, soakMinutes !== undefined ? [...args, '--soak'] : args)
  const optIn = selected.some((b) => b.optIn)
  const quick = args.includes('--quick')
  if (quick && args.includes('--update'))
    throw new Error('--quick measures too little to replace rows of latest.json: drop --update or --quick')
  if (quick && (!label || optIn)) throw new Error('--quick checks the harness of one group: add --only GROUP')
  if (args.includes('--install-peers')) await installPeers()
  const entries: BenchEntry[] = []
  const seconds: Record<string, number> = {}
  const started = Date.now()
  for (const b of selected) {
    const t = Date.now()
    const repeats = quick ? 1 : b.repeats
    process.stderr.write(
      `bench ${b.id}: running (${repeats} repeat${repeats > 1 ? 's' : ''}${quick ? ', quick' : ''})...\n`,
    )
    try {
      const produced = await b.run(repeats, { quick, ...(soakMinutes !== undefined ? { soakMinutes } : {}) })
      for (const e of produced) entries.push({ ...e, command: commandOf(b), repeats })
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
        command: commandOf(b),
        repeats: 0,
      })
    }
    seconds[b.id] = Math.round((Date.now() - t) / 1000)
    process.stderr.write(`bench ${b.id}: done in ${seconds[b.id]} s\n`)
  }
  const file: BenchFile = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    totalSeconds: Math.round((Date.now() - started) / 1000),
    entries,
    seconds,
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  await mkdir(dir, { recursive: true })
  // an opt-in run or a group never replaces the full run's file; `--update` merges their rows into it
  if (!label) {
    let previous: BenchFile | undefined
    try {
      previous = JSON.parse(await readFile(`${dir}latest.json`, 'utf8')) as BenchFile
    } catch {
      // no earlier run recorded
    }
    await writeFile(`${dir}latest.json`, `${JSON.stringify(carryOptIn(previous, file, benchmarks), null, 2)}\n`)
  } else await writeFile(`${dir}only-${label}.json`, `${JSON.stringify(file, null, 2)}\n`)
  if (label && args.includes('--update')) {
    const latest = JSON.parse(await readFile(`${dir}latest.json`, 'utf8')) as BenchFile
    await writeFile(`${dir}latest.json`, `${JSON.stringify(mergeUpdate(latest, file, selected, label), null, 2)}\n`)
  }
  // elapsed per group, and whether the whole default bench fits its budget (the other groups from latest.json)
  let known: Record<string, number> = {}
  try {
    known = (JSON.parse(await readFile(`${dir}latest.json`, 'utf8')) as BenchFile).seconds ?? {}
  } catch {
    // no earlier run recorded
  }
  const lines = optIn
    ? selected.map((b) => `  ${b.id}: ${seconds[b.id] ?? 0} s (opt-in, outside the budget)`)
    : quick
      ? [`  quick check: ${Math.round((Date.now() - started) / 1000)} s (short windows, not a budget figure)`]
      : budgetLines(benchmarks, seconds, known)
  process.stdout.write(
    `${renderTable(file)}\n\ntotal ${Math.round((Date.now() - started) / 1000)} s\n${lines.join('\n')}\n`,
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(1)
  })
}
