import { describe, expect, it } from 'vitest'
import { withoutTsx, workerExecArgv } from './embedded.ts'

describe('withoutTsx', () => {
  it('drops tsx loader flags from the worker execArgv and keeps every other flag', () => {
    expect(withoutTsx(['--import', 'tsx', '--enable-source-maps'])).toEqual(['--enable-source-maps'])
    expect(
      withoutTsx([
        '--import=tsx',
        '--import',
        '/w/node_modules/tsx/dist/esm/index.mjs',
        '--max-old-space-size=100',
        '--import',
        './x.mjs',
      ]),
    ).toEqual(['--max-old-space-size=100', '--import', './x.mjs'])
    expect(
      withoutTsx(['-r', 'tsx/cjs', '--loader', 'file:///w/node_modules/tsx/dist/loader.mjs', '--conditions', 'dev']),
    ).toEqual(['--conditions', 'dev'])
  })
})

describe('workerExecArgv', () => {
  it('drops the flags a real Worker rejects (V8 flags) and keeps the rest, so the worker then starts', async () => {
    const { Worker } = await import('node:worker_threads')
    const argv = ['--max-semi-space-size=64', '--enable-source-maps', '--max-old-space-size=512']
    let message = ''
    try {
      new Worker('0', { eval: true, execArgv: argv })
    } catch (err) {
      expect((err as { code?: string }).code).toBe('ERR_WORKER_INVALID_EXEC_ARGV')
      message = (err as Error).message
    }
    const kept = workerExecArgv(argv, message)
    expect(kept).toEqual(['--enable-source-maps'])
    const w = new Worker('require("node:worker_threads").parentPort.postMessage(process.execArgv)', {
      eval: true,
      execArgv: kept,
    })
    const seen = await new Promise((resolve) => w.once('message', resolve))
    expect(seen).toEqual(['--enable-source-maps'])
    await w.terminate()
  })
})
