/**
 * Loading a scenario is read → parse → fill defaults → schema → cross-field
 * rules → secrets. Every stage collects every issue with file:line:col (from
 * the YAML document kept alongside the data) and the whole list is thrown as
 * one error, so a user fixes a file in one pass.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { GamedayError, isGamedayError } from '../errors.ts'
import { PACKAGE_ROOT } from '../util/package-root.ts'
import { type Issue, issuesError, type LocatedIssue, locate, ScenarioInvalidError } from './issues.ts'
import { checkRules, type Registries } from './rules.ts'
import { type Scenario, ScenarioSchema } from './schema.ts'
import { schemaIssues, withDefaults } from './schema-errors.ts'
import { resolveScenarioSecrets } from './secrets.ts'

/** A validated scenario with defaults filled, and where it came from. */
export interface LoadedScenario {
  scenario: Scenario
  /** The path it was read from (as given). */
  source: string
  /** The resolved secret values (already registered with the masker). */
  secrets: string[]
}

export interface ParseOptions {
  /** Override the unit registries (tests). */
  registries?: Registries
  /** Skip resolving `{ env }` / `{ file }` secrets (validate without the environment). */
  skipSecrets?: boolean
}

const YAML_EXT = new Set(['.yaml', '.yml'])

/**
 * Parse and validate scenario YAML. Throws ERR_SCENARIO_PARSE for YAML syntax
 * errors, and ERR_SCENARIO_INVALID (or a more specific code shared by every
 * issue, such as ERR_CAPABILITY_MISSING) listing every issue as `file:line:col path: message`.
 *
 * @example
 * ```ts
 * const { scenario } = parseScenario(text, 'scenarios/bad-key-rotation.yaml')
 * ```
 */
export function parseScenario(text: string, source: string, options: ParseOptions = {}): LoadedScenario {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const issues: LocatedIssue[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0])
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
      return {
        source,
        line: pos.line,
        col: pos.col,
        path: [],
        message: message.charAt(0).toLowerCase() + message.slice(1),
        code: 'ERR_SCENARIO_PARSE',
      }
    })
    throw new ScenarioInvalidError('ERR_SCENARIO_PARSE', `${source}: not valid YAML`, issues)
  }
  const place = (issues: readonly Issue[]): LocatedIssue[] =>
    issues.map((i) => ({ ...i, source, ...locate(doc, lc, i.path, i.atKey) }))
  const fail = (issues: readonly Issue[]): never => {
    throw issuesError(source, place(issues))
  }

  const raw: unknown = doc.toJS()
  if (raw === null || raw === undefined)
    fail([{ path: [], message: 'is empty', hint: 'a scenario needs at least id, title, stack and load' }])
  if (typeof raw !== 'object' || Array.isArray(raw))
    fail([{ path: [], message: 'must be a mapping of keys (id, title, stack, load, ...)' }])

  const scenario = withDefaults<Scenario>(ScenarioSchema, raw)
  const issues = schemaIssues(ScenarioSchema, scenario)
  const ext = extname(source)
  if (YAML_EXT.has(ext) && typeof scenario.id === 'string') {
    const stem = basename(source, ext)
    if (scenario.id !== stem)
      issues.push({
        path: ['id'],
        message: `must equal the file stem ${JSON.stringify(stem)} (got ${JSON.stringify(scenario.id)})`,
        hint: `rename the file to ${scenario.id}${ext} or set id: ${stem}`,
      })
  }
  if (issues.length > 0) fail(issues)

  // the rules read typed data, so they run on a scenario the schema accepted
  const ruleIssues = checkRules(scenario, options.registries)
  if (ruleIssues.length > 0) fail(ruleIssues)

  let secrets: string[] = []
  if (!options.skipSecrets) {
    const resolved = resolveScenarioSecrets(scenario)
    if (resolved.issues.length > 0) fail(resolved.issues)
    secrets = resolved.values
  }
  return { scenario, source, secrets }
}

/** Read, parse and validate one scenario file. See {@link parseScenario}. */
export async function loadScenario(path: string, options: ParseOptions = {}): Promise<LoadedScenario> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new GamedayError('ERR_SCENARIO_NOT_FOUND', `${path}: cannot read the scenario file`, { cause })
  }
  return parseScenario(text, path, options)
}

/** The game days the package ships (scenarios/ beside package.json). */
export const SHIPPED_SCENARIOS = join(PACKAGE_ROOT, 'scenarios')
const SCENARIO_ID = /^[a-z0-9][a-z0-9-]*$/

/**
 * Expand paths to scenario files: a directory gives every `*.yaml` / `*.yml`
 * in it (not recursive), sorted by name; a file gives itself; a bare id that
 * is no file here names a scenario the package ships.
 */
export async function expandScenarioPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const given of paths) {
    let p = given
    let st = await stat(p).catch(() => undefined)
    if (!st && SCENARIO_ID.test(p)) {
      // a bare id names a game day the package ships (`oauth-gameday run baseline` from anywhere)
      const shipped = join(SHIPPED_SCENARIOS, `${p}.yaml`)
      st = await stat(shipped).catch(() => undefined)
      if (st) p = shipped
    }
    if (!st) {
      throw new GamedayError(
        'ERR_SCENARIO_NOT_FOUND',
        `${given}: no such file or directory${SCENARIO_ID.test(given) ? ', nor the id of a shipped scenario' : ''}`,
        {
          hint: `give a path to a .yaml file or a directory, or the id of a shipped game day (\`oauth-gameday list scenarios\`; they are in ${SHIPPED_SCENARIOS})`,
        },
      )
    }
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => YAML_EXT.has(extname(n))).sort()
      if (names.length === 0)
        throw new GamedayError('ERR_SCENARIO_NOT_FOUND', `${p}: the directory holds no .yaml file`)
      out.push(...names.map((n) => join(p, n)))
    } else {
      out.push(p)
    }
  }
  return out
}

/**
 * Load every scenario under `paths` (directories expand to their `*.yaml`,
 * sorted). All files are checked; when any fails, one error lists the issues
 * of every failing file.
 */
export async function loadScenarios(paths: readonly string[], options: ParseOptions = {}): Promise<LoadedScenario[]> {
  const files = await expandScenarioPaths(paths)
  const loaded: LoadedScenario[] = []
  const failures: GamedayError[] = []
  for (const file of files) {
    try {
      loaded.push(await loadScenario(file, options))
    } catch (err) {
      if (!isGamedayError(err)) throw err
      failures.push(err)
    }
  }
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) {
    const codes = new Set(failures.map((f) => f.code))
    const code = codes.size === 1 ? failures[0]!.code : 'ERR_SCENARIO_INVALID'
    const details = failures.flatMap((f) => (f.details.length > 0 ? f.details : [f.message]))
    throw new GamedayError(code, `${failures.length} of ${files.length} scenarios are invalid`, { details })
  }
  return loaded
}
