/**
 * In-memory state of the AS: grants (a consent and everything issued from
 * it), access tokens (by jti for JWTs, by value for opaque ones), refresh
 * tokens, authorization codes, device codes and pending login transactions.
 * Expired entries are swept periodically so long runs stay bounded.
 */

/** A grant: one consent (or one client_credentials issuance) and its tokens. */
export interface Grant {
  id: string
  clientId: string
  sub: string
  revoked: boolean
  accessKeys: Set<string>
  refreshTokens: Set<string>
}

export interface AccessRecord {
  /** jti for JWTs; the token value for opaque tokens. */
  key: string
  jti: string
  format: 'jwt' | 'opaque'
  clientId: string
  sub: string
  scope: string
  aud: string | string[]
  iat: number
  /** Not active before (a minted token's nbf), when later than iat. */
  nbf?: number
  exp: number
  grantId?: string
  revoked: boolean
  /** A client_credentials JWT not kept in the store (rebuilt from its verified claims). */
  stateless?: boolean
  /** Thumbprint of the DPoP key the token is bound to (RFC 9449 §6, `cnf.jkt`). */
  jkt?: string
}

export interface RefreshRecord {
  jti: string
  clientId: string
  sub: string
  scope: string
  aud: string | string[]
  iat: number
  exp: number
  grantId: string
  revoked: boolean
  /** Epoch ms (skewed) it was rotated; set once a successor exists. */
  rotatedAt?: number
  successor?: string
  /** A public client's refresh token is bound to its DPoP key (RFC 9449 §5). */
  jkt?: string
}

export interface CodeRecord {
  clientId: string
  redirectUri: string
  redirectUriSent: boolean
  codeChallenge?: string
  scope: string
  resource: string[]
  sub: string
  exp: number
  used: boolean
  grantId: string
}

export interface DeviceRecord {
  deviceCode: string
  userCode: string
  clientId: string
  scope: string
  resource: string[]
  exp: number
  intervalMs: number
  lastPoll?: number
  status: 'pending' | 'approved' | 'denied' | 'done'
  sub?: string
}

export interface Transaction {
  id: string
  csrf: string
  exp: number
  clientId: string
  redirectUri: string
  redirectUriSent: boolean
  state?: string
  scope: string
  resource: string[]
  codeChallenge?: string
}

export class Store {
  readonly grants = new Map<string, Grant>()
  readonly access = new Map<string, AccessRecord>()
  readonly refresh = new Map<string, RefreshRecord>()
  readonly codes = new Map<string, CodeRecord>()
  readonly devices = new Map<string, DeviceRecord>()
  readonly userCodes = new Map<string, string>()
  readonly transactions = new Map<string, Transaction>()

  /*
   * client_credentials JWTs are not stored (the hot path stays allocation-light
   * and memory flat): their jti starts with an issuance sequence number, and
   * revocation is a jti deny-list plus per client/subject sequence watermarks.
   */
  private seq = 0
  readonly revokedJtis = new Map<string, number>()
  private readonly watermarks = new Map<string, number>()
  /** `${clientId}\n${sub}` → exp second → live count (for revoke counts). */
  private readonly buckets = new Map<string, Map<number, number>>()

  /** Note a stateless token; returns its jti. */
  issueStateless(clientId: string, sub: string, exp: number, random: string): string {
    const key = `${clientId}\n${sub}`
    let b = this.buckets.get(key)
    if (!b) {
      b = new Map()
      this.buckets.set(key, b)
    }
    b.set(exp, (b.get(exp) ?? 0) + 1)
    return `${(++this.seq).toString(36)}-${random}`
  }

  /** Whether a stateless token (by jti, client and subject) was revoked. */
  statelessRevoked(jti: string, clientId: string, sub: string): boolean {
    if (this.revokedJtis.has(jti)) return true
    if (this.watermarks.size === 0) return false
    const dash = jti.indexOf('-')
    const seq = dash > 0 ? Number.parseInt(jti.slice(0, dash), 36) : Number.NaN
    if (!Number.isFinite(seq)) return true
    for (const k of [`${clientId}\n${sub}`, `${clientId}\n*`, `*\n${sub}`]) {
      const w = this.watermarks.get(k)
      if (w !== undefined && seq <= w) return true
    }
    return false
  }

  /** Revoke every stateless token of a client and/or subject; returns how many were live. */
  revokeStateless(clientId: string | undefined, sub: string | undefined, nowSec: number): number {
    this.watermarks.set(`${clientId ?? '*'}\n${sub ?? '*'}`, this.seq)
    let n = 0
    for (const [key, b] of this.buckets) {
      const [c, s] = key.split('\n')
      if ((clientId !== undefined && c !== clientId) || (sub !== undefined && s !== sub)) continue
      for (const [exp, count] of b) if (exp > nowSec) n += count
      b.clear()
    }
    return n
  }

  /**
   * Drop everything that expired by the AS clock. Memory is bounded by
   * issuance rate × token lifetime (1000/s × 300 s ≈ 300k small records).
   */
  sweep(nowMs: number): void {
    const nowSec = Math.floor(nowMs / 1000) - 5
    for (const [k, r] of this.access)
      if (r.exp < nowSec) {
        this.access.delete(k)
        if (r.grantId) this.grants.get(r.grantId)?.accessKeys.delete(k)
      }
    for (const [k, r] of this.refresh)
      if (r.exp < nowSec) {
        this.refresh.delete(k)
        this.grants.get(r.grantId)?.refreshTokens.delete(k)
      }
    for (const [k, exp] of this.revokedJtis) if (exp < nowSec) this.revokedJtis.delete(k)
    for (const b of this.buckets.values()) for (const exp of b.keys()) if (exp < nowSec) b.delete(exp)
    for (const [k, r] of this.codes) if (r.exp < nowMs - 60_000) this.codes.delete(k)
    for (const [k, r] of this.devices)
      if (r.exp < nowMs - 60_000) {
        this.devices.delete(k)
        this.userCodes.delete(r.userCode)
      }
    for (const [k, t] of this.transactions) if (t.exp < nowMs) this.transactions.delete(k)
    for (const [k, g] of this.grants)
      if (g.accessKeys.size === 0 && g.refreshTokens.size === 0 && !this.grantInUse(k)) this.grants.delete(k)
  }

  private grantInUse(id: string): boolean {
    for (const c of this.codes.values()) if (c.grantId === id) return true
    return false
  }

  newGrant(id: string, clientId: string, sub: string): Grant {
    const g: Grant = { id, clientId, sub, revoked: false, accessKeys: new Set(), refreshTokens: new Set() }
    this.grants.set(id, g)
    return g
  }

  /** Revoke a grant and every token issued from it; returns how many live tokens became revoked. */
  revokeGrant(id: string): number {
    const g = this.grants.get(id)
    if (!g) return 0
    g.revoked = true
    let n = 0
    for (const k of g.accessKeys) {
      const r = this.access.get(k)
      if (r && !r.revoked) {
        r.revoked = true
        n++
      }
    }
    for (const k of g.refreshTokens) {
      const r = this.refresh.get(k)
      if (r && !r.revoked) {
        r.revoked = true
        n++
      }
    }
    return n
  }

  clear(): void {
    this.revokedJtis.clear()
    this.watermarks.clear()
    this.buckets.clear()
    this.grants.clear()
    this.access.clear()
    this.refresh.clear()
    this.codes.clear()
    this.devices.clear()
    this.userCodes.clear()
    this.transactions.clear()
  }
}
