/** `list [what]`: the registered units, as id + summary tables. */
import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { GamedayError } from '../../errors.ts'
import { out, table } from '../output.ts'

export const LISTABLE = [
  'scenarios',
  'faults',
  'probes',
  'slos',
  'profiles',
  'engines',
  'runtimes',
  'reporters',
] as const
type Listable = (typeof LISTABLE)[number]

const DEFAULT_DIR = 'scenarios/'

const firstSentence = (s: string) => s.split(/(?<=\.)\s/)[0] ?? s

/** A unit's parameters as `name=default` (or `name?` when it has none), for the tables. */
export function paramsText(params: unknown): string {
  const props = (params as { properties?: Record<string, { default?: unknown }> }).properties ?? {}
  const list = Object.entries(props).map(([k, s]) =>
    s.default === undefined ? `${k}?` : `${k}=${typeof s.default === 'string' ? s.default : JSON.stringify(s.default)}`,
  )
  return list.length > 0 ? list.join(' ') : '-'
}

function unitRows(registry: Record<string, { summary: string }>): string[][] {
  return Object.entries(registry)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, u]) => [id, u.summary])
}

async function rows(what: Listable, dir: string): Promise<{ header: string[]; rows: string[][]; empty: string }> {
  switch (what) {
    case 'faults': {
      const { faults } = await import('../../faults/index.ts')
      return {
        header: ['id', 'default duration', 'params (default)', 'summary'],
        rows: Object.entries(faults)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([id, f]) => [id, f.defaultDuration, paramsText(f.params), f.summary]),
        empty: 'no faults registered',
      }
    }
    case 'probes': {
      const { probes } = await import('../../probes/index.ts')
      return {
        header: ['id', 'params (default)', 'summary'],
        rows: Object.entries(probes)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([id, p]) => [id, paramsText(p.params), p.summary]),
        empty: 'no probes registered',
      }
    }
    case 'engines':
      return {
        header: ['id', 'summary'],
        rows: unitRows((await import('../../load/index.ts')).engines),
        empty: 'no load engines registered',
      }
    case 'runtimes':
      return {
        header: ['id', 'summary'],
        rows: unitRows((await import('../../runtime/index.ts')).runtimes),
        empty: 'no runtimes registered',
      }
    case 'reporters':
      return {
        header: ['id', 'summary'],
        rows: unitRows((await import('../../report/index.ts')).reporters),
        empty: 'no reporters registered',
      }
    case 'slos': {
      const { slos } = await import('../../slo/index.ts')
      return {
        header: ['id', 'objective', 'window', 'severity', 'title'],
        rows: Object.entries(slos)
          .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
          .map(([id, s]) => [id, s.objective, s.window, s.severity, s.title]),
        empty: 'no SLOs registered',
      }
    }
    case 'profiles': {
      const { profiles } = await import('../../../mock-rs/profiles.ts')
      return {
        header: ['id', 'summary'],
        rows: Object.entries(profiles).map(([id, p]) => [id, firstSentence(p.summary)]),
        empty: 'no resource-server profiles available',
      }
    }
    case 'scenarios': {
      const { expandScenarioPaths, loadScenario, SHIPPED_SCENARIOS } = await import('../../scenario/load.ts')
      // the default folder, when there is none here, is the one the package ships
      if (dir === DEFAULT_DIR && !(await stat(dir).catch(() => undefined))) dir = SHIPPED_SCENARIOS
      const files = await expandScenarioPaths([dir]).catch(() => [] as string[])
      const r: string[][] = []
      for (const file of files) {
        try {
          const { scenario } = await loadScenario(file, { skipSecrets: true })
          r.push([scenario.id, scenario.title])
        } catch (e) {
          r.push([
            file,
            `(invalid: ${e instanceof GamedayError ? e.code : 'error'}; run \`oauth-gameday validate ${file}\`)`,
          ])
        }
      }
      return { header: ['id', 'title'], rows: r, empty: `no scenarios in ${dir}` }
    }
  }
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description(`list what is available: ${LISTABLE.join(', ')} (all of them when none is named)`)
    .argument('[what]', LISTABLE.join('|'))
    .option(
      '--dir <dir>',
      'where to look for scenarios (default: ./scenarios/, else the ones the package ships)',
      DEFAULT_DIR,
    )
    .action(async (what: string | undefined, opts: { dir: string }) => {
      if (what !== undefined && !(LISTABLE as readonly string[]).includes(what)) {
        const { suggestion } = await import('../../scenario/issues.ts')
        throw new GamedayError('ERR_CLI_USAGE', `list: unknown kind ${JSON.stringify(what)}`, {
          hint: suggestion(what, LISTABLE),
        })
      }
      const kinds = what === undefined ? LISTABLE : [what as Listable]
      for (const [i, kind] of kinds.entries()) {
        const t = await rows(kind, opts.dir)
        if (kinds.length > 1) out(`${i > 0 ? '\n' : ''}${kind}:`)
        out(t.rows.length === 0 ? t.empty : table(t.rows, t.header))
      }
    })
}
