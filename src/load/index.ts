/** The load engine registry (`--engine embedded|k6`). */
import { embedded } from './embedded.ts'
import { k6Engine } from './k6.ts'
import type { LoadEngineDefinition } from './types.ts'

export const engines: Record<string, LoadEngineDefinition> = {
  embedded,
  k6: k6Engine,
}
