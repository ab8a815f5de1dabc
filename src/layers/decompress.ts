import {Transform, type TransformCallback, type Readable} from 'node:stream'
import {spawn, spawnSync} from 'node:child_process'
import {createGunzip} from 'node:zlib'
import {Decompress as ZstdDecompress} from 'fzstd'
import {ImgvetError} from '../errors.js'

type Compression = 'gzip' | 'zstd' | 'none'

/** By magic bytes, not by media type: registries and tools mislabel layers often enough. */
function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd'
  return 'none'
}

/**
 * zstd for Node 20 (node:zlib has it only from 22.15). Measured in bench/ (zstd section): the zstd CLI decodes a
 * text layer at ~700-1600 MiB/s, the native zstd-napi addon ~980 MiB/s, pure-JS fzstd ~500-980 MiB/s (README,
 * Performance). So the CLI is used
 * when the machine has it (a pipe to a child process, nothing on disk), and fzstd otherwise: no native module to
 * build, no binary to download.
 */
let zstdCli: boolean | undefined
function hasZstdCli(): boolean {
  // IMGVET_ZSTD_DECODER=js forces the pure-JS decoder (tests cover both paths; a broken zstd binary can be bypassed).
  if (process.env.IMGVET_ZSTD_DECODER === 'js') return false
  zstdCli ??= spawnSync('zstd', ['--version'], {stdio: 'ignore', timeout: 5000}).status === 0
  return zstdCli
}

/** The zstd CLI as a Transform: the stream ends only after the process said the input was whole. */
class ZstdProcess extends Transform {
  private readonly child = spawn('zstd', ['-d', '-c', '-q', '--no-progress'], {stdio: ['pipe', 'pipe', 'pipe']})
  private stderr = ''
  private exited: Promise<number | null>

  constructor(private readonly where: string) {
    super()
    this.child.stdout.on('data', (d: Buffer) => {
      if (!this.push(d)) this.child.stdout.pause()
    })
    this.child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 1000) this.stderr += d.toString()
    })
    // EPIPE when zstd quits early on bad input: the exit code reports it.
    this.child.stdin.on('error', () => {})
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => resolve(code))
      this.child.on('error', (e) => {
        this.stderr ||= e.message
        resolve(-1)
      })
    })
  }

  override _read(size: number): void {
    this.child.stdout.resume()
    super._read(size)
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (!this.child.stdin.write(chunk)) this.child.stdin.once('drain', () => cb())
    else cb()
  }

  override _flush(cb: TransformCallback): void {
    this.child.stdin.end()
    this.child.stdout.once('end', () => {
      void this.exited.then((code) => {
        if (code === 0) cb()
        else cb(new ImgvetError('hostile-layer', `zstd stream is corrupt or truncated: ${this.stderr.trim().split('\n')[0] || `exit ${code}`}`, this.where))
      })
    })
    this.child.stdout.resume()
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill()
    cb(err)
  }
}
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
async function peek(stream: Readable, n: number): Promise<{head: Buffer; stream: Readable}> {
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

interface Decompressed {
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
    const dec = compression === 'gzip' ? createGunzip({chunkSize: 256 * 1024}) : hasZstdCli() ? new ZstdProcess(where) : new ZstdStream()
    dec.on('error', fail)
    stream.pipe(dec).pipe(bound)
    // A consumer that stops early (bomb bound, hostile tar) must not leave the decoder or its process running.
    bound.once('close', () => {
      if (!dec.destroyed) dec.destroy()
    })
  }
  bound.once('close', () => {
    if (!stream.readableEnded) stream.destroy()
  })
  return {stream: bound, compression}
}
