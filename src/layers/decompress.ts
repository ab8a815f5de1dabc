import {Transform, type TransformCallback, type Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'
import {Decompress as ZstdDecompress} from 'fzstd'
import {ImgvetError} from '../errors.js'

export type Compression = 'gzip' | 'zstd' | 'none'

/** By magic bytes, not by media type: registries and tools mislabel layers often enough. */
export function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd'
  return 'none'
}

/**
 * zstd for Node 20 (node:zlib has it only from 22.15). fzstd is pure JS and streams; see bench/ for the
 * measurement against the zstd CLI that chose it.
 */
class ZstdStream extends Transform {
  private readonly dec: ZstdDecompress
  private pending: Buffer[] = []

  constructor() {
    super()
    this.dec = new ZstdDecompress((chunk) => {
      this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    })
  }

  private flushPending(): void {
    for (const b of this.pending) this.push(b)
    this.pending = []
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    try {
      this.dec.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      this.flushPending()
      cb()
    } catch (e) {
      cb(new ImgvetError('hostile-layer', `zstd stream is corrupt: ${(e as Error).message}`))
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.dec.push(new Uint8Array(0), true)
      this.flushPending()
      cb()
    } catch (e) {
      cb(new ImgvetError('hostile-layer', `zstd stream is corrupt or truncated: ${(e as Error).message}`))
    }
  }
}

/** Stops a decompression bomb: counts output bytes and fails past the bound instead of filling memory or time. */
class Bound extends Transform {
  private n = 0
  constructor(private readonly max: number, private readonly where: string) {
    super()
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length
    if (this.n > this.max) {
      cb(new ImgvetError('hostile-layer', `layer decompresses to more than ${this.max} bytes (decompression bomb?); raise --max-layer-size if genuine`, this.where))
      return
    }
    cb(null, chunk)
  }
}

/** Peek at the first bytes of a stream without losing them. */
export async function peek(stream: Readable, n: number): Promise<{head: Buffer; stream: Readable}> {
  const chunks: Buffer[] = []
  let have = 0
  while (have < n) {
    const chunk = stream.read() as Buffer | null
    if (chunk === null) {
      if (stream.readableEnded || stream.destroyed) break
      const ended = await new Promise<boolean>((resolve, reject) => {
        const onReadable = () => done(false)
        const onEnd = () => done(true)
        const onError = (e: Error) => {
          cleanup()
          reject(e)
        }
        const cleanup = () => {
          stream.off('readable', onReadable)
          stream.off('end', onEnd)
          stream.off('error', onError)
        }
        const done = (v: boolean) => {
          cleanup()
          resolve(v)
        }
        stream.once('readable', onReadable)
        stream.once('end', onEnd)
        stream.once('error', onError)
      })
      if (ended) break
      continue
    }
    chunks.push(chunk)
    have += chunk.length
  }
  const head = Buffer.concat(chunks)
  if (head.length > 0) stream.unshift(head)
  return {head, stream}
}

export interface Decompressed {
  stream: Readable
  compression: Compression
}

/** Compressed bytes in, tar bytes out, bounded. */
export async function decompress(input: Readable, maxBytes: number, where: string): Promise<Decompressed> {
  const {head, stream} = await peek(input, 4)
  const compression = sniffCompression(head)
  const bound = new Bound(maxBytes, where)
  const fail = (e: Error) => bound.destroy(e instanceof ImgvetError ? e : new ImgvetError('hostile-layer', `${compression} stream is corrupt: ${e.message}`, where))
  stream.on('error', (e) => bound.destroy(e))
  if (compression === 'none') {
    stream.pipe(bound)
  } else {
    const dec = compression === 'gzip' ? createGunzip({chunkSize: 256 * 1024}) : new ZstdStream()
    dec.on('error', fail)
    stream.pipe(dec).pipe(bound)
  }
  bound.once('close', () => {
    if (!stream.readableEnded) stream.destroy()
  })
  return {stream: bound, compression}
}
