import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type Scenario, ScenarioSchema } from '../../scenario/schema.ts'
import { exportK6, testRunManifest } from './export.ts'

// The TestRun CRD fields the k6-operator documents (configure-testrun-crd, crd-generated.md):
// script and parallelism are required; unknown fields are refused here so a typo fails.
const EnvVar = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    value: Type.Optional(Type.String()),
    valueFrom: Type.Optional(
      Type.Object(
        { secretKeyRef: Type.Object({ name: Type.String(), key: Type.String() }, { additionalProperties: false }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
const TestRunSchema = Type.Object(
  {
    apiVersion: Type.Literal('k6.io/v1alpha1'),
    kind: Type.Literal('TestRun'),
    metadata: Type.Object(
      {
        name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
        namespace: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    spec: Type.Object(
      {
        parallelism: Type.Integer({ minimum: 1 }),
        script: Type.Object(
          {
            configMap: Type.Optional(
              Type.Object({ name: Type.String(), file: Type.String() }, { additionalProperties: false }),
            ),
            volumeClaim: Type.Optional(
              Type.Object({ name: Type.String(), file: Type.String() }, { additionalProperties: false }),
            ),
            localFile: Type.Optional(Type.String()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        arguments: Type.Optional(Type.String()),
        separate: Type.Optional(Type.Boolean()),
        cleanup: Type.Optional(Type.Literal('post')),
        quiet: Type.Optional(Type.String()),
        paused: Type.Optional(Type.String()),
        runner: Type.Optional(
          Type.Object(
            {
              image: Type.Optional(Type.String()),
              env: Type.Optional(Type.Array(EnvVar)),
              resources: Type.Optional(Type.Unknown()),
            },
            { additionalProperties: false },
          ),
        ),
        starter: Type.Optional(Type.Unknown()),
        initializer: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
type TestRun = Static<typeof TestRunSchema>

const scenario = Value.Default(ScenarioSchema, {
  id: 'baseline',
  title: 'Baseline',
  stack: { authorizationServer: {}, resourceServers: [{ name: 'orders', profile: 'resilient' }] },
  load: {
    duration: '30s',
    flows: [
      { flow: 'client-credentials', executor: 'constant-arrival-rate', rate: 20 },
      { flow: 'api-call', executor: 'constant-arrival-rate', rate: 50, target: 'orders' },
    ],
  },
  slos: [{ id: 'M1', objective: 'rate>=0.999' }],
}) as Scenario

describe('testRunManifest', () => {
  it('matches the documented TestRun CRD fields', () => {
    const m = testRunManifest('baseline', 4, ['GAMEDAY_SECRET_SVC'])
    expect([...Value.Errors(TestRunSchema, m)].map((e) => `${e.path} ${e.message}`)).toEqual([])
    expect((m as TestRun).spec.parallelism).toBe(4)
  })

  it('is refused by the schema when a field is misspelled (the check can fail)', () => {
    const m = testRunManifest('baseline', 2, []) as { spec: Record<string, unknown> }
    m.spec.paralelism = m.spec.parallelism
    delete m.spec.parallelism
    expect(Value.Check(TestRunSchema, m)).toBe(false)
  })
})

describe('exportK6', () => {
  const dirs: string[] = []
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

  it('writes the script, a README, the env names and a TestRun with the parallelism asked for', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k6-export-'))
    dirs.push(dir)
    const { files } = await exportK6(scenario, { out: dir, parallelism: 3 })
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'README.md',
      'env.example',
      'script.js',
      'testrun.yaml',
    ])
    const manifest = parse(await readFile(join(dir, 'testrun.yaml'), 'utf8')) as TestRun
    expect(Value.Check(TestRunSchema, manifest)).toBe(true)
    expect(manifest.spec.parallelism).toBe(3)
    expect(manifest.spec.runner?.env?.map((e) => e.name)).toContain('GAMEDAY_SECRET_SVC')
    const script = await readFile(join(dir, 'script.js'), 'utf8')
    expect(script).toContain('"tokenEndpoint": "http://127.0.0.1:9000/token"')
    expect(script).toContain('"apiUrl": "http://127.0.0.1:9101/api/orders"')
    expect(script).not.toContain('svc-secret')
    expect(await readFile(join(dir, 'env.example'), 'utf8')).toContain('GAMEDAY_SECRET_SVC=')
  })

  it("asks only for the secrets the script uses: the flows' client, and a password only when a flow logs in", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k6-export-'))
    dirs.push(dir)
    await exportK6(scenario, { out: dir })
    expect(await readFile(join(dir, 'env.example'), 'utf8')).toBe('GAMEDAY_SECRET_SVC=\n')
    const withLogin = {
      ...scenario,
      load: {
        ...scenario.load,
        flows: [...scenario.load.flows, { ...scenario.load.flows[0]!, flow: 'auth-code', client: 'spa' }],
      },
    } as Scenario
    const dir2 = await mkdtemp(join(tmpdir(), 'k6-export-'))
    dirs.push(dir2)
    await exportK6(withLogin, { out: dir2 })
    expect((await readFile(join(dir2, 'env.example'), 'utf8')).trim().split('\n')).toEqual([
      'GAMEDAY_PASSWORD_ALICE=',
      'GAMEDAY_SECRET_SVC=',
    ])
  })
})
