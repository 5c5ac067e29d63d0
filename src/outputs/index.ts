/**
 * The metrics outputs of `run --out-metrics <id>=<arg>`, by id (k6's `--out`
 * vocabulary: `json=FILE`, `prometheus-rw=URL`).
 */
import { json } from './json.ts'
import { prometheusRw } from './prometheus-rw.ts'
import type { MetricsOutputDefinition } from './types.ts'

export const outputs: Record<string, MetricsOutputDefinition> = {
  json,
  'prometheus-rw': prometheusRw,
}

/** The accepted forms, for messages and help: `json=FILE, prometheus-rw=URL`. */
export function acceptedOutputForms(): string {
  return Object.values(outputs)
    .map((o) => `${o.id}=${o.argument}`)
    .join(', ')
}

/**
 * Parse one `--out-metrics` value; throws an Error whose message names the accepted forms.
 *
 * @example parseOutputSpec('json=metrics.jsonl') // { id: 'json', arg: 'metrics.jsonl' }
 */
export function parseOutputSpec(value: string): { id: string; arg: string } {
  const eq = value.indexOf('=')
  const id = eq < 0 ? value : value.slice(0, eq)
  const arg = eq < 0 ? '' : value.slice(eq + 1)
  const def = Object.hasOwn(outputs, id) ? outputs[id] : undefined
  if (!def || eq < 0)
    throw new Error(
      `--out-metrics: ${def ? `${id} needs a value` : `unknown output ${JSON.stringify(id)}`} (got ${JSON.stringify(value)}, expected one of ${acceptedOutputForms()})`,
    )
  try {
    def.check(arg)
  } catch (err) {
    throw new Error(`--out-metrics ${id}: ${(err as Error).message} (got ${JSON.stringify(value)})`)
  }
  return { id, arg }
}

export type { MetricsOutputDefinition } from './types.ts'
