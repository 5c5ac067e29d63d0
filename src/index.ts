/**
 * oauth-gameday as a library: load and run game days, or start the reference
 * stack inside your own test suite.
 *
 * @example
 * ```ts
 * import { startStack } from 'oauth-gameday'
 *
 * await using stack = await startStack({ resourceServers: [{ name: 'orders', profile: 'resilient' }] })
 * const { issuer, tokenEndpoint, clients, control } = stack.targets
 * await control.as?.rotate({ mode: 'sign-before-publish', unpublishedFor: '5s' })
 * ```
 */
import { Value } from '@sinclair/typebox/value'
import { GamedayError } from './errors.ts'
import { createLogger, silentLogger, type Logger } from './log.ts'
import { runtimes } from './runtime/index.ts'
import type { StartedStack } from './runtime/types.ts'
import { type ResourceServerConfig, type StackConfig, StackSection } from './scenario/schema.ts'

export { GamedayError, isGamedayError, errorCodes, ExitCode, type ErrorCode } from './errors.ts'
export { runScenario, type RunOptions, type RunOutcome, type RunProgress } from './runner.ts'
export { loadScenario, loadScenarios } from './scenario/load.ts'
export type { Scenario, StackConfig } from './scenario/schema.ts'
export type { RunRecord, LoadResult, ProbeResult, RunEvent } from './record.ts'
export type {
  Targets,
  StartedStack,
  AsControl,
  RsControl,
  CdnControl,
  ProxyControl,
  ClientCredentials,
  RsTarget,
} from './runtime/types.ts'
export type { Verdict, SloScore } from './slo/types.ts'
export { createLogger } from './log.ts'

/** A stack section with every default optional (filled from the schema), as {@link startStack} takes it. */
export interface StackInput {
  authorizationServer?: Partial<StackConfig['authorizationServer']>
  resourceServers?: Array<Partial<ResourceServerConfig> & Pick<ResourceServerConfig, 'name'>>
  jwksCdn?: Partial<NonNullable<StackConfig['jwksCdn']>>
  faultProxy?: Partial<NonNullable<StackConfig['faultProxy']>>
}

/** Options of {@link startStack}. */
export interface StartStackOptions {
  /** `process` (default) or `containers`. */
  runtime?: string
  signal?: AbortSignal
  /** A pino logger; default: silent. */
  log?: Logger
}

/**
 * Start the reference stack (mock-as, reference resource servers, CDN, fault
 * proxy) described by a stack section, with every default filled. Dispose it
 * (`await using`, or `stop()`) to stop every component.
 *
 * @example
 * ```ts
 * await using stack = await startStack({ jwksCdn: { ttl: '60s' } })
 * console.log(stack.targets.issuer)
 * ```
 */
export async function startStack(stack: StackInput = {}, options: StartStackOptions = {}): Promise<StartedStack> {
  const filled = Value.Default(StackSection, structuredClone({ authorizationServer: {}, ...stack })) as StackConfig
  if (!Value.Check(StackSection, filled)) {
    const first = [...Value.Errors(StackSection, filled)][0]
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `stack${first?.path.replace(/\//g, '.') ?? ''}: ${first?.message ?? 'invalid'}`,
    )
  }
  const runtimeId = options.runtime ?? 'process'
  const runtime = runtimes[runtimeId]
  if (!runtime) throw new GamedayError('ERR_UNKNOWN_UNIT', `unknown runtime ${JSON.stringify(runtimeId)}`)
  return await runtime.start(filled, {
    signal: options.signal ?? new AbortController().signal,
    log: options.log ?? (process.env.LOG_LEVEL ? createLogger({ name: 'stack' }) : silentLogger),
    seed: 1,
  })
}
