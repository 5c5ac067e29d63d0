/**
 * `constant-vus` (k6): a closed model. `vus` virtual users each loop over
 * iterations back to back for the duration; a slow server slows the load
 * down with it (which is why the open model is the default for SLOs).
 */
import type { ExecutorDefinition } from './types.ts'

export const constantVus: ExecutorDefinition = {
  id: 'constant-vus',
  summary: 'closed model: `vus` virtual users loop over iterations back to back',
  model: 'closed',
  vus(flow) {
    const n = flow.vus ?? 1
    return { preAllocated: n, max: n }
  },
}
