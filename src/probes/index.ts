/** The probe registry: an explicit object, the key is the id used as `probe:` in YAML. */
import type { ProbeDefinition } from './types.ts'

export const probes: Record<string, ProbeDefinition> = {}
