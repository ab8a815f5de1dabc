import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

type Gc = (opts?: {type?: 'minor' | 'major'; execution?: 'sync' | 'async'}) => void

let gc: Gc | null | undefined
/** Bytes of blob data (all streams together) between two collections of the buffers they arrived in. */
const GC_EVERY = 1024 * 1024
let sinceGc = 0

/**
 * Every socket read is a fresh off-heap buffer, and V8 only collects for external memory after ~64 MiB of it:
 * streaming a blob would hold that much dead data (peak RSS +64 MiB). A young-generation collection after each
 * MiB of data frees those buffers at ~0.5 ms each. The gc function is taken as jest's leak detector takes it, since
 * node is not started with --expose-gc; where that is refused the pull works as before, with the higher peak.
 */
export function releaseDeadBuffers(bytes: number): void {
  sinceGc += bytes
  if (sinceGc < GC_EVERY) return
  sinceGc = 0
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as Gc
    } catch {
      gc = null
    }
  }
  gc?.({type: 'minor'})
}
