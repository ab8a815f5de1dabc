import type {Hash} from 'node:crypto'
import {Writable, type Readable} from 'node:stream'
import type {TarParser} from './tar-parse.js'
import {ImgvetError} from '../errors.js'
import {CheckFailure} from './match.js'

/** Bytes from the decompressor that wait for the tar parser; past this, decompression waits in turn. */
const QUEUED_TAR_BYTES = 4 * 1024 * 1024

/**
 * Feeds the decompressed bytes through the diffID hash into the tar parser. The bytes are queued and taken up on the
 * next turn of the event loop rather than inside the decompressor's callback, so inflating the next chunk (on
 * libuv's threads) overlaps parsing this one, instead of each waiting for the other.
 */
export function feedTar(
  tar: Readable, parser: TarParser, sink: {hash: Hash; count: (n: number) => void}, where: string, poolFailure: () => unknown,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed = false
    const fail = (e: unknown) => {
      if (failed) return
      failed = true
      tar.destroy()
      parser.destroy()
      // What failed on a thread is not the tar's fault, whatever it is.
      if (e === poolFailure()) return reject(e)
      reject(e instanceof ImgvetError || e instanceof CheckFailure ? e : new ImgvetError('hostile-layer', `layer is not a valid tar: ${(e as Error).message}`, where))
    }
    tar.on('error', fail)
    parser.on('error', fail)
    parser.on('finish', () => {
      if (!failed) resolve()
    })
    const queue: Buffer[] = []
    let queued = 0
    let waiting: (() => void) | null = null
    let ending: (() => void) | null = null
    let draining = false
    const drain = () => {
      draining = false
      while (queue.length > 0 && !failed) {
        const chunk = queue.shift() as Buffer
        queued -= chunk.length
        sink.count(chunk.length)
        sink.hash.update(chunk)
        if (waiting && queued < QUEUED_TAR_BYTES) {
          const w = waiting
          waiting = null
          w()
        }
        if (!parser.write(chunk)) {
          parser.once('drain', drain)
          draining = true
          return
        }
      }
      if (queue.length === 0 && ending) {
        parser.end()
        ending()
        ending = null
      }
    }
    // Hash everything that comes out of the decompressor, including what follows the tar end marker.
    const hasher = new Writable({
      write(chunk: Buffer, _e, cb) {
        queue.push(chunk)
        queued += chunk.length
        if (!draining) {
          draining = true
          setImmediate(drain)
        }
        if (queued < QUEUED_TAR_BYTES) cb()
        else waiting = cb
      },
      final(cb) {
        ending = cb
        if (!draining) drain()
      },
    })
    hasher.on('error', fail)
    tar.pipe(hasher)
  })
}
