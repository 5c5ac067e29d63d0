/**
 * TypeBox validation errors → issues with k6-style messages that state the
 * limit and the value: `must be >= 0 (got -5)`, `unknown key; did you mean
 * "duration"?`, `must be a duration like 15s (got 15)`.
 */
import { type TSchema, Kind } from '@sinclair/typebox'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import { DURATION_PATTERN } from '../util/duration.ts'
import { type Issue, quote, suggestion } from './issues.ts'

/** `/timeline/1/params/x` → ['timeline', 1, 'params', 'x'] */
export function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '' || pointer === '/') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

function literalValues(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined
  const values: string[] = []
  for (const s of anyOf) {
    const c = (s as { const?: unknown }).const
    if (s[Kind] !== 'Literal' || c === undefined) return undefined
    values.push(String(c))
  }
  return values
}

function isSecretRefUnion(schema: TSchema): boolean {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf
  return (
    Array.isArray(anyOf) &&
    anyOf.some((s) => (s as { properties?: Record<string, unknown> }).properties?.env !== undefined)
  )
}

const typeName: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.String]: 'a string',
  [ValueErrorType.Integer]: 'an integer',
  [ValueErrorType.Number]: 'a number',
  [ValueErrorType.Boolean]: 'true or false',
  [ValueErrorType.Array]: 'a list',
  [ValueErrorType.Object]: 'a mapping',
}

/** Turn one TypeBox error into an issue (undefined: an error already covered by another). */
export function issueFromError(e: ValueError): Issue | undefined {
  const path = pointerToPath(e.path)
  const schema = e.schema as TSchema & Record<string, unknown>
  if (
    schema.pattern === DURATION_PATTERN &&
    (e.type === ValueErrorType.String || e.type === ValueErrorType.StringPattern)
  ) {
    const hint =
      typeof e.value === 'number' || (typeof e.value === 'string' && /^\d+(\.\d+)?$/.test(e.value))
        ? `write the unit: "${e.value}s" or "${e.value}ms"`
        : 'units: us, ms, s, m, h, d'
    return { path, message: `must be a duration like 15s (got ${quote(e.value)})`, hint }
  }
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = String(path[path.length - 1])
      const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {})
      const hint = suggestion(key, known)
      return { path, message: 'unknown key', atKey: true, ...(hint ? { hint } : {}) }
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { path, message: 'is required' }
    case ValueErrorType.Union: {
      const values = literalValues(schema)
      if (values) {
        const hint = typeof e.value === 'string' ? suggestion(e.value, values) : `expected one of ${values.join(', ')}`
        return {
          path,
          message: `must be one of ${values.join(', ')} (got ${quote(e.value)})`,
          ...(hint ? { hint } : {}),
        }
      }
      if (isSecretRefUnion(schema)) {
        return {
          path,
          message: `must be a secret reference { env: NAME } or { file: path } (got ${typeof e.value === 'string' ? 'a literal string' : quote(e.value)})`,
          hint: 'secrets are never written in a scenario',
        }
      }
      return { path, message: `does not match any allowed shape (got ${quote(e.value)})` }
    }
    case ValueErrorType.StringPattern:
      return {
        path,
        message: `must match ${String(schema.pattern)} (got ${quote(e.value)})`,
        ...(schema.pattern === '^[a-z0-9][a-z0-9-]*$' ? { hint: 'use lower-case letters, digits and dashes' } : {}),
      }
    case ValueErrorType.StringMinLength:
      return {
        path,
        message:
          schema.minLength === 1
            ? 'must not be empty'
            : `must be at least ${String(schema.minLength)} characters (got ${quote(e.value)})`,
      }
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return { path, message: `must be >= ${String(schema.minimum)} (got ${quote(e.value)})` }
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return { path, message: `must be <= ${String(schema.maximum)} (got ${quote(e.value)})` }
    case ValueErrorType.ArrayMinItems:
      return { path, message: `must have at least ${String(schema.minItems)} item${schema.minItems === 1 ? '' : 's'}` }
    case ValueErrorType.Literal:
      return { path, message: `must be ${quote(schema.const)} (got ${quote(e.value)})` }
    default: {
      const t = typeName[e.type]
      if (t) return { path, message: `must be ${t} (got ${quote(e.value)})` }
      return { path, message: `${e.message.toLowerCase()} (got ${quote(e.value)})` }
    }
  }
}

/**
 * Every schema issue of `value` against `schema`, one per path (TypeBox may
 * report a missing key and then its type; the first says it best).
 */
export function schemaIssues(schema: TSchema, value: unknown, prefix: ReadonlyArray<string | number> = []): Issue[] {
  const seen = new Set<string>()
  const out: Issue[] = []
  for (const e of Value.Errors(schema, value)) {
    const issue = issueFromError(e)
    if (!issue) continue
    const key = JSON.stringify(issue.path)
    if (seen.has(key)) continue
    // a child of a path already reported (e.g. union members) adds nothing
    if ([...seen].some((s) => s !== '[]' && key.startsWith(`${s.slice(0, -1)},`))) continue
    seen.add(key)
    out.push({ ...issue, path: [...prefix, ...issue.path] })
  }
  return out
}

/** Fill defaults from the schema into a copy of `value` (defaults live only in the schema). */
export function withDefaults<T>(schema: TSchema, value: unknown): T {
  return Value.Default(schema, structuredClone(value)) as T
}
