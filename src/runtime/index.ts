/** The runtime registry (`--runtime process|containers|external`). */
import { containersRuntime } from './containers.ts'
import { externalRuntime } from './external.ts'
import { processRuntime } from './process.ts'
import type { RuntimeDefinition } from './types.ts'

export const runtimes: Record<string, RuntimeDefinition> = {
  process: processRuntime,
  containers: containersRuntime,
  external: externalRuntime,
}
