/**
 * The dependency rules of DESIGN.md's decisions, checked on the sources:
 * leaves (src/errors.ts, src/log.ts, src/util/, src/oauth/) import only
 * leaves; the components (mock-as, mock-rs, jwks-cdn, fault-proxy) import
 * nothing from src/ but leaves; no file under src/faults is a server; the
 * OAuth module reaches the network only through its transport (so the
 * probe marking cannot be bypassed), and client_secret_basic is built in
 * one place.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const COMPONENTS = ['mock-as', 'mock-rs', 'jwks-cdn', 'fault-proxy']

function sourcesUnder(dir: string): string[] {
  const abs = join(ROOT, dir)
  if (!existsSync(abs)) return []
  return readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join('/'))
}

/** Relative imports of a file (static, `export … from`, and dynamic with a literal), resolved to repository paths. */
function importsOf(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!)
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) =>
      relative(ROOT, resolve(ROOT, dirname(file), s))
        .split(sep)
        .join('/'),
    )
}

/** A direct network call: the global fetch, undici, node:http(s) clients. */
const NETWORK = /(?<![\w.])fetch\(|from ['"]undici['"]|from ['"]node:https?['"]/
/** A hand-made `Basic` credentials header (base64 of `id:secret`). */
const BASIC = /Basic \$\{\s*Buffer\.from\(/

function isLeaf(path: string): boolean {
  return (
    path === 'src/errors.ts' || path === 'src/log.ts' || path.startsWith('src/util/') || path.startsWith('src/oauth/')
  )
}

describe('architecture', () => {
  it('parses static, re-exported and dynamic imports', () => {
    const text =
      "import { a } from '../x.ts'\nexport type { B } from './y.ts'\nconst m = await import('../../z.ts')\nimport 'node:fs'\n"
    expect(importsOf('src/util/component/f.ts', text)).toEqual(['src/util/x.ts', 'src/util/component/y.ts', 'src/z.ts'])
  })

  it('lets leaves import only leaves', () => {
    const leaves = ['src/errors.ts', 'src/log.ts', ...sourcesUnder('src/util'), ...sourcesUnder('src/oauth')]
    expect(leaves.length).toBeGreaterThan(10)
    const bad = leaves.flatMap((f) =>
      importsOf(f)
        .filter((i) => !isLeaf(i))
        .map((i) => `${f} → ${i}`),
    )
    expect(bad).toEqual([])
  })

  it('lets components import nothing from src/ but leaves', () => {
    const bad = COMPONENTS.flatMap((c) => {
      const files = sourcesUnder(c)
      expect(files.length, c).toBeGreaterThan(2)
      return files.flatMap((f) =>
        importsOf(f)
          .filter((i) => i.startsWith('src/') && !isLeaf(i))
          .map((i) => `${f} → ${i}`),
      )
    })
    expect(bad).toEqual([])
  })

  it('keeps the run record a leaf: src/record imports leaves, and only types from the scenario schema', () => {
    const files = sourcesUnder('src/record')
    expect(files.length).toBeGreaterThan(3)
    const bad = files.flatMap((f) => {
      const text = readFileSync(join(ROOT, f), 'utf8')
      const typeOnly = new Set(
        importsOf(
          f,
          [...text.matchAll(/^\s*import\s+type\s[^'"]*?from\s+['"][^'"]+['"]/gm)].map((m) => m[0]).join('\n'),
        ),
      )
      return importsOf(f, text)
        .filter(
          (i) => !isLeaf(i) && !i.startsWith('src/record/') && !(i === 'src/scenario/schema.ts' && typeOnly.has(i)),
        )
        .map((i) => `${f} → ${i}`)
    })
    expect(bad).toEqual([])
  })

  it('lets scoring and reports read the record, never a load engine', () => {
    const bad = [...sourcesUnder('src/slo'), ...sourcesUnder('src/report')].flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('src/load/'))
        .map((i) => `${f} → ${i}`),
    )
    expect(bad).toEqual([])
  })

  it('lets nothing below the CLI import it: src/cli is the top floor', () => {
    const bad = sourcesUnder('src')
      .filter((f) => !f.startsWith('src/cli/'))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => i.startsWith('src/cli/'))
          .map((i) => `${f} → ${i}`),
      )
    expect(bad).toEqual([])
  })

  it('finds no server under src/faults', () => {
    const servers = sourcesUnder('src/faults').filter((f) =>
      /\.listen\(|\bcreateServer\b|from ['"]fastify['"]|\bFastify\(/.test(readFileSync(join(ROOT, f), 'utf8')),
    )
    expect(servers).toEqual([])
  })

  it('lets src/oauth reach the network only through transport.ts', () => {
    const direct = sourcesUnder('src/oauth').filter(
      (f) => f !== 'src/oauth/transport.ts' && NETWORK.test(readFileSync(join(ROOT, f), 'utf8')),
    )
    expect(direct).toEqual([])
  })

  it('sends the traffic of faults and probes through src/oauth, so it is marked x-gameday-probe', () => {
    const direct = [...sourcesUnder('src/faults'), ...sourcesUnder('src/probes')].filter((f) =>
      NETWORK.test(readFileSync(join(ROOT, f), 'utf8')),
    )
    expect(direct).toEqual([])
  })

  it('builds a client_secret_basic header only in src/oauth/client-auth.ts', () => {
    const files = ['src', ...COMPONENTS, 'bench', 'scripts'].flatMap(sourcesUnder)
    const own = files.filter((f) => f !== 'src/oauth/client-auth.ts' && BASIC.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(own).toEqual([])
  })

  it('fails on a violation (the rules are not vacuous)', () => {
    expect(
      importsOf('mock-as/x.ts', "import { t } from '../src/runtime/types.ts'\n").filter((i) => !isLeaf(i)),
    ).toEqual(['src/runtime/types.ts'])
    expect(isLeaf('src/oauth/pkce.ts')).toBe(true)
    expect(isLeaf('src/faults/support.ts')).toBe(false)
    expect(NETWORK.test("const r = await fetch(url, { method: 'POST' })")).toBe(true)
    expect(NETWORK.test("import { request } from 'undici'")).toBe(true)
    expect(NETWORK.test('const r = await transport(req) // fetchTransport() elsewhere')).toBe(false)
    expect(BASIC.test(['const h = `Basic $', "{Buffer.from(idColonSecret).toString('base64')}`"].join(''))).toBe(true)
    expect(BASIC.test('headers.authorization = clientSecretBasic(id, secret)')).toBe(false)
  })
})
