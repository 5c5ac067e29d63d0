/**
 * Attack contract: `build(kit) → AttackPlan`, the hostile requests one attack
 * sends to one resource server. An attack only builds tokens; the
 * `jwt-attacks` probe sends them, judges the answers and records one finding
 * per RS and attack. Attacks that need an AS-signed token with chosen claims
 * use the kit's `mint` (mock-as only) and are not applicable without it.
 */
import type { JWK } from 'jose'
import type { RsTarget } from '../runtime/types.ts'

/** A token the AS signed with chosen claims (`null` removes a default claim) and typ (`null`: none). */
export type Mint = (req: { claims?: Record<string, unknown>; typ?: string | null }) => Promise<string>

/** The loopback server that plays the attacker's key URL (jku, x5u). */
export interface AttackerKeys {
  /** `http://127.0.0.1:<port>/jwks.json`: the attacker's key set. */
  jwksUrl: string
  /** `http://127.0.0.1:<port>/cert.pem`: the attacker's certificate. */
  x5uUrl: string
  /** The attacker's signing key (ES256) and its kid, as published at `jwksUrl`. */
  privateKey: CryptoKey
  publicJwk: JWK
  kid: string
  /** Requests the server has answered so far (any path). */
  fetches(): number
}

export interface AttackKit {
  rs: RsTarget
  issuer: string
  /** An access token the AS issued for this RS (its scope and audience); the attacks tamper with it. */
  honest: string
  /** The AS's published keys. */
  jwks: JWK[]
  /** Undefined when the AS is external (no mock-as control). */
  mint?: Mint
  /** A refresh token from a login, or undefined when no client and user can get one. */
  refreshToken(): Promise<string | undefined>
  attacker: AttackerKeys
  /** Key-set fetches the RS reports (its stats), when it has a control API. */
  jwksFetches?(): Promise<number | undefined>
  /** Tokens the unknown-kid flood sends (bounded). */
  floodCount: number
}

/** One hostile request. */
export interface AttackRequest {
  /** What this variant is, in a few words (`alg None`, `kid ../../dev/null`). */
  variant: string
  token: string
  /** Where the token goes: the Authorization header (default) or `?access_token=`. */
  via?: 'header' | 'query'
}

export type AttackPlan =
  | { applicable: false; reason: string }
  | {
      applicable: true
      requests: AttackRequest[]
      /** The answer a correct RS gives: 401 (default) or 403 insufficient_scope (a valid token without the scope). */
      want?: 401 | 403
      /** Set for key-URL attacks: a fetch of the attacker's URL during the attack is a finding. */
      watchesAttackerUrl?: boolean
      /** Set by the flood: count the RS's key-set refetches it caused. */
      countsRefetches?: boolean
    }

export interface AttackDefinition {
  /** Stable kebab-case id, in run.json findings and the docs. */
  readonly id: string
  /** One sentence: what a vulnerable RS does. */
  readonly summary: string
  /** The RFC sections it models. */
  readonly refs: readonly string[]
  build(kit: AttackKit): Promise<AttackPlan>
}

/** Helper that keeps the definition typed at its site. */
export function defineAttack(def: AttackDefinition): AttackDefinition {
  return def
}
