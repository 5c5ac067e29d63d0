import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { type BenchFile, renderTable } from '../bench/run.ts'
import { ExitCode } from '../src/errors.ts'
import { faults } from '../src/faults/index.ts'
import { probes } from '../src/probes/index.ts'
import { slos } from '../src/slo/index.ts'
import { readBlock } from './blocks.ts'
import { BENCH_PLACEHOLDER, BENCH_RESULTS, relativeLinks, renderBench, renderReadmeBlocks, ROOT } from './readme.ts'

const README = join(ROOT, 'README.md')
const readme = readFileSync(README, 'utf8')

describe('README', () => {
  it('has every generated block current (run `npm run readme` when this fails)', () => {
    expect(readme, 'README.md is stale: run `npm run readme` and commit the result').toBe(renderReadmeBlocks(readme))
  })

  it('keeps the matrix block for scripts/matrix.ts', () => {
    expect(readBlock(readme, 'matrix')).toBeDefined()
  })

  it('shows only quick-start commands that exist', () => {
    const section = readme.slice(readme.indexOf('## Quick start'))
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
    expect(block, 'README has no sh block under ## Quick start').toBeDefined()
    const commands = block!.trim().split('\n')
    expect(commands).toEqual(['npm install', 'npm start', 'npm test'])
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
      bin: Record<string, string>
    }
    const scripts = pkg.scripts
    for (const c of commands.slice(1))
      expect(scripts[c.replace(/^npm /, '')], `package.json has no "${c}" script`).toBeTruthy()
    // npm install builds, npm start and npm test run what is built: the package's own bin
    expect(scripts.prepare).toMatch(/scripts\/build\.ts/)
    expect(scripts.pretest).toMatch(/scripts\/build\.ts/)
    expect(scripts.start).toBe(`node ${pkg.bin['oauth-gameday']} run scenarios/`)
    const help = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(help.status, help.stderr).toBe(0)
    expect(help.stdout).toContain('run [options] [paths...]')
  })

  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
  it.each(['README.md', ...docs])('%s links only to files that exist', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const missing = relativeLinks(text)
      .filter((l) => !l.image) // images (docs/img/report.png) are produced later and optional
      .map((l) => l.target.split('#')[0]!)
      .filter((t) => t !== '' && !existsSync(resolve(dirname(join(ROOT, file)), t)))
    expect(missing, `${file} links to missing files`).toEqual([])
  })

  it('renders the bench block the way renderTable does', () => {
    const block = readBlock(readme, 'bench')!.trimEnd()
    if (!existsSync(join(ROOT, BENCH_RESULTS))) {
      expect(block).toBe(BENCH_PLACEHOLDER)
      return
    }
    const file = JSON.parse(readFileSync(join(ROOT, BENCH_RESULTS), 'utf8')) as BenchFile
    expect(block).toBe(renderTable(file))
    const lines = block.split('\n')
    expect(lines[0]).toMatch(
      /^Measured \d{4}-\d{2}-\d{2} on \d+ cores, Node v\d+\.\d+\.\d+( in \d+ s \(target: under 900 s\))?;/,
    )
    expect(lines[2]).toBe('| benchmark | value | spread | peer | peer value | ratio | target | result |')
    expect(lines.slice(4)).toHaveLength(file.entries.length)
    for (const row of lines.slice(4)) expect(row.split(' | ')).toHaveLength(8)
  })

  it('renders a bench table from a results file in the format the README expects', () => {
    const file: BenchFile = {
      date: '2026-01-02T03:04:05.000Z',
      node: 'v20.19.0',
      cpus: 2,
      entries: [
        {
          name: 'x',
          unit: 'req/s',
          value: 1234,
          spread: 0.05,
          peer: 'y',
          peerValue: 1000,
          ratio: 1.234,
          target: '≥ 0.8×',
          pass: true,
          command: 'npm run bench -- --only x',
          repeats: 3,
        },
      ],
    }
    expect(renderTable(file)).toContain('| x | 1234 req/s | ±5% | y | 1000 req/s | 1.23 | ≥ 0.8× | pass |')
    expect(renderBench('/nonexistent')).toBe(BENCH_PLACEHOLDER)
  })
})

describe('docs that restate the code', () => {
  it('lists every exit code of src/errors.ts in the README table', () => {
    const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## CLI'))
    const listed = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]))
    expect(listed.sort((a, b) => a - b)).toEqual(Object.values(ExitCode).sort((a, b) => a - b))
  })

  it('describes every SLO of the catalog in docs/slos.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/slos.md'), 'utf8')
    const section = doc.slice(doc.indexOf('## What each SLO reads'), doc.indexOf('## In a scenario'))
    const listed = [...section.matchAll(/^\| ([A-Z]\d+) \|/gm)].map((m) => m[1])
    expect(listed.sort()).toEqual(Object.keys(slos).sort())
  })

  it('says "refused" in docs/own-stack.md exactly for the faults and probes that need AS control', () => {
    const doc = readFileSync(join(ROOT, 'docs/own-stack.md'), 'utf8')
    const rows = [
      ...doc.matchAll(/^\| (probe )?`([a-z-]+)`(?: \(`(\w+): ([\w-]+)`[^)]*\))? \| [^|]+ \| (refused|works?)\b/gm),
    ]
    expect(rows.length).toBeGreaterThanOrEqual(Object.keys(faults).length)
    for (const [, probe, id, key, value, verdict] of rows) {
      const unit = probe ? probes[id!] : faults[id!]
      expect(unit, `docs/own-stack.md names an unknown unit ${id}`).toBeDefined()
      const params = Value.Default(unit!.params, key ? { [key]: value } : {}) as never
      expect(unit!.needs(params).includes('as-control'), `${id} ${key ?? ''}=${value ?? ''}`).toBe(
        verdict === 'refused',
      )
    }
  })
})

describe('relativeLinks', () => {
  it('finds relative links and images, skipping URLs, anchors and code blocks', () => {
    const md = '[a](docs/a.md#x) ![i](img/p.png) [u](https://x.example) [h](#top)\n```\n[c](code.md)\n```\n'
    expect(relativeLinks(md)).toEqual([
      { target: 'docs/a.md#x', image: false },
      { target: 'img/p.png', image: true },
    ])
  })
})
