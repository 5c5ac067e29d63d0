/**
 * Night-to-night comparison of two runs (`oauth-gameday compare old new`):
 * which SLOs regressed or improved and by how much, per RS too (`M3 (billing)`)
 * for the SLOs scored per resource server. A pass↔fail flip always
 * counts; otherwise a measured value that moved by more than `threshold`
 * (10 % by default) in the objective's bad/good direction does.
 */
import type { RunRecord } from '../record/index.ts'
import { slos } from '../slo/index.ts'
import { formatValue, lowerIsBetter, parseThreshold, type Threshold } from '../slo/threshold.ts'
import type { SloScore, Verdict } from '../slo/types.ts'
import { maskSecrets } from '../util/secrets.ts'

export interface RunAndVerdict {
  record: RunRecord
  verdict: Verdict
}

export type ChangeKind = 'regressed' | 'improved' | 'unchanged' | 'added' | 'removed'

/** One SLO across the two runs. */
export interface SloChange {
  /** `M3` or `M3 (rs1)`. */
  key: string
  id: string
  title: string
  objective: string
  kind: ChangeKind
  oldMeasured: number | null
  newMeasured: number | null
  oldPass: boolean | null
  newPass: boolean | null
  /** new − old, in the objective's unit; null when either side has no data. */
  delta: number | null
  /** delta / |old|; null when old is 0 or missing. */
  relative: number | null
  /** One line: `M2 p95 rose 120ms → 340ms (+183%), now failing`. */
  summary: string
}

export interface CompareResult {
  oldRun: { runId: string; startedAt: string; pass: boolean; score: number }
  newRun: { runId: string; startedAt: string; pass: boolean; score: number }
  scoreDelta: number
  /**
   * Why the two runs may not be comparable: another scenario, an SLO whose
   * objective changed, another stack. Empty when they ran the same plan.
   */
  mismatches: string[]
  changes: SloChange[]
  regressions: SloChange[]
  improvements: SloChange[]
  text: string
  markdown: string
}

const keyOf = (s: SloScore) => (s.target ? `${s.id} (${s.target})` : s.id)

/** The scores to compare: each SLO, and each RS of a per-RS score as `M3 (billing)` (the key an entry with `target: billing` has). */
function comparable(v: Verdict): Map<string, SloScore> {
  const out = new Map<string, SloScore>()
  for (const s of v.slos) {
    for (const r of s.perRs ?? []) {
      const key = `${s.id} (${r.rs})`
      if (out.has(key)) continue
      const { perRs: _all, attribution: _why, firstBrokeAt: _at, ...rest } = s
      out.set(key, {
        ...rest,
        target: r.rs,
        measured: r.measured,
        pass: r.pass,
        noData: r.noData,
        margin: r.margin,
        budgetConsumed: null,
      })
    }
    // an explicit target entry wins over the breakdown of an untargeted one
    out.set(keyOf(s), s)
  }
  return out
}

function fmt(t: Threshold | undefined, v: number | null, id: string): string {
  return t ? formatValue(t, v, slos[id]?.unit) : v === null ? 'no data' : String(v)
}

function threshold(objective: string): Threshold | undefined {
  try {
    return parseThreshold(objective)
  } catch {
    return undefined
  }
}

function change(key: string, a: SloScore | undefined, b: SloScore | undefined, limit: number): SloChange {
  const ref = (b ?? a)!
  const t = threshold(ref.objective)
  const oldMeasured = a?.noData ? null : (a?.measured ?? null)
  const newMeasured = b?.noData ? null : (b?.measured ?? null)
  const delta = oldMeasured !== null && newMeasured !== null ? newMeasured - oldMeasured : null
  const relative = delta !== null && oldMeasured !== null && oldMeasured !== 0 ? delta / Math.abs(oldMeasured) : null
  const base = {
    key,
    id: ref.id,
    title: ref.title,
    objective: ref.objective,
    oldMeasured,
    newMeasured,
    oldPass: a?.pass ?? null,
    newPass: b?.pass ?? null,
    delta,
    relative,
  }
  const values = `${fmt(t, oldMeasured, ref.id)} → ${fmt(t, newMeasured, ref.id)}${relative !== null ? ` (${relative >= 0 ? '+' : ''}${Math.round(relative * 100)}%)` : ''}`
  if (!a)
    return {
      ...base,
      kind: 'added',
      summary: `${key} ${ref.title}: new in this run, ${b!.pass ? 'passing' : 'failing'} at ${fmt(t, newMeasured, ref.id)}`,
    }
  if (!b)
    return {
      ...base,
      kind: 'removed',
      summary: `${key} ${ref.title}: no longer scored (was ${a.pass ? 'passing' : 'failing'})`,
    }
  let kind: ChangeKind = 'unchanged'
  let why = ''
  if (a.pass && !b.pass) {
    kind = 'regressed'
    why = ', now failing'
  } else if (!a.pass && b.pass) {
    kind = 'improved'
    why = ', now passing'
  } else if (delta !== null && delta !== 0 && t) {
    const worse = lowerIsBetter(t) ? delta > 0 : delta < 0
    // with no baseline to scale by (old = 0), any move of a count or rate is significant
    const big = relative === null ? true : Math.abs(relative) > limit
    if (big) kind = worse ? 'regressed' : 'improved'
  }
  return { ...base, kind, summary: `${key} ${ref.title}: ${values}${why}` }
}

/** The stack a record ran against, as a stable string (its scenario's `stack` section). */
function stackOf(r: RunAndVerdict): string {
  const scenario = r.record.scenario as { stack?: unknown } | undefined
  return JSON.stringify(scenario?.stack ?? null, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  )
}

/** What differs between the plans of two runs, one sentence each. */
export function planMismatches(oldRun: RunAndVerdict, newRun: RunAndVerdict): string[] {
  const out: string[] = []
  if (oldRun.record.scenarioId !== newRun.record.scenarioId) {
    out.push(
      `different scenarios: ${JSON.stringify(oldRun.record.scenarioId)} then ${JSON.stringify(newRun.record.scenarioId)}`,
    )
  }
  const objectives = new Map(oldRun.verdict.slos.map((s) => [keyOf(s), s.objective]))
  for (const s of newRun.verdict.slos) {
    const before = objectives.get(keyOf(s))
    if (before !== undefined && before !== s.objective)
      out.push(`${keyOf(s)}: the objective changed from ${before} to ${s.objective}`)
  }
  if (stackOf(oldRun) !== stackOf(newRun))
    out.push("different stacks: the scenarios' stack sections differ (components, profiles or options)")
  return out
}

/**
 * Compare two runs of (usually) the same scenario.
 *
 * @example
 * const { text, regressions } = compareRuns(readRunJson(oldPath), readRunJson(newPath))
 * if (regressions.length) process.exitCode = 99
 */
export function compareRuns(
  oldRun: RunAndVerdict,
  newRun: RunAndVerdict,
  opts: { threshold?: number } = {},
): CompareResult {
  const limit = opts.threshold ?? 0.1
  const a = comparable(oldRun.verdict)
  const b = comparable(newRun.verdict)
  const keys = [...new Set([...a.keys(), ...b.keys()])]
  const changes = keys.map((k) => change(k, a.get(k), b.get(k), limit))
  const regressions = changes.filter((c) => c.kind === 'regressed')
  const improvements = changes.filter((c) => c.kind === 'improved')
  const added = changes.filter((c) => c.kind === 'added')
  const removed = changes.filter((c) => c.kind === 'removed')
  const mismatches = planMismatches(oldRun, newRun)
  const scoreDelta = newRun.verdict.score - oldRun.verdict.score
  const head = (r: RunAndVerdict) => ({
    runId: r.record.runId,
    startedAt: r.record.startedAt,
    pass: r.verdict.pass,
    score: r.verdict.score,
  })
  const pctScore = (v: number) => `${Math.round(v * 100)}%`
  const verdictWord = (r: RunAndVerdict) => (r.verdict.pass ? 'PASS' : 'FAIL')
  const ids =
    oldRun.record.scenarioId === newRun.record.scenarioId
      ? newRun.record.scenarioId
      : `${oldRun.record.scenarioId} → ${newRun.record.scenarioId}`
  const title = `${ids}: ${oldRun.record.runId} (${verdictWord(oldRun)}, ${pctScore(oldRun.verdict.score)}) → ${newRun.record.runId} (${verdictWord(newRun)}, ${pctScore(newRun.verdict.score)})`
  const scoreLine = `score ${scoreDelta >= 0 ? '+' : ''}${Math.round(scoreDelta * 100)} points; ${regressions.length} regressed, ${improvements.length} improved`
  const text = [
    title,
    ...mismatches.map((m) => `warning: ${m}`),
    scoreLine,
    ...(regressions.length ? ['regressed:', ...regressions.map((c) => `  - ${c.summary}`)] : []),
    ...(improvements.length ? ['improved:', ...improvements.map((c) => `  + ${c.summary}`)] : []),
    ...(removed.length ? ['removed:', ...removed.map((c) => `  x ${c.summary}`)] : []),
    ...(added.length ? ['added:', ...added.map((c) => `  * ${c.summary}`)] : []),
    '',
  ].join('\n')
  const cellOf = (s: string) => s.replace(/\|/g, '\\|')
  const markdown = [
    `## ${cellOf(title)}`,
    '',
    ...(mismatches.length ? [...mismatches.map((m) => `> ⚠️ ${m}`), ''] : []),
    scoreLine,
    '',
    '| SLO | objective | old | new | change | |',
    '|---|---|---|---|---|---|',
    ...changes.map((c) => {
      const t = threshold(c.objective)
      const rel = c.relative === null ? '–' : `${c.relative >= 0 ? '+' : ''}${Math.round(c.relative * 100)}%`
      const mark = c.kind === 'regressed' ? '🔻 regressed' : c.kind === 'improved' ? '🔺 improved' : c.kind
      return `| ${cellOf(`${c.key} ${c.title}`)} | \`${cellOf(c.objective)}\` | ${fmt(t, c.oldMeasured, c.id)}${c.oldPass === false ? ' ❌' : ''} | ${fmt(t, c.newMeasured, c.id)}${c.newPass === false ? ' ❌' : ''} | ${rel} | ${mark} |`
    }),
    '',
  ].join('\n')
  return {
    oldRun: head(oldRun),
    newRun: head(newRun),
    scoreDelta,
    mismatches,
    changes,
    regressions,
    improvements,
    text: maskSecrets(text),
    markdown: maskSecrets(markdown),
  }
}
