/**
 * The one normalized record of a run, declared once in TypeBox: the types
 * (`Static<…>`), the validation of `run.json` on read, and the published
 * `schema/run-record.schema.json` ({@link writeRunRecordSchema}; a test keeps
 * the file and this source in step) all come from here.
 *
 * Load engines produce a {@link LoadResult}; the runner wraps it with phases,
 * events, fault windows and probe results into a {@link RunRecord}. Scoring
 * and reporters read only this, never an engine. Times inside a record are
 * milliseconds since `RunRecord.t0` (the start of the load), so every series,
 * event and window shares one axis.
 */
import { writeFileSync } from 'node:fs'
import { type Static, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox'
// type-only: the scenario as run is typed in code but published as `unknown`, so old records still read
import type { Scenario } from '../scenario/schema.ts'

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
function literals<T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)))
}

/** Metric families, the same from every engine (k6 metric names use `<family>_duration` / `<family>_failed`). */
export const MetricFamilySchema = literals([
  'oauth_token',
  'rs_request',
  'oauth_authorize',
  'browser_login',
  'introspection',
])
export type MetricFamily = Static<typeof MetricFamilySchema>

const optionalTag = (description: string) => Type.Optional(Type.String({ description }))

/**
 * Tags of one series. `flow` and `endpoint` are always set; the rest when known.
 * `reason` explains a failure: an RS reason (`expired`, `not_yet_valid`,
 * `bad_signature`, `unknown_kid`, `wrong_aud`, `wrong_iss`, `insufficient_scope`,
 * `inactive`, `validator_unavailable`), a transport error (`timeout`,
 * `connection_refused`, `connection_reset`), or an OAuth error code.
 */
const KnownTags = Type.Object({
  flow: Type.String(),
  endpoint: Type.String(),
  status: Type.String({ description: 'HTTP status as a string, or `0` for a transport error' }),
  error: optionalTag('OAuth `error` code of the response, when there is one'),
  reason: optionalTag('why the request failed (RS reason, transport error or OAuth error code)'),
  target: optionalTag('resource server name for `rs_request`'),
  grant: optionalTag('grant type for `oauth_token`'),
  token: optionalTag('the token as the client knows it: `valid`, `revoked`, `attacker`'),
})
export const SeriesTagsSchema = Type.Intersect([KnownTags, Type.Record(Type.String(), Type.String())])
// in code a tag may be set to undefined (it is then left out of the JSON)
export type SeriesTags = Static<typeof KnownTags> & { [key: string]: string | undefined }

/** One second of one series: request count and latency histograms (hdr-histogram-js, compressed base64, µs). */
export const SecondBucketSchema = Type.Object(
  {
    s: Type.Integer({ minimum: 0, description: 'second index since t0' }),
    count: Type.Integer({ minimum: 0 }),
    latency: Type.String({
      description: 'corrected latency (from the intended start), µs, compressed HDR histogram (base64)',
    }),
    latencyUncorrected: Type.String({
      description: 'latency from the actual send, µs, compressed HDR histogram (base64)',
    }),
  },
  { additionalProperties: false },
)
export type SecondBucket = Static<typeof SecondBucketSchema>

export const SeriesSchema = Type.Object(
  {
    metric: MetricFamilySchema,
    tags: SeriesTagsSchema,
    failed: Type.Boolean({
      description: 'the requests in this series failed (status >= 400, transport error, or a flow-level check)',
    }),
    buckets: Type.Array(SecondBucketSchema),
  },
  { additionalProperties: false },
)
export type Series = Omit<Static<typeof SeriesSchema>, 'tags'> & { tags: SeriesTags }

/** Per-second counters that are not requests (`dropped_iterations`, `iterations`, `vus`, `token_renewals`, `reauth_on_401`, ...). */
export const CounterSeriesSchema = Type.Object(
  {
    name: Type.String(),
    tags: StringMap,
    values: Type.Array(Type.Object({ s: Type.Integer(), value: Num }, { additionalProperties: false }), {
      description: 'values per second index since t0',
    }),
  },
  { additionalProperties: false },
)
export type CounterSeries = Static<typeof CounterSeriesSchema>

/** What a load engine hands back. */
export const LoadResultSchema = Type.Object(
  {
    engine: Type.String(),
    engineVersion: Type.Optional(Type.String()),
    startedAt: Type.Number({ description: 'epoch ms of the first scheduled iteration (t0 of the record)' }),
    durationMs: Type.Number({ minimum: 0 }),
    latencyBasis: Type.Literal('intended-start', {
      description: 'latency basis used by reports and SLOs unless told otherwise',
    }),
    series: Type.Array(SeriesSchema),
    counters: Type.Array(CounterSeriesSchema),
    aborted: Type.Boolean({ description: 'the run was cut short by the abort signal' }),
    warnings: Type.Array(Type.String(), { description: 'non-fatal problems (a flow that could not get a token, ...)' }),
  },
  { additionalProperties: false },
)
export type LoadResult = Omit<Static<typeof LoadResultSchema>, 'series'> & { series: Series[] }

/** A structured event from mock-as, a proxy, an RS, the runner or the engine. */
export const RunEventSchema = Type.Object(
  {
    t: Type.Number({ description: 'ms since t0 (negative before the load started)' }),
    source: Type.String({ description: '`mock-as`, `cdn`, `fault-proxy`, `rs:<name>`, `runner`, `engine`' }),
    type: Type.String({
      description: '`noun.verb`, past tense: `key.published`, `refresh_token.reused`, `fault.injected`',
    }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)
export type RunEvent = Static<typeof RunEventSchema>

export const PhaseNameSchema = literals([
  'preflight',
  'warmup',
  'steady-state-before',
  'method',
  'recovery',
  'steady-state-after',
  'score',
  'report',
])
export type PhaseName = Static<typeof PhaseNameSchema>

export const PhaseRecordSchema = Type.Object(
  {
    name: PhaseNameSchema,
    start: Num,
    end: Type.Optional(Num),
    status: literals(['completed', 'failed', 'aborted', 'skipped']),
    detail: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type PhaseRecord = Static<typeof PhaseRecordSchema>

export const FaultWindowSchema = Type.Object(
  {
    index: Type.Integer({ description: 'index in the scenario timeline' }),
    fault: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    injectedAt: Num,
    revertedAt: Type.Optional(Num),
    status: literals(['reverted', 'inject-failed', 'revert-failed', 'active']),
    error: Type.Optional(Type.String()),
    details: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'what the fault reports about itself (new kid, revoked subject, ...)',
      }),
    ),
  },
  { additionalProperties: false },
)
export type FaultWindow = Static<typeof FaultWindowSchema>

const ProbeValue = Type.Union([Type.Number(), Type.Boolean(), Type.Null()])
export const ProbeResultSchema = Type.Object(
  {
    index: Type.Integer({ description: 'index in the scenario timeline' }),
    probe: Type.String(),
    name: Type.String({ description: 'what is measured, e.g. `jwks refresh latency (max over RSs)`' }),
    status: literals(['ok', 'failed', 'timeout']),
    value: ProbeValue,
    unit: literals(['ms', 's', 'count', 'ratio', 'bool']),
    breakdown: Type.Optional(
      Type.Record(Type.String(), ProbeValue, { description: 'per-RS or per-step values behind the headline value' }),
    ),
    observations: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
      description: 'raw observations (timestamps as ms since t0)',
    }),
    startedAt: Num,
    endedAt: Num,
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type ProbeResult = Static<typeof ProbeResultSchema>

/**
 * How a run ended (DESIGN.md's decisions): `completed` ran to the end;
 * `aborted` was ended early on purpose (`abortedBy`); `interrupted` by
 * SIGINT/SIGTERM; `errored` when the harness itself failed mid-run.
 */
export const AlertTransitionSchema = Type.Object(
  {
    alertname: Type.String(),
    state: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: StringMap,
    at: Type.Number({ description: 'ms since t0' }),
  },
  { additionalProperties: false, description: 'one alert transition' },
)
export type AlertTransition = Static<typeof AlertTransitionSchema>

const AlertDetectionSchema = Type.Object(
  {
    alertname: Type.String(),
    slo: Type.String({ description: 'SLO id from the alert labels' }),
    severity: Type.String(),
    firedAt: Type.Number({ description: 'ms since t0' }),
    resolvedAt: Type.Optional(Type.Number({ description: 'ms since t0' })),
    faultIndex: Type.Optional(
      Type.Integer({ description: 'timeline index of the fault it detected; absent for a false alarm' }),
    ),
    fault: Type.Optional(Type.String()),
    timeToDetectSeconds: Type.Optional(Type.Number({ description: 'seconds from the fault injection to the firing' })),
    timeToResolveSeconds: Type.Optional(
      Type.Number({
        description: 'seconds from the fault revert to the resolution (negative: resolved before the revert)',
      }),
    ),
    falseAlarm: Type.Boolean(),
  },
  { additionalProperties: false, description: 'one firing of one alert, and what it detected' },
)
export type AlertDetection = Static<typeof AlertDetectionSchema>

const PrometheusSectionSchema = Type.Object(
  {
    version: Type.String({ description: 'Prometheus version' }),
    scrapeIntervalSeconds: Num,
    windows: Type.Array(
      Type.Object(
        {
          severity: Type.Union([Type.Literal('page'), Type.Literal('ticket')]),
          factor: Num,
          shortSeconds: Num,
          longSeconds: Num,
        },
        { additionalProperties: false },
      ),
      { description: 'the in-run alert conditions (both windows must burn faster than factor times the budget)' },
    ),
    alerts: Type.Array(
      Type.Object(
        {
          alert: Type.String(),
          slo: Type.String(),
          severity: Type.Union([Type.Literal('page'), Type.Literal('ticket')]),
        },
        { additionalProperties: false },
      ),
    ),
    skipped: Type.Array(Type.Object({ id: Type.String(), reason: Type.String() }, { additionalProperties: false }), {
      description: 'SLOs with no server-side SLI, hence no alert, and why',
    }),
    transitions: Type.Array(AlertTransitionSchema),
    detections: Type.Array(AlertDetectionSchema),
    targets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            job: Type.String(),
            scrapeUrl: Type.String(),
            health: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('unknown')]),
            lastError: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        { description: 'the components Prometheus scraped and their health at the end of the run' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'what run --prometheus saw: in-run alert windows, alert transitions, time to detect',
  },
)
export type PrometheusSection = Static<typeof PrometheusSectionSchema>

const RunStatusSchema = literals(['completed', 'aborted', 'interrupted', 'errored'])
export type RunStatus = Static<typeof RunStatusSchema>
/** What ended an `aborted` run: an SLO with `abortOnFail`, or the steady-state gate. */
export const AbortedBySchema = literals(['slo', 'steady-state'])
export type AbortedBy = Static<typeof AbortedBySchema>
/** Version 1 statuses: `failed` was a harness error, `aborted` an interrupt. */
const RunStatusV1Schema = literals(['completed', 'failed', 'aborted', 'interrupted'])

const ScenarioAsRun = Type.Unsafe<Scenario>(
  Type.Unknown({ description: 'the scenario as run (secrets as references, never values)' }),
)

const recordProperties = {
  runId: Type.String(),
  scenarioId: Type.String(),
  title: Type.String(),
  deviated: Type.Boolean({ description: "Chaos Toolkit's flag: the steady-state hypothesis did not hold" }),
  startedAt: Type.String({ description: 'ISO time of t0' }),
  endedAt: Type.String(),
  t0: Type.Number({ description: 'epoch ms of t0' }),
  seed: Num,
  engine: Type.Object({ id: Type.String(), version: Type.Optional(Type.String()) }, { additionalProperties: false }),
  runtime: Type.String(),
  scenario: ScenarioAsRun,
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
  phases: Type.Array(PhaseRecordSchema),
  load: LoadResultSchema,
  events: Type.Array(RunEventSchema),
  faults: Type.Array(FaultWindowSchema),
  probes: Type.Array(ProbeResultSchema),
  windows: Type.Object(
    { steadyState: Type.Optional(Window), fault: Type.Optional(Window), recovery: Type.Optional(Window) },
    {
      additionalProperties: false,
      description:
        'windows in ms since t0: the steady state before the first fault, the faults, the recovery after the last revert',
    },
  ),
  environment: Type.Object(
    { node: Type.String(), platform: Type.String(), cpus: Type.Number(), harnessVersion: Type.String() },
    { additionalProperties: false },
  ),
  error: Type.Optional(
    Type.Object(
      {
        code: Type.String(),
        message: Type.String(),
        hint: Type.Optional(
          Type.String({ description: "what to do, as the error said it (else the code's fix in docs/errors.md)" }),
        ),
      },
      { additionalProperties: false, description: 'what errored (status `errored`)' },
    ),
  ),
  prometheus: Type.Optional(PrometheusSectionSchema),
}

/** The record of one run (schema version 2). */
export const RunRecordSchema = Type.Object(
  {
    schemaVersion: Type.Literal(2),
    ...recordProperties,
    status: RunStatusSchema,
    abortedBy: Type.Optional(AbortedBySchema),
    exitCode: Type.Integer({
      description: 'the exit code of the process for this run (src/record/exit-code.ts); equals verdict.exitCode',
    }),
  },
  { additionalProperties: false },
)
export type RunRecord = Omit<Static<typeof RunRecordSchema>, 'load'> & { load: LoadResult }

/** A version 1 record, still read by `report` and `compare` (upgraded by {@link upgradeRunJson}). */
export const RunRecordV1Schema = Type.Object(
  { schemaVersion: Type.Literal(1), ...recordProperties, status: RunStatusV1Schema },
  { additionalProperties: false },
)

const RsScoreSchema = Type.Object(
  {
    rs: Type.String(),
    measured: NullableNum,
    pass: Type.Boolean(),
    noData: Type.Boolean(),
    margin: NullableNum,
    reason: Type.Optional(Type.String({ description: 'the most frequent rejection reason (M3)' })),
    firstBrokeAt: Type.Optional(
      Type.Number({ description: 'ms since t0 of the first second this RS breached the objective' }),
    ),
    forceFail: Type.Optional(Type.String()),
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
          perRs: Type.Optional(
            Type.Array(RsScoreSchema, {
              description: 'per resource server, worst first (RS-measured SLOs without a target)',
            }),
          ),
          firstBrokeAt: Type.Optional(
            Type.Number({ description: 'ms since t0 of the first second the SLO breached its objective' }),
          ),
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
  { schemaVersion: Type.Literal(2), record: RunRecordSchema, verdict: VerdictSchema },
  {
    additionalProperties: false,
    $id: 'https://oauth-gameday.dev/schema/run-record.schema.json',
    title: 'oauth-gameday run record (run.json)',
  },
)
export type RunJson = Static<typeof RunJsonSchema>

/** A version 1 `run.json` (before statuses became `errored`/`interrupted` and the record carried its exit code). */
export const RunJsonV1Schema = Type.Object(
  { schemaVersion: Type.Literal(1), record: RunRecordV1Schema, verdict: VerdictSchema },
  { additionalProperties: false },
)
export type RunJsonV1 = Static<typeof RunJsonV1Schema>

/**
 * A version 1 `run.json` as version 2: `failed` becomes `errored`, `aborted`
 * (an interrupt, in version 1) becomes `interrupted`, and the record takes the
 * verdict's exit code.
 *
 * @example const v2 = upgradeRunJson(JSON.parse(text))
 */
export function upgradeRunJson(v1: RunJsonV1): Static<typeof RunJsonSchema> {
  const { status, ...rest } = v1.record
  const upgraded = status === 'failed' ? 'errored' : status === 'aborted' ? 'interrupted' : status
  return {
    schemaVersion: 2,
    record: { ...rest, schemaVersion: 2, status: upgraded, exitCode: v1.verdict.exitCode },
    verdict: v1.verdict,
  }
}

/** The JSON text of `schema/run-record.schema.json`. */
export function runRecordSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...(RunJsonSchema as TSchema) }, null, 2)}\n`
}

/**
 * Write the published schema file (called by `npm run gen`).
 *
 * @example writeRunRecordSchema('schema/run-record.schema.json')
 */
export function writeRunRecordSchema(path: string): void {
  writeFileSync(path, runRecordSchemaText())
}
