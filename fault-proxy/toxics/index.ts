/**
 * The toxics of the HTTP fault proxy, registered by type (an explicit
 * object, no discovery). A new toxic is one file here and one line below.
 */
import type { ToxicType } from '../control.ts'
import { error } from './error.ts'
import { latency } from './latency.ts'
import { rateLimit } from './rate-limit.ts'
import { reset } from './reset.ts'
import { slowBody } from './slow-body.ts'
import { timeout } from './timeout.ts'
import type { ToxicDefinition } from './types.ts'

export type { ToxicContext, ToxicDefinition, ToxicVerdict } from './types.ts'

/** Every toxic, keyed by its type. */
export const toxics: Record<ToxicType, ToxicDefinition> = {
  latency: latency as unknown as ToxicDefinition,
  error: error as unknown as ToxicDefinition,
  'rate-limit': rateLimit as unknown as ToxicDefinition,
  timeout: timeout as unknown as ToxicDefinition,
  reset: reset as unknown as ToxicDefinition,
  'slow-body': slowBody as unknown as ToxicDefinition,
}
