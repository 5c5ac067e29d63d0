/** The fault registry: an explicit object, the key is the id used as `fault:` in YAML. */
import type { FaultDefinition } from './types.ts'

export const faults: Record<string, FaultDefinition> = {}
