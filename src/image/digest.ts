import {createHash, type Hash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'
import {ImgvetError} from '../errors.js'

const ALGORITHMS: Record<string, {node: string; hexLength: number}> = {
  sha256: {node: 'sha256', hexLength: 64},
  sha512: {node: 'sha512', hexLength: 128},
}

export function parseDigest(digest: string, where?: string): {algorithm: string; hex: string} {
  const m = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(digest)
  const alg = m?.[1] !== undefined ? ALGORITHMS[m[1]] : undefined
  if (!m || !alg || m[2]?.length !== alg.hexLength || !/^[a-f0-9]+$/.test(m[2])) {
    throw new ImgvetError('bad-manifest', `unsupported or malformed digest "${digest}"`, where)
  }
  return {algorithm: m[1] as string, hex: m[2]}
}

export function digestOf(bytes: Buffer | string, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`
}

/** Check bytes already in memory (manifests): size first, then digest, like every blob. */
export function verifyBytes(bytes: Buffer, expected: {digest: string; size?: number}, where: string): void {
  if (expected.size !== undefined && bytes.length !== expected.size) {
    throw new ImgvetError('integrity', `size mismatch: expected ${expected.size} bytes, got ${bytes.length}`, where)
  }
  const {algorithm} = parseDigest(expected.digest, where)
  const actual = digestOf(bytes, algorithm)
  if (actual !== expected.digest) {
    throw new ImgvetError('integrity', `digest mismatch: expected ${expected.digest}, got ${actual}`, where)
  }
}

/**
 * The one verifying reader every blob read goes through: counts and hashes bytes as they pass, fails as soon as
 * more than the declared size arrives, and at the end fails unless size and digest both match. Nothing downstream
 * ever sees the end of a stream whose bytes were wrong.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash
  private seen = 0
  readonly expected: {digest: string; size: number}
  private readonly where: string

  constructor(expected: {digest: string; size: number}, where: string) {
    super()
    this.expected = expected
    this.where = where
    this.hash = createHash(parseDigest(expected.digest, where).algorithm)
  }

  get bytesSeen(): number {
    return this.seen
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length
    if (this.expected.size >= 0 && this.seen > this.expected.size) {
      cb(new ImgvetError('integrity', `size mismatch: more than the declared ${this.expected.size} bytes`, this.where))
      return
    }
    this.hash.update(chunk)
    cb(null, chunk)
  }

  override _flush(cb: TransformCallback): void {
    if (this.expected.size >= 0 && this.seen !== this.expected.size) {
      cb(new ImgvetError('integrity', `size mismatch: expected ${this.expected.size} bytes, got ${this.seen} (truncated)`, this.where))
      return
    }
    const actual = `${parseDigest(this.expected.digest).algorithm}:${this.hash.digest('hex')}`
    if (actual !== this.expected.digest) {
      cb(new ImgvetError('integrity', `digest mismatch: expected ${this.expected.digest}, got ${actual}`, this.where))
      return
    }
    cb()
  }
}
