// Worker threads do not inherit tsx's loader from `--import tsx` on Node 20: register it here, then load the TS worker.
import { register } from 'tsx/esm/api'

register()
await import('./embedded-worker.ts')
