import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

type Gc = (opts?: {type?: 'minor' | 'major'; execution?: 'sync' | 'async'}) => void

let gc: Gc | null | undefined

/**
 * Every socket read is a fresh off-heap buffer, and V8 only collects for external memory after ~64 MiB of it:
 * streaming a blob would hold that much dead data (peak RSS +64 MiB). A young-generation collection every few
 * MiB frees those buffers at ~1 ms each. The gc function is taken as jest's leak detector does, since node is
 * not started with --expose-gc; where that is refused the pull works as before, with the higher peak.
 */
export function releaseDeadBuffers(): void {
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
