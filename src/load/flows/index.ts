/** The flow registry (`flow:` in scenario YAML). */
import { apiCall } from './api-call.ts'
import { authCode } from './auth-code.ts'
import { clientCredentials } from './client-credentials.ts'
import { introspection } from './introspection.ts'
import { refresh } from './refresh.ts'
import type { FlowDefinition } from './types.ts'

// biome-ignore lint/suspicious/noExplicitAny: each flow has its own state type
type AnyFlow = FlowDefinition<any>

let browserImpl: AnyFlow | undefined

/**
 * `browser-login` pulls in playwright-core, which would slow every engine
 * start; it is loaded on first use, in the setup of a run that has it.
 */
const browserLogin: AnyFlow = {
  id: 'browser-login',
  summary: 'a real Chromium logs in through the login and consent page (see browser-login.ts)',
  async setup(ctx) {
    browserImpl ??= (await import('./browser-login.ts')).browserLoginFlow as AnyFlow
    return browserImpl.setup(ctx)
  },
  iteration: (ctx, vu, state) => browserImpl!.iteration(ctx, vu, state),
  teardown: async (ctx, state) => browserImpl?.teardown?.(ctx, state),
}

export const flows: Record<string, AnyFlow> = {
  'client-credentials': clientCredentials,
  'api-call': apiCall,
  refresh,
  'auth-code': authCode,
  introspection,
  'browser-login': browserLogin,
}
