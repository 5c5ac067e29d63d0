/** The runtime registry (`--runtime process|containers|external`). */
import type { RuntimeDefinition } from './types.ts'

export const runtimes: Record<string, RuntimeDefinition> = {}
