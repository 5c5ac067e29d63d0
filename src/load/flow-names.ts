/** The naming rule of flows in reports, shared by both engines. */
import type { FlowConfig } from '../scenario/schema.ts'

/**
 * Flow names: `name:` or the flow id, numbered when an id repeats.
 *
 * @example flowNames([{ flow: 'api-call' }, { flow: 'api-call' }]) // ['api-call', 'api-call-2']
 */
export function flowNames(list: readonly Pick<FlowConfig, 'flow' | 'name'>[]): string[] {
  const seen = new Map<string, number>()
  return list.map((f) => {
    if (f.name) return f.name
    const n = (seen.get(f.flow) ?? 0) + 1
    seen.set(f.flow, n)
    return n === 1 ? f.flow : `${f.flow}-${n}`
  })
}
