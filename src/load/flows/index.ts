/** The flow registry (`flow:` in scenario YAML). `browser-login` belongs to the browser engineer. */
import { apiCall } from './api-call.ts'
import { authCode } from './auth-code.ts'
import { browserLoginFlow } from './browser-login.ts'
import { clientCredentials } from './client-credentials.ts'
import { introspection } from './introspection.ts'
import { refresh } from './refresh.ts'
import type { FlowDefinition } from './types.ts'

// biome-ignore lint/suspicious/noExplicitAny: each flow has its own state type
export const flows: Record<string, FlowDefinition<any>> = {
  'client-credentials': clientCredentials,
  'api-call': apiCall,
  refresh,
  'auth-code': authCode,
  introspection,
  'browser-login': browserLoginFlow,
}
