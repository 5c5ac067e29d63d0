/** The SLO catalog: M1–M10 (the OAuth SLI seed table), M11 (DPoP nonce retries), M12 (DPoP proof rejections of honest clients), S1, S2, S3 (security), L1 (browser login) and D1 (time to detect), keyed by id. */
import { d1 } from './d1.ts'
import { l1 } from './l1.ts'
import { m1 } from './m1.ts'
import { m2 } from './m2.ts'
import { m3 } from './m3.ts'
import { m4 } from './m4.ts'
import { m5 } from './m5.ts'
import { m6 } from './m6.ts'
import { m7 } from './m7.ts'
import { m8 } from './m8.ts'
import { m9 } from './m9.ts'
import { m10 } from './m10.ts'
import { m11 } from './m11.ts'
import { m12 } from './m12.ts'
import { s1 } from './s1.ts'
import { s2 } from './s2.ts'
import { s3 } from './s3.ts'
import type { SloDefinition } from './types.ts'

export const slos: Record<string, SloDefinition> = {
  M1: m1,
  M2: m2,
  M3: m3,
  M4: m4,
  M5: m5,
  M6: m6,
  M7: m7,
  M8: m8,
  M9: m9,
  M10: m10,
  M11: m11,
  M12: m12,
  S1: s1,
  S2: s2,
  S3: s3,
  L1: l1,
  D1: d1,
}
