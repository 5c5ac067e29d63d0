/**
 * The detection matrix — the harness's proof that it catches what it claims.
 * Every shipped game day runs, shortened as `--smoke` does, against the `resilient` RS profile
 * (expected: every SLO holds) and against the weak variant it targets
 * (expected: the named SLO breaks, attributed to the right cause).
 *
 *   npx tsx scripts/matrix.ts            run every cell, print the table
 *   npx tsx scripts/matrix.ts --write    also write it into README.md between
 *                                        <!-- BEGIN matrix --> and <!-- END matrix -->
 *   npx tsx scripts/matrix.ts --only clock-skew
 *   npx tsx scripts/matrix.ts --from reports/matrix/last.json --write
 *                                        render a previous run without running again
 *
 * `test/integration/matrix.test.ts` runs the same cells in `npm test`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { smokeDefaults } from '../src/cli/smoke.ts'
import { runScenario } from '../src/runner/run.ts'
import { loadScenario } from '../src/scenario/load.ts'
import type { Scenario } from '../src/scenario/schema.ts'
import { smoke } from '../src/scenario/smoke.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** One cell: a scenario, a variant of its stack, and what must be observed. */
export interface MatrixCell {
  scenario: string
  /** `resilient`, an RS profile name, an AS variant such as `as:no-reuse-detection`, or a fault param (`fault:<id>.<param>=<value>`). */
  variant: string
  /** SLO ids that must break (empty: every SLO must hold). */
  expectBroken: string[]
  /** Attribution of the first expected breach must match this. */
  expectAttribution?: RegExp
}

export interface CellResult extends MatrixCell {
  broken: string[]
  /** SLOs that had no data (for example the load engine started late on a busy machine): inconclusive, never agreement. */
  noData: string[]
  attribution?: string
  agrees: boolean
  durationMs: number
  exitCode: number
  error?: string
}

/** The expectation table (the issue's examples, one weak variant per game day). */
export const CELLS: MatrixCell[] = [
  { scenario: 'baseline', variant: 'resilient', expectBroken: [] },
  { scenario: 'bad-key-rotation', variant: 'resilient', expectBroken: [] },
  { scenario: 'bad-key-rotation', variant: 'fixed-ttl', expectBroken: ['M9'] },
  { scenario: 'stale-jwks-cdn', variant: 'resilient', expectBroken: [] },
  { scenario: 'stale-jwks-cdn', variant: 'fixed-ttl', expectBroken: ['M9'] },
  { scenario: 'jwks-outage', variant: 'resilient', expectBroken: [] },
  { scenario: 'jwks-outage', variant: 'jose-defaults', expectBroken: ['M3'] },
  { scenario: 'introspection-rate-limit', variant: 'resilient', expectBroken: [] },
  { scenario: 'introspection-rate-limit', variant: 'fail-open', expectBroken: ['S1'] },
  { scenario: 'clock-skew', variant: 'resilient', expectBroken: [] },
  {
    scenario: 'clock-skew',
    variant: 'strict-clock',
    expectBroken: ['M3'],
    expectAttribution: /not[ _]yet[ _]valid|expired/,
  },
  { scenario: 'leaked-refresh-token', variant: 'resilient', expectBroken: [] },
  { scenario: 'leaked-refresh-token', variant: 'as:no-reuse-detection', expectBroken: ['M7'] },
  { scenario: 'revocation-propagation', variant: 'resilient', expectBroken: [] },
  { scenario: 'revocation-propagation', variant: 'long-introspection-cache', expectBroken: ['M5'] },
  { scenario: 'token-endpoint-overload', variant: 'resilient', expectBroken: [] },
  { scenario: 'jwt-attacks', variant: 'resilient', expectBroken: [] },
  { scenario: 'jwt-attacks', variant: 'lax-claims', expectBroken: ['S2'], expectAttribution: /wrong-audience/ },
  { scenario: 'jwt-attacks', variant: 'no-scope-check', expectBroken: ['S2'], expectAttribution: /scope-escalation/ },
  {
    scenario: 'jwt-attacks',
    variant: 'knob:checkTokenType=false',
    expectBroken: ['S2'],
    expectAttribution: /refresh-as-access/,
  },
  { scenario: 'dpop-binding', variant: 'resilient', expectBroken: [] },
  {
    scenario: 'dpop-binding',
    variant: 'dpop-as-bearer',
    expectBroken: ['S2'],
    expectAttribution: /dpop-stolen-other-key.*dpop-downgrade-bearer/,
  },
  {
    scenario: 'dpop-binding',
    variant: 'dpop-no-replay-cache',
    expectBroken: ['S2'],
    expectAttribution: /dpop-proof-replay/,
  },
  { scenario: 'assertion-aud-change', variant: 'resilient', expectBroken: [] },
  {
    scenario: 'assertion-aud-change',
    variant: 'client:assertion-aud=token-endpoint',
    expectBroken: ['M1'],
    expectAttribution: /invalid_client/,
  },
  { scenario: 'dpop-nonces', variant: 'resilient', expectBroken: [] },
  {
    // a stack whose nonces live 100 ms: shorter than the time between any client's requests, so every request pays a retry
    scenario: 'dpop-nonces',
    variant: 'fault:dpop-nonce-rotation.nonceLifetime=100ms',
    expectBroken: ['M11'],
    expectAttribution: /most nonce retries: api-call at orders/,
  },
  { scenario: 'as-exposure', variant: 'resilient', expectBroken: [] },
  {
    scenario: 'as-exposure',
    variant: 'as:introspection-any-client',
    expectBroken: ['S3'],
    expectAttribution: /cross-client/,
  },
  {
    scenario: 'as-exposure',
    variant: 'as:resources-allow-any',
    expectBroken: ['S3'],
    expectAttribution: /unregistered-audience/,
  },
  { scenario: 'dpop-clock', variant: 'resilient', expectBroken: [] },
  {
    scenario: 'dpop-clock',
    variant: 'dpop-strict-clock',
    expectBroken: ['M12'],
    expectAttribution: /RS orders.*proof iat outside the accepted window.*dpop_iat/,
  },
]

/** The share of its length a matrix run keeps: `--smoke`'s scaling, at half length so fault windows still span the profiles' caches and refreshes. */
export const MATRIX_FACTOR = 0.5

/**
 * The matrix's version of a game day: `--smoke`'s plan (src/scenario/smoke.ts:
 * every time scaled, floors, each probe's whole timeout kept) at
 * {@link MATRIX_FACTOR}, plus two changes that are not times. The mechanisms
 * (cooldowns, caches) are the profiles' own, so some windows cannot shrink (a
 * 30 s introspection cache keeps revocation-propagation at 52 s).
 */
export function shorten(s: Scenario): Scenario {
  const out = smoke(s, { ...smokeDefaults, factor: MATRIX_FACTOR, probeRoom: true })
  // the matrix proves detection, not speed: token latency on a shared 2-core runner is the machine's, not the game day's
  for (const slo of out.slos) if (slo.id === 'M2') slo.objective = 'p(95)<2s'
  // a skewed token must be minted inside the halved fault window (7.5 s): tokens live shorter than it
  if (s.id === 'clock-skew') out.stack.authorizationServer.accessTokenTtl = '5s'
  return out
}

/**
 * Apply a variant: an RS profile on every reference RS, a knob on every
 * reference RS (`knob:name=value`, value as JSON), an AS setting (`as:…`),
 * or a param of every timeline entry of one fault (`fault:<id>.<param>=<value>`,
 * value as JSON, else as a string: `fault:dpop-nonce-rotation.nonceLifetime=100ms`).
 */
export function applyVariant(s: Scenario, variant: string): Scenario {
  const out = structuredClone(s)
  const as = out.stack.authorizationServer
  if (variant === 'as:no-reuse-detection') as.refreshReuseDetection = false
  else if (variant === 'as:introspection-any-client') as.introspection = { anyClient: true }
  else if (variant === 'as:resources-allow-any') as.resources = { allowed: as.resources?.allowed ?? [], allowAny: true }
  else if (variant === 'client:assertion-aud=token-endpoint')
    for (const f of out.load.flows) f.assertionAudience = 'token-endpoint'
  else if (variant.startsWith('fault:')) {
    const [path, raw] = variant.slice(6).split('=') as [string, string]
    const [id, param] = path.split('.') as [string, string]
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {}
    for (const e of out.timeline) if (e.fault === id) e.params = { ...e.params, [param]: value }
  } else if (variant.startsWith('knob:')) {
    const [name, value] = variant.slice(5).split('=') as [string, string]
    for (const rs of out.stack.resourceServers) if (!rs.url) rs.options = { ...rs.options, [name]: JSON.parse(value) }
  } else for (const rs of out.stack.resourceServers) if (!rs.url) rs.profile = variant as never
  return out
}

/** Run one cell and compare what was observed with what was expected. */
export async function runCell(cell: MatrixCell, opts: { outDir?: string } = {}): Promise<CellResult> {
  const started = Date.now()
  try {
    const { scenario } = await loadScenario(join(ROOT, 'scenarios', `${cell.scenario}.yaml`))
    const run = applyVariant(shorten(scenario), cell.variant)
    const outcome = await runScenario(run, {
      outDir: opts.outDir ?? join(ROOT, 'reports', 'matrix'),
      reporters: ['json'],
      seed: 1,
    })
    const broken = outcome.verdict.slos.filter((x) => !x.pass && !x.noData).map((x) => x.id)
    const noData = outcome.verdict.slos.filter((x) => x.noData).map((x) => x.id)
    if (outcome.verdict.steadyState.before?.held === false || outcome.verdict.steadyState.after?.held === false)
      broken.push('steady-state')
    const first = outcome.verdict.slos.find((x) => x.id === cell.expectBroken[0])
    const attribution = first?.attribution
    const sameSet =
      noData.length === 0 &&
      (cell.expectBroken.length === 0
        ? broken.length === 0 && outcome.record.status === 'completed'
        : cell.expectBroken.every((id) => broken.includes(id)))
    const attributed = cell.expectAttribution ? cell.expectAttribution.test(attribution ?? '') : true
    // a run the harness could not finish says nothing about the profile: never "every SLO held"
    const errored =
      outcome.record.status === 'errored'
        ? {
            error: `run errored: ${outcome.record.error?.code ?? 'ERR_INTERNAL'}: ${outcome.record.error?.message ?? ''}`,
          }
        : {}
    return {
      ...errored,
      ...cell,
      broken,
      noData,
      ...(attribution ? { attribution } : {}),
      agrees: sameSet && attributed && !errored.error,
      durationMs: Date.now() - started,
      exitCode: outcome.exitCode,
    }
  } catch (err) {
    return {
      ...cell,
      broken: [],
      noData: [],
      agrees: false,
      durationMs: Date.now() - started,
      exitCode: 1,
      error: err instanceof Error ? err.message : String(err),
    }
  }
}

/** The Markdown table for the README. */
export function renderMatrix(results: CellResult[], when = new Date().toISOString().slice(0, 10)): string {
  const rows = results.map((r) => {
    const expected = r.expectBroken.length ? `${r.expectBroken.join(', ')} breaks` : 'every SLO holds'
    const held = r.broken.length
      ? `${r.broken.join(', ')} broke${r.attribution ? ` — ${r.attribution}` : ''}`
      : 'every SLO held'
    const observed = r.error
      ? `error: ${r.error}`
      : `${held}${r.noData.length ? ` (no data: ${r.noData.join(', ')})` : ''}`
    return `| ${r.scenario} | ${r.variant} | ${expected} | ${observed.replace(/\|/g, '\\|')} | ${r.agrees ? '✅' : '❌'} |`
  })
  return [
    `Game days at half length (\`--smoke\`'s scaling), embedded engine, process runtime (\`npx tsx scripts/matrix.ts\`, ${when}).`,
    '',
    '| game day | RS profile / AS variant | expected | observed | agrees |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

/** Replace the text between the matrix markers of a README. */
export function replaceBetweenMarkers(readme: string, table: string): string {
  const begin = '<!-- BEGIN matrix -->'
  const end = '<!-- END matrix -->'
  const i = readme.indexOf(begin)
  const j = readme.indexOf(end)
  if (i < 0 || j < i) return `${readme.trimEnd()}\n\n## Detection matrix\n\n${begin}\n${table}\n${end}\n`
  return `${readme.slice(0, i + begin.length)}\n${table}\n${readme.slice(j)}`
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
  const cells = CELLS.filter((c) => !only || c.scenario === only)
  const from = args.includes('--from') ? args[args.indexOf('--from') + 1] : undefined
  const results: CellResult[] = from ? (JSON.parse(await readFile(from, 'utf8')) as CellResult[]) : []
  for (const cell of from ? [] : cells) {
    const r = await runCell(cell)
    results.push(r)
    process.stderr.write(
      `${r.agrees ? 'ok ' : 'BAD'} ${cell.scenario} × ${cell.variant}: broken [${r.broken.join(', ')}] noData [${r.noData.join(', ')}] ${r.error ?? ''} (${Math.round(r.durationMs / 1000)}s)\n`,
    )
  }
  const table = renderMatrix(results)
  process.stdout.write(`${table}\n`)
  if (!from)
    await writeFile(join(ROOT, 'reports', 'matrix', 'last.json'), JSON.stringify(results, null, 2)).catch(() => {})
  if (args.includes('--write')) {
    const path = join(ROOT, 'README.md')
    const readme = await readFile(path, 'utf8').catch(() => '# oauth-gameday\n')
    await writeFile(path, replaceBetweenMarkers(readme, table))
  }
  process.exitCode = results.every((r) => r.agrees) ? 0 : 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
