/**
 * The generated blocks of README.md, each from its single source:
 *
 * - `scenarios`: the game days in `scenarios/*.yaml` (id, title, faults, runbook)
 * - `slos`: the SLO catalog in `src/slo/index.ts`
 * - `cli`: the commander program of `src/cli/program.ts`
 * - `bench`: `bench/results/latest.json`, rendered by `renderTable` of `bench/run.ts`
 *
 * The `matrix` block belongs to `scripts/matrix.ts --write`.
 *
 *   npm run readme      rewrite the blocks in README.md
 *
 * `scripts/readme.test.ts` fails when README.md differs from what this writes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { parse } from 'yaml'
import { type BenchFile, renderTable } from '../bench/run.ts'
import { buildProgram } from '../src/cli/program.ts'
import { slos } from '../src/slo/index.ts'
import { replaceBlock } from './blocks.ts'

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Where `npm run bench` writes its results. */
export const BENCH_RESULTS = 'bench/results/latest.json'

/** What the bench block says before anyone has run the benchmarks. */
export const BENCH_PLACEHOLDER = '_run `npm run bench` to measure_'

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim()

interface ScenarioHead {
  id: string
  title: string
  faults: string[]
}

/** id, title and the faults on the timeline of every `scenarios/*.yaml`, sorted by id. */
export function readScenarioHeads(root = ROOT): ScenarioHead[] {
  const dir = join(root, 'scenarios')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const doc = (parse(readFileSync(join(dir, f), 'utf8')) ?? {}) as {
        id?: unknown
        title?: unknown
        timeline?: Array<{ fault?: unknown }>
      }
      const faults = [
        ...new Set((doc.timeline ?? []).map((e) => e.fault).filter((x): x is string => typeof x === 'string')),
      ]
      return { id: String(doc.id ?? f.replace(/\.yaml$/, '')), title: String(doc.title ?? ''), faults }
    })
}

/** The scenario catalog table. */
export function renderScenarios(root = ROOT): string {
  const runbooks = existsSync(join(root, 'docs/game-days.md'))
    ? readFileSync(join(root, 'docs/game-days.md'), 'utf8')
    : ''
  const faultsDoc = existsSync(join(root, 'docs/faults.md')) ? readFileSync(join(root, 'docs/faults.md'), 'utf8') : ''
  const rows = readScenarioHeads(root).map((s) => {
    const faults = s.faults.length
      ? s.faults
          .map((f) => (faultsDoc.includes(`### \`${f}\``) ? `[\`${f}\`](docs/faults.md#${f})` : `\`${f}\``))
          .join(', ')
      : '—'
    const runbook = new RegExp(`^## ${s.id}$`, 'm').test(runbooks) ? `[runbook](docs/game-days.md#${s.id})` : '—'
    return `| [\`${s.id}\`](scenarios/${s.id}.yaml) | ${cell(s.title)} | ${faults} | ${runbook} |`
  })
  return ['| id | title | faults used | runbook |', '|---|---|---|---|', ...rows].join('\n')
}

/** The SLO catalog table. */
export function renderSlos(): string {
  const rows = Object.values(slos).map(
    (s) => `| ${s.id} | ${cell(s.title)} | \`${s.objective}\` | ${s.window} | ${s.severity} |`,
  )
  return ['| id | indicator | default objective | window | severity |', '|---|---|---|---|---|', ...rows].join('\n')
}

function usage(cmd: Command, path: string[]): string {
  const args = cmd.registeredArguments.map((a) => {
    const name = `${a.name()}${a.variadic ? '...' : ''}`
    return a.required ? `<${name}>` : `[${name}]`
  })
  return ['oauth-gameday', ...path, ...args].join(' ')
}

function commandRows(cmd: Command, path: string[]): string[] {
  const rows: string[] = []
  for (const sub of cmd.commands) {
    if (sub.name() === 'help') continue
    const p = [...path, sub.name()]
    const leaf = sub.commands.filter((c) => c.name() !== 'help')
    if (leaf.length === 0 || sub.registeredArguments.length > 0) {
      rows.push(`| [\`${usage(sub, p)}\`](docs/cli.md#oauth-gameday-${p.join('-')}) | ${cell(sub.description())} |`)
    }
    rows.push(...commandRows(sub, p))
  }
  return rows
}

/** Every command with its one-line description, linked to its section of docs/cli.md. */
export function renderCli(): string {
  return ['| command | what it does |', '|---|---|', ...commandRows(buildProgram(), [])].join('\n')
}

/** The performance table from bench/results/latest.json, or the placeholder when there is none. */
export function renderBench(root = ROOT): string {
  const path = join(root, BENCH_RESULTS)
  if (!existsSync(path)) return BENCH_PLACEHOLDER
  return renderTable(JSON.parse(readFileSync(path, 'utf8')) as BenchFile)
}

/**
 * Fill the generated blocks (scenarios, slos, cli, bench) of a README.
 *
 * @example writeFileSync('README.md', renderReadmeBlocks(readFileSync('README.md', 'utf8')))
 */
export function renderReadmeBlocks(readme: string, root = ROOT): string {
  let out = replaceBlock(readme, 'scenarios', renderScenarios(root))
  out = replaceBlock(out, 'slos', renderSlos())
  out = replaceBlock(out, 'cli', renderCli())
  out = replaceBlock(out, 'bench', renderBench(root))
  return out
}

/** Relative link targets in a Markdown file: `[text](target)` and `![alt](target)`, outside code blocks. */
export function relativeLinks(markdown: string): Array<{ target: string; image: boolean }> {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '')
  const out: Array<{ target: string; image: boolean }> = []
  for (const m of prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[2]!
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue
    out.push({ target, image: m[1] === '!' })
  }
  return out
}

function main(): void {
  const path = join(ROOT, 'README.md')
  const current = readFileSync(path, 'utf8')
  const next = renderReadmeBlocks(current)
  if (next !== current) writeFileSync(path, next)
  process.stdout.write(`${next === current ? 'README.md is up to date' : 'README.md updated'}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
