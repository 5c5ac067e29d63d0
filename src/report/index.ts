/** The reporter registry, keyed by id (`--reporter json,junit`). */
import type { ReporterDefinition } from './types.ts'

export const reporters: Record<string, ReporterDefinition> = {}
