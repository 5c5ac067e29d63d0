/**
 * Secrets in a scenario are references (`{ env: NAME }`, `{ file: path }`),
 * never literals. Resolving one registers its value with the masker, so it
 * cannot reach a log line or a report in clear.
 */
import { resolveSecretRef } from '../util/secret-ref.ts'
import type { Issue } from './issues.ts'
import type { Scenario, SecretRef } from './schema.ts'
import { isGamedayError } from '../errors.ts'

/**
 * Resolve a secret reference to its value (registered with `registerSecret`).
 * Throws ERR_SCENARIO_SECRET_UNRESOLVED when the variable is unset or the file unreadable.
 *
 * @example resolveSecret({ env: 'MY_CLIENT_SECRET' })
 */
export function resolveSecret(ref: SecretRef, where = 'secret'): string {
  return resolveSecretRef(ref, where)
}

/** Every secret reference in a scenario, with its path. */
export function secretRefs(scenario: Scenario): Array<{ path: Issue['path']; ref: SecretRef }> {
  const out: Array<{ path: Issue['path']; ref: SecretRef }> = []
  const ext = scenario.stack.authorizationServer.external
  if (!ext) return out
  ext.clients.forEach((c, i) => {
    if (c.clientSecret)
      out.push({
        path: ['stack', 'authorizationServer', 'external', 'clients', i, 'clientSecret'],
        ref: c.clientSecret,
      })
  })
  ext.users.forEach((u, i) => {
    out.push({ path: ['stack', 'authorizationServer', 'external', 'users', i, 'password'], ref: u.password })
  })
  return out
}

/** Resolve every reference; values go to `values`, failures become issues. */
export function resolveScenarioSecrets(scenario: Scenario): { values: string[]; issues: Issue[] } {
  const values: string[] = []
  const issues: Issue[] = []
  for (const { path, ref } of secretRefs(scenario)) {
    try {
      values.push(resolveSecret(ref))
    } catch (err) {
      if (!isGamedayError(err)) throw err
      const what =
        'env' in ref
          ? `environment variable ${ref.env} is not set`
          : `cannot read secret file ${JSON.stringify(ref.file)}`
      issues.push({ path, message: what, hint: err.hint, code: 'ERR_SCENARIO_SECRET_UNRESOLVED' })
    }
  }
  return { values, issues }
}
