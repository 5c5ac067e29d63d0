import type { ClientConfig } from '../config.ts'
import type { AsContext } from '../context.ts'
import type { Params } from '../form.ts'

/** What the tokens of a request are bound to: the DPoP key thumbprint of its proof (RFC 9449), if any. */
export interface TokenBinding {
  readonly jkt?: string
}

/** One grant type at the token endpoint: validated input in, token response body out. */
export type GrantHandler = (
  ctx: AsContext,
  client: ClientConfig,
  params: Params,
  resources: string[],
  binding: TokenBinding,
) => Record<string, unknown>
