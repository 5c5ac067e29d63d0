/** The load engine registry (`--engine embedded|k6`). */
import type { LoadEngineDefinition } from './types.ts'

export const engines: Record<string, LoadEngineDefinition> = {}
