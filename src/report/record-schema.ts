/**
 * The published JSON Schema of `run.json` (`{ schemaVersion, record, verdict }`),
 * declared once in TypeBox: it validates `readRunJson` input and is written
 * to `schema/run-record.schema.json` by {@link writeRunRecordSchema}; a test
 * keeps the file and this source in step.
 */
import { writeFileSync } from 'node:fs'
import { type Static, Type } from '@sinclair/typebox'

const Num = Type.Number()
const NullableNum = Type.Union([Type.Number(), Type.Null()])
const Window = Type.Tuple([Type.Number(), Type.Number()])
const Severity = Type.Union([Type.Literal('critical'), Type.Literal('major'), Type.Literal('minor')])
const SloWindow = Type.Union([
  Type.Literal('run'),
  Type.Literal('steady-state'),
  Type.Literal('fault'),
  Type.Literal('recovery'),
])
const StringMap = Type.Record(Type.String(), Type.String())

const Bucket = Type.Object(
  {
    s: Type.Integer({ minimum: 0, description: 'second index since t0' }),
    count: Type.Integer({ minimum: 0 }),
    latency: Type.String({ description: 'corrected latency, µs, compressed HDR histogram (base64)' }),
    latencyUncorrected: Type.String({
      description: 'latency from the actual send, µs, compressed HDR histogram (base64)',
    }),
  },
  { additionalProperties: false },
)

const Series = Type.Object(
  {
    metric: Type.Union(
      ['oauth_token', 'rs_request', 'oauth_authorize', 'browser_login', 'introspection'].map((m) => Type.Literal(m)),
    ),
    tags: Type.Intersect([
      Type.Object({ flow: Type.String(), endpoint: Type.String(), status: Type.String() }),
      Type.Record(Type.String(), Type.String()),
    ]),
    failed: Type.Boolean(),
    buckets: Type.Array(Bucket),
  },
  { additionalProperties: false },
)

const Counter = Type.Object(
  {
    name: Type.String(),
    tags: StringMap,
    values: Type.Array(Type.Object({ s: Type.Integer(), value: Num }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)

const Load = Type.Object(
  {
    engine: Type.String(),
    engineVersion: Type.Optional(Type.String()),
    startedAt: Num,
    durationMs: Type.Number({ minimum: 0 }),
    latencyBasis: Type.Literal('intended-start'),
    series: Type.Array(Series),
    counters: Type.Array(Counter),
    aborted: Type.Boolean(),
    warnings: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)

const Event = Type.Object(
  {
    t: Num,
    source: Type.String(),
    type: Type.String(),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

const Phase = Type.Object(
  {
    name: Type.Union(
      ['preflight', 'warmup', 'steady-state-before', 'method', 'recovery', 'steady-state-after', 'score', 'report'].map(
        (p) => Type.Literal(p),
      ),
    ),
    start: Num,
    end: Type.Optional(Num),
    status: Type.Union(['completed', 'failed', 'aborted', 'skipped'].map((p) => Type.Literal(p))),
    detail: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

const Fault = Type.Object(
  {
    index: Type.Integer(),
    fault: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    injectedAt: Num,
    revertedAt: Type.Optional(Num),
    status: Type.Union(['reverted', 'inject-failed', 'revert-failed', 'active'].map((p) => Type.Literal(p))),
    error: Type.Optional(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

const ProbeValue = Type.Union([Type.Number(), Type.Boolean(), Type.Null()])
const Probe = Type.Object(
  {
    index: Type.Integer(),
    probe: Type.String(),
    name: Type.String(),
    status: Type.Union(['ok', 'failed', 'timeout'].map((p) => Type.Literal(p))),
    value: ProbeValue,
    unit: Type.Union(['ms', 's', 'count', 'ratio', 'bool'].map((p) => Type.Literal(p))),
    breakdown: Type.Optional(Type.Record(Type.String(), ProbeValue)),
    observations: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    startedAt: Num,
    endedAt: Num,
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/** The RunRecord (src/record.ts) as JSON Schema. */
export const RunRecordSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    runId: Type.String(),
    scenarioId: Type.String(),
    title: Type.String(),
    status: Type.Union(['completed', 'failed', 'aborted', 'interrupted'].map((p) => Type.Literal(p))),
    deviated: Type.Boolean(),
    startedAt: Type.String(),
    endedAt: Type.String(),
    t0: Num,
    seed: Num,
    engine: Type.Object({ id: Type.String(), version: Type.Optional(Type.String()) }, { additionalProperties: false }),
    runtime: Type.String(),
    scenario: Type.Unknown({ description: 'the scenario as run (secrets as references)' }),
    targets: Type.Object(
      {
        issuer: Type.String(),
        resourceServers: Type.Array(
          Type.Object(
            {
              name: Type.String(),
              url: Type.String(),
              profile: Type.Optional(Type.String()),
              mode: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    phases: Type.Array(Phase),
    load: Load,
    events: Type.Array(Event),
    faults: Type.Array(Fault),
    probes: Type.Array(Probe),
    windows: Type.Object(
      { steadyState: Type.Optional(Window), fault: Type.Optional(Window), recovery: Type.Optional(Window) },
      { additionalProperties: false },
    ),
    environment: Type.Object(
      { node: Type.String(), platform: Type.String(), cpus: Type.Number(), harnessVersion: Type.String() },
      { additionalProperties: false },
    ),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)

const SteadyCheck = Type.Union([
  Type.Object({ held: Type.Boolean(), failed: Type.Array(Type.String()) }, { additionalProperties: false }),
  Type.Null(),
])

/** The Verdict (src/slo/types.ts) as JSON Schema. */
export const VerdictSchema = Type.Object(
  {
    pass: Type.Boolean(),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    slos: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          title: Type.String(),
          objective: Type.String(),
          window: SloWindow,
          windowMs: Window,
          severity: Severity,
          measured: NullableNum,
          pass: Type.Boolean(),
          margin: NullableNum,
          budgetConsumed: NullableNum,
          attribution: Type.Optional(Type.String()),
          noData: Type.Boolean(),
          target: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    steadyState: Type.Object({ before: SteadyCheck, after: SteadyCheck }, { additionalProperties: false }),
    exitCode: Type.Integer(),
  },
  { additionalProperties: false },
)

/** `run.json`: the record, the verdict, and the format version. */
export const RunJsonSchema = Type.Object(
  { schemaVersion: Type.Literal(1), record: RunRecordSchema, verdict: VerdictSchema },
  {
    additionalProperties: false,
    $id: 'https://oauth-gameday.dev/schema/run-record.schema.json',
    title: 'oauth-gameday run record (run.json)',
  },
)
export type RunJson = Static<typeof RunJsonSchema>

/** The JSON text of `schema/run-record.schema.json`. */
export function runRecordSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...RunJsonSchema }, null, 2)}\n`
}

/**
 * Write the published schema file (called by `npm run gen`).
 *
 * @example writeRunRecordSchema('schema/run-record.schema.json')
 */
export function writeRunRecordSchema(path: string): void {
  writeFileSync(path, runRecordSchemaText())
}
