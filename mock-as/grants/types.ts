import type { ClientConfig } from '../config.ts'
import type { AsContext } from '../context.ts'
import type { Params } from '../form.ts'

/** One grant type at the token endpoint: validated input in, token response body out. */
export type GrantHandler = (
  ctx: AsContext,
  client: ClientConfig,
  params: Params,
  resources: string[],
) => Record<string, unknown>
