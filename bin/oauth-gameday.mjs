#!/usr/bin/env node
// Runs the CLI from TypeScript sources through tsx's loader, so `npx oauth-gameday`
// works straight from a clone without a build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
