/**
 * The package as users get it: `npm pack` of this tree, the tarball installed
 * into a fresh project (`"type": "module"`), and everything run from there,
 * never from the clone: the bin, `serve` with config files, a short game day,
 * the library from a plain Node script, the README's vitest example in the
 * project's own vitest, and the declarations through the project's own tsc.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  version: string
  files: string[]
}
const versionOf = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version

let project = ''
let tarball = ''
const children: ChildProcess[] = []

/**
 * The environment of a user's shell: none of the npm_* variables that `npm
 * test` passes down (npm_config_local_prefix and the like point at this
 * clone), except where npm keeps its cache and settings.
 */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !k.startsWith('npm_') || ['npm_config_cache', 'npm_config_userconfig', 'npm_config_cafile'].includes(k),
  ),
)

function sh(
  cmd: string,
  args: string[],
  cwd: string,
  timeout = 240_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...userEnv, NO_UPDATE_NOTIFIER: '1', npm_config_fund: 'false', npm_config_audit: 'false' },
  })
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

/** The installed bin, run the way npx would (node_modules/.bin/oauth-gameday). */
const bin = () => join(project, 'node_modules', '.bin', 'oauth-gameday')

function gameday(args: string[], timeout = 120_000) {
  return sh(bin(), args, project, timeout)
}

/** Start `oauth-gameday serve …` from the installed package; resolves with its URL line. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(bin(), ['serve', ...args], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: userEnv })
  children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`serve ${args.join(' ')} printed no URL in 30 s: ${err}`)), 30_000)
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const lines = out.split('\n')
      if (lines.length >= 3) {
        clearTimeout(timer)
        resolve({ child, url: lines[0]! })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve ${args.join(' ')} exited with ${code}: ${err}`))
    })
  })
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'gameday-pkg-'))
  for (const f of [
    'dist/cli.js',
    'dist/index.js',
    'dist/child.js',
    'dist/load-worker.js',
    'dist/types/src/index.d.ts',
  ]) {
    if (!existsSync(join(ROOT, f)))
      throw new Error(`${f} is not built: run npm run build (the test setup builds it unless tsc found type errors)`)
  }
  const pack = sh('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], ROOT)
  expect(pack.status, pack.stderr).toBe(0)
  tarball = join(project, pack.stdout.trim().split('\n').pop()!)
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  )
  const install = sh(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      `vitest@${versionOf('vitest')}`,
      `typescript@${versionOf('typescript')}`,
      `@types/node@${versionOf('@types/node')}`,
    ],
    project,
  )
  expect(install.status, install.stderr).toBe(0)
}, 300_000)

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  if (project) rmSync(project, { recursive: true, force: true })
})

describe('the packed package, installed into a fresh project', () => {
  it('ships dist, the scenarios, schemas, docs and LICENSE, and no sources or tests', () => {
    const listing = sh('tar', ['-tzf', tarball], project).stdout.split('\n')
    for (const f of [
      'package/dist/cli.js',
      'package/dist/assets/k6-lib.js',
      'package/dist/types/src/index.d.ts',
      'package/scenarios/baseline.yaml',
      'package/schema/scenario.schema.json',
      'package/LICENSE',
      'package/README.md',
    ]) {
      expect(listing, f).toContain(f)
    }
    expect(listing.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([])
    expect(listing.filter((f) => f.includes('.test.'))).toEqual([])
    expect(readFileSync(join(project, 'node_modules/oauth-gameday/LICENSE'), 'utf8')).toMatch(
      /Apache License\s+Version 2\.0/,
    )
  })

  it('--version prints the version in package.json', () => {
    const r = gameday(['--version'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(manifest.version)
  })

  it.each([
    ['YAML', 'as.yaml', 'port: 0\nhost: 127.0.0.1\naccessTokenTtl: 90s\n'],
    ['JSON', 'as.json', '{ "port": 0, "host": "127.0.0.1", "accessTokenTtl": "90s" }\n'],
  ])('serve as --config reads a %s file, serves discovery and applies the file', async (_format, name, text) => {
    writeFileSync(join(project, name), text)
    const { child, url } = await serve(['as', '--config', name])
    const meta = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string
      token_endpoint: string
    }
    expect(meta.issuer).toBe(url)
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'svc',
      client_secret: 'svc-secret',
    })
    const token = (await (await fetch(meta.token_endpoint, { method: 'POST', body: form })).json()) as {
      expires_in: number
    }
    expect(token.expires_in).toBe(90)
    child.kill('SIGTERM')
  })

  it('serve rs validates tokens of a served AS', async () => {
    const as = await serve(['as'])
    const rs = await serve(['rs', '--as', as.url])
    expect((await fetch(`${rs.url}/healthz`)).status).toBe(200)
    const denied = await fetch(`${rs.url}/api/orders`)
    expect(denied.status).toBe(401)
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/)
    as.child.kill('SIGTERM')
    rs.child.kill('SIGTERM')
  })

  it('validate and list read the scenarios the package ships', () => {
    const scenarios = join(project, 'node_modules/oauth-gameday/scenarios')
    const v = gameday(['validate', scenarios])
    expect(v.status, v.stdout + v.stderr).toBe(0)
    // no scenarios/ folder in the project: list and validate fall back to the shipped game days
    const list = gameday(['list', 'scenarios'])
    expect(list.status, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/baseline/)
    expect(list.stdout).toMatch(/bad-key-rotation/)
    const byId = gameday(['validate', 'baseline'])
    expect(byId.status, byId.stdout + byId.stderr).toBe(0)
    const unknown = gameday(['validate', 'no-such-game-day'])
    expect(unknown.status).toBe(104)
    expect(unknown.stderr).toMatch(/ERR_SCENARIO_NOT_FOUND/)
  })

  it('a short game day writes run.json, summary.md, junit.xml and report.html', () => {
    writeFileSync(
      join(project, 'short.yaml'),
      [
        'id: short',
        'title: A short game day from the installed package',
        'stack:',
        '  authorizationServer: {}',
        '  resourceServers: [{ name: orders, profile: resilient }]',
        'load:',
        '  duration: 6s',
        '  warmup: 1s',
        '  flows:',
        '    - { flow: client-credentials, executor: constant-arrival-rate, rate: 10 }',
        '    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 20 }',
        'slos:',
        '  - { id: M1 }',
        '  - { id: M3 }',
        '',
      ].join('\n'),
    )
    const r = gameday(['run', 'short.yaml', '--out', 'reports', '--quiet'])
    expect(r.status, r.stdout + r.stderr).toBe(0)
    const runs = readdirSync(join(project, 'reports', 'short'))
    expect(runs).toHaveLength(1)
    const dir = join(project, 'reports', 'short', runs[0]!)
    for (const f of ['run.json', 'summary.md', 'junit.xml', 'report.html'])
      expect(statSync(join(dir, f)).size, f).toBeGreaterThan(100)
    const { record } = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
      record: { environment: { harnessVersion: string } }
    }
    expect(record.environment.harnessVersion).toBe(manifest.version)
  })

  it('a plain Node ESM script imports startStack and gets a token', () => {
    writeFileSync(
      join(project, 'token.mjs'),
      `import { startStack } from 'oauth-gameday'
const stack = await startStack({ resourceServers: [{ name: 'orders', profile: 'resilient' }] })
try {
  const svc = stack.targets.clients.find((c) => c.clientId === 'svc')
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: svc.clientId, client_secret: svc.clientSecret })
  const res = await fetch(stack.targets.tokenEndpoint, { method: 'POST', body: form })
  const body = await res.json()
  console.log(JSON.stringify({ status: res.status, tokenType: body.token_type, jwt: body.access_token.split('.').length === 3 }))
} finally {
  await stack.stop()
}
`,
    )
    const r = sh(process.execPath, ['token.mjs'], project, 60_000)
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ status: 200, tokenType: 'Bearer', jwt: true })
  })

  it("the README's vitest example passes in the project's own vitest", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Library API'))
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    expect(example, 'README: a ts block under "## Library API"').toMatch(/from 'oauth-gameday'/)
    writeFileSync(join(project, 'readme.test.ts'), example!)
    const r = sh(
      join(project, 'node_modules', '.bin', 'vitest'),
      ['run', 'readme.test.ts', '--reporter', 'dot'],
      project,
      120_000,
    )
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/1 passed/)
  })

  it("the declarations type the API for the project's own tsc (and refuse a wrong stack)", () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['typed.ts'],
      }),
    )
    writeFileSync(
      join(project, 'typed.ts'),
      `import { type RunRecord, startStack, loadScenario } from 'oauth-gameday'
export async function main(): Promise<string> {
  const stack = await startStack({ resourceServers: [{ name: 'orders', profile: 'resilient' }] })
  const scenario = await loadScenario('short.yaml')
  const version: RunRecord['environment']['harnessVersion'] = '1'
  // @ts-expect-error resourceServers is an array of entries, not a number
  await startStack({ resourceServers: 42 })
  await stack.stop()
  return stack.targets.tokenEndpoint + scenario.scenario.id + version
}
`,
    )
    const r = sh(join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project, 120_000)
    expect(r.status, r.stdout + r.stderr).toBe(0)
  })
})
