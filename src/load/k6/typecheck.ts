/**
 * Type-check a generated k6 script with the TypeScript compiler against
 * @types/k6 (k6 cannot be installed everywhere; the compiler can). Used by
 * the tests and by `oauth-gameday export k6 --check`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Diagnostics of a k6 script as `line:col message` strings; empty when it type-checks. */
export function typecheckK6Script(script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'k6-check-'))
  const file = join(dir, 'script.js')
  writeFileSync(file, script)
  try {
    const program = ts.createProgram([file], {
      allowJs: true,
      checkJs: true,
      noEmit: true,
      strict: false,
      noImplicitAny: false,
      target: ts.ScriptTarget.ES2020,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      // @types/k6 declares no WebCrypto: the DPoP proofs use k6's global `crypto`
      // (k6 v1.0+), checked against TypeScript's standard WebCrypto declarations
      lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
      types: ['k6'],
      typeRoots: [join(ROOT, 'node_modules/@types')],
      skipLibCheck: true,
    })
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      if (!d.file || d.start === undefined) return msg
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
      return `${line + 1}:${character + 1} ${msg}`
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
