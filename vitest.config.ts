import { defineConfig } from 'vitest/config'

/**
 * Suites whose verdicts depend on timing (the detection matrix, capacity
 * search, full game-day runs, containers) run in a second pass, one file at a
 * time, after everything else: on 2 cores, sharing the CPU with other suites
 * would turn scheduling noise into SLO breaches. `npm test` runs both passes.
 */
export const SERIAL = [
  'test/integration/matrix.test.ts',
  'test/integration/capacity.test.ts',
  'test/integration/containers-runtime.test.ts',
  'test/integration/login-storm.test.ts',
  'test/integration/runner.test.ts',
  'test/integration/readme-own-stack.test.ts',
  'test/integration/prometheus-run.test.ts',
  'test/integration/runner-crash.test.ts',
]

const ALL = ['src/**/*.test.ts', 'mock-as/**/*.test.ts', 'mock-rs/**/*.test.ts', 'jwks-cdn/**/*.test.ts', 'fault-proxy/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts']

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'parallel', include: ALL, exclude: [...SERIAL, '**/node_modules/**', 'bench/.peers/**'] } },
      { extends: true, test: { name: 'serial', include: SERIAL, fileParallelism: false } },
    ],
  },
})
