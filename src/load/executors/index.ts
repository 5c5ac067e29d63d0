/** The executor registry (k6 names, `executor:` in scenario YAML). */
import { constantArrivalRate } from './constant-arrival-rate.ts'
import { constantVus } from './constant-vus.ts'
import { rampingArrivalRate } from './ramping-arrival-rate.ts'
import type { ExecutorDefinition } from './types.ts'

export const executors: Record<string, ExecutorDefinition> = {
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
  'constant-vus': constantVus,
}
