/** The SLO catalog: M1–M10 and S1, keyed by id. */
import type { SloDefinition } from './types.ts'

export const slos: Record<string, SloDefinition> = {}
