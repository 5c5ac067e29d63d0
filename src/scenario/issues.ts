/**
 * A validation issue: where in the scenario (a path of keys and indexes),
 * what is wrong, and what to do. The loader turns paths into file:line:col
 * with the YAML document it kept; everything else only deals in paths.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml'
import { type ErrorCode, GamedayError } from '../errors.ts'

export type IssuePath = ReadonlyArray<string | number>

export interface Issue {
  path: IssuePath
  /** Short, lower-case, quotes the value: `must be >= 0 (got -5)`. */
  message: string
  hint?: string
  /** A more specific code than ERR_SCENARIO_INVALID (ERR_CAPABILITY_MISSING, ...). */
  code?: ErrorCode
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean
}

/** An issue with its place in a file. */
export interface LocatedIssue extends Issue {
  source: string
  line: number
  col: number
}

/** `timeline[1].params.latencyMs` */
export function formatPath(path: IssuePath): string {
  let out = ''
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`
  return out === '' ? '(root)' : out
}

/** `scenarios/x.yaml:14:5 timeline[1].params.latencyMs: must be >= 0 (got -5); hint` */
export function formatIssue(issue: LocatedIssue): string {
  const where = issue.path.length === 0 ? '' : `${formatPath(issue.path)}: `
  return `${issue.source}:${issue.line}:${issue.col} ${where}${issue.message}${issue.hint ? `; ${issue.hint}` : ''}`
}

/** Quote a value for a message: strings in double quotes, the rest as JSON. */
export function quote(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'string') return JSON.stringify(value)
  try {
    const s = JSON.stringify(value)
    return s.length > 60 ? `${s.slice(0, 57)}...` : s
  } catch {
    return String(value)
  }
}

/** Levenshtein distance, small strings only. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!
      prev[j] = a[i - 1] === b[j - 1] ? diag : 1 + Math.min(diag, prev[j]!, prev[j - 1]!)
      diag = tmp
    }
  }
  return prev[b.length]!
}

/** The candidate closest to `word`, when close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  const w = word.toLowerCase()
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d < bestD) {
      best = c
      bestD = d
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

/** `; did you mean "x"?` or a list of the valid values. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates)
  if (c !== undefined) return `did you mean ${quote(c)}?`
  return candidates.length <= 12 ? `expected one of ${candidates.join(', ')}` : ''
}

/**
 * Find the line and column of `path` in a parsed YAML document. Walks as far
 * as the document goes, so a missing key points at its parent.
 */
export function locate(doc: Document, lc: LineCounter, path: IssuePath, atKey = false): { line: number; col: number } {
  let node: Node | null = doc.contents as Node | null
  let keyNode: Node | null = null
  for (const seg of path) {
    keyNode = null
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg))
      if (!pair) break
      keyNode = pair.key as Node
      node = (pair.value as Node | null) ?? keyNode
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined
      if (!item) break
      node = item
    } else {
      break
    }
  }
  const target = atKey && keyNode ? keyNode : node
  const offset = target?.range?.[0] ?? 0
  const pos = lc.linePos(offset)
  return { line: pos.line, col: pos.col }
}

/** A scenario that failed validation: every issue, located. */
export class ScenarioInvalidError extends GamedayError {
  readonly issues: readonly LocatedIssue[]
  constructor(code: ErrorCode, message: string, issues: readonly LocatedIssue[], hint?: string) {
    super(code, message, { details: issues.map(formatIssue), ...(hint === undefined ? {} : { hint }) })
    this.issues = issues
  }
}

/**
 * One error for a list of issues: a specific code when every issue shares it
 * (ERR_CAPABILITY_MISSING, ERR_SCENARIO_SECRET_UNRESOLVED, ...), else ERR_SCENARIO_INVALID.
 */
export function issuesError(source: string, issues: readonly LocatedIssue[]): ScenarioInvalidError {
  const codes = new Set(issues.map((i) => i.code ?? 'ERR_SCENARIO_INVALID'))
  const code: ErrorCode = codes.size === 1 ? [...codes][0]! : 'ERR_SCENARIO_INVALID'
  const n = issues.length
  const message = `${source}: ${n} problem${n === 1 ? '' : 's'}`
  return new ScenarioInvalidError(code, message, issues)
}
