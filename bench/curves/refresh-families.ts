/**
 * mock-as memory per outstanding refresh-token family, and how much of it
 * the expiry sweep gives back. A family is what an authorization-code grant
 * leaves in the store: the grant, its access-token record and its live
 * refresh token (minted by the AS's own `issueRefreshToken`). Run as a child
 * process with `--expose-gc` per size, so each starts from an empty heap:
 *
 *   node --expose-gc --import tsx bench/curves/refresh-families.ts <families>
 *
 * Prints one JSON line: families, bytesPerFamily (heap), rssBytesPerFamily,
 * heapReturned (0–1: share of the families' heap freed by sweep + GC), rssAfterMb.
 */
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { type AsContext, issueRefreshToken } from '../../mock-as/context.ts'
import { Store } from '../../mock-as/store.ts'

export interface FamilyFigures {
  families: number
  bytesPerFamily: number
  rssBytesPerFamily: number
  heapReturned: number
  heapMb: number
  rssMb: number
  rssAfterMb: number
}

const gc = (globalThis as { gc?: () => void }).gc

function settle(): NodeJS.MemoryUsage {
  // several passes: weak and finalizable objects need more than one
  for (let i = 0; i < 3; i++) gc!()
  return process.memoryUsage()
}

export function refreshFamilies(families: number): FamilyFigures {
  if (!gc) throw new Error('run with node --expose-gc')
  let nowSec = 1_800_000_000
  const store = new Store()
  const ctx = { store, clock: { nowSeconds: () => nowSec }, ttl: { refreshToken: 86_400_000 } } as unknown as AsContext
  const base = settle()
  for (let i = 0; i < families; i++) {
    const grant = store.newGrant(randomUUID(), 'spa', `user-${i % 1000}`)
    const jti = randomUUID()
    store.access.set(jti, {
      key: jti,
      jti,
      format: 'jwt',
      clientId: 'spa',
      sub: grant.sub,
      scope: 'orders:read',
      aud: 'https://api.example',
      iat: nowSec,
      exp: nowSec + 300,
      grantId: grant.id,
      revoked: false,
    })
    grant.accessKeys.add(jti)
    issueRefreshToken(ctx, grant, 'orders:read', 'https://api.example')
  }
  const full = settle()
  nowSec += 86_400 + 60
  store.sweep(nowSec * 1000)
  const after = settle()
  if (store.refresh.size || store.grants.size || store.access.size)
    throw new Error(
      `sweep left ${store.refresh.size} refresh tokens, ${store.grants.size} grants, ${store.access.size} access records`,
    )
  const held = full.heapUsed - base.heapUsed
  const mb = (b: number) => Math.round(b / 1e5) / 10
  return {
    families,
    bytesPerFamily: Math.round(held / families),
    rssBytesPerFamily: Math.round((full.rss - base.rss) / families),
    heapReturned: held > 0 ? (full.heapUsed - after.heapUsed) / held : Number.NaN,
    heapMb: mb(full.heapUsed),
    rssMb: mb(full.rss),
    rssAfterMb: mb(after.rss),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2])
  if (!(n >= 1)) throw new Error('usage: refresh-families.ts <families>')
  process.stdout.write(`${JSON.stringify(refreshFamilies(n))}\n`)
}
