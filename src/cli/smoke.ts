/** `--smoke` for run and plan: the scenario at a quarter of its length, re-checked. */
import { GamedayError } from '../errors.ts'
import { faults } from '../faults/index.ts'
import { checkRules } from '../scenario/rules.ts'
import type { Scenario } from '../scenario/schema.ts'
import { smoke } from '../scenario/smoke.ts'
import { parseDuration } from '../util/duration.ts'

/** Each fault's own length, from its definition, for entries without a `duration`. */
export const smokeDefaults = {
  defaultFaultMs: (id: string) => parseDuration(faults[id]?.defaultDuration ?? ''),
}

/** The smoke plan of a validated scenario; refused (ERR_SCENARIO_INVALID) if shortening broke a rule. */
export function smokePlan(scenario: Scenario): Scenario {
  const s = smoke(scenario, smokeDefaults)
  const issues = checkRules(s)
  if (issues.length > 0) {
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `${scenario.id}: the --smoke plan (a quarter of its length) breaks the scenario rules`,
      {
        details: issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        hint: 'run it without --smoke, or lengthen the parts named so a quarter of them still fits',
      },
    )
  }
  return s
}
