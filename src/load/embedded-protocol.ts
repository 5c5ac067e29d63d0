/** Messages between the embedded engine (main thread) and its worker. */
import type { LoadResult } from '../record/index.ts'
import type { Targets } from '../runtime/types.ts'
import type { LoadConfig } from '../scenario/schema.ts'
import type { LoadProgress } from './types.ts'

/** Targets without control handles and feeds (functions cannot cross threads). */
export type PlainTargets = Omit<Targets, 'control' | 'feeds'> & { control: Record<string, never>; feeds: [] }

export interface WorkerInput {
  plan: LoadConfig
  targets: PlainTargets
  seed: number
  /** Origins named explicitly as external components. */
  externalOrigins: string[]
  /** Seeded uniform jitter of arrivals, share of the gap (0 = none). */
  jitter: number
  /** The run folder, for flow artefacts (failure screenshots). */
  artifactsDir?: string
}

export type WorkerMessage =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'secrets'; values: string[] }
  | { type: 'ready' }
  | { type: 'client-clock-set'; offsetMs: number }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string; code?: string }

/** `input` goes to a worker booted ahead of its plan (see `prebootEmbedded`); the others to any worker. */
export type MainMessage =
  | { type: 'abort' }
  | { type: 'start'; startAt?: number }
  | { type: 'input'; input: WorkerInput }
  /** Offset of the clients' clock (DPoP proof `iat`), from a dpop-client-clock-skew fault; acknowledged by `client-clock-set`. */
  | { type: 'client-clock'; offsetMs: number }
