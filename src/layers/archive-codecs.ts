import {createRequire} from 'node:module'
import {constants, createGunzip, createInflateRaw, gunzipSync, inflateRawSync} from 'node:zlib'
import {Decompress as ZstdDecompress} from 'fzstd'
import xzDecompress from 'xz-decompress'

/**
 * The compressions a tarball in a layer comes in (and raw deflate, for zip members), each decoded from a bounded
 * Buffer to at most `cap` bytes: the work a bomb costs is `cap` bytes of output (or the input's length), never what
 * it claims. Adding one is a decoder here and an entry in CODECS.
 * - gzip, deflate: node:zlib.
 * - zstd: fzstd, already the layer decoder's fallback (pure JS).
 * - xz: xz-decompress, XZ Embedded (the Linux kernel's xz decoder) in 26 KB of wasm, no dependencies, MIT.
 * - bzip2: seek-bzip, pure JS, MIT; its one dependency (commander) serves its CLI only. unbzip2-stream was slower
 *   here (4 against 7 MB/s of output on incompressible text) and brings a Buffer polyfill.
 * Measured on one core (34 MB of text / 30 MB of base64 noise, output rates): zstd 58, xz 38 / 20, bzip2 7 MB/s;
 * the layer's archive budget (256 MiB of output) bounds a layer of the slowest to well under a minute.
 */
interface Decoded {
  buf: Buffer
  truncated: boolean
  /** Why nothing could be decoded, for the archive.partial note; unset when the data decoded (maybe in part). */
  refused?: string
}

/** Inflate at most `cap` bytes; a bomb costs `cap` bytes of work, never what it claims to expand to. */
export async function inflateCapped(data: Buffer, cap: number, format: 'raw' | 'gzip'): Promise<{buf: Buffer; truncated: boolean}> {
  const opts = {maxOutputLength: Math.max(1, cap), finishFlush: constants.Z_SYNC_FLUSH}
  try {
    const buf = format === 'raw' ? inflateRawSync(data, opts) : gunzipSync(data, opts)
    return {buf, truncated: false}
  } catch (e) {
    if ((e as {code?: string}).code !== 'ERR_BUFFER_TOO_LARGE') return {buf: Buffer.alloc(0), truncated: true}
  }
  // Larger than the cap: stream it and keep the start, which is where the rules look.
  return new Promise((resolve) => {
    const z = format === 'raw' ? createInflateRaw() : createGunzip()
    const chunks: Buffer[] = []
    let have = 0
    let done = false
    const finish = (truncated: boolean) => {
      if (done) return
      done = true
      z.destroy()
      resolve({buf: Buffer.concat(chunks).subarray(0, cap), truncated})
    }
    z.on('data', (c: Buffer) => {
      chunks.push(c)
      have += c.length
      if (have >= cap) finish(true)
    })
    z.on('end', () => finish(false))
    z.on('error', () => finish(true))
    z.end(data)
  })
}

/** zstd's own decoder refuses windows past 2^27 unless told otherwise; so does this one, before allocating one. */
const MAX_ZSTD_WINDOW = 128 * 1024 * 1024
const SLICE = 64 * 1024

/**
 * The largest window any frame of `buf` asks for, walking frame and block headers only (no decoding); Infinity
 * when a header is malformed, since the decoder would allocate from it.
 */
export function zstdMaxWindow(buf: Buffer): number {
  let p = 0
  let max = 0
  while (p + 8 <= buf.length) {
    const magic = buf.readUInt32LE(p)
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      p += 8 + buf.readUInt32LE(p + 4)
      continue
    }
    if (magic !== 0xfd2fb528) return p === 0 ? Infinity : max
    const fhd = buf[p + 4] ?? 0
    const single = (fhd >> 5) & 1
    const fcsBytes = [single, 2, 4, 8][fhd >> 6] ?? 0
    const didBytes = [0, 1, 2, 4][fhd & 3] ?? 0
    let q = p + 5
    let window = 0
    if (!single) {
      const wd = buf[q++] ?? 0
      const base = 2 ** (10 + (wd >> 3))
      window = base + (base / 8) * (wd & 7)
    }
    q += didBytes
    if (single) {
      let fcs = 0
      for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + (buf[q + i] ?? 0)
      window = fcs + (fcsBytes === 2 ? 256 : 0)
    }
    q += fcsBytes
    max = Math.max(max, window)
    // Blocks: a 3-byte header (last flag, type, size); RLE blocks hold one byte whatever their size says.
    for (;;) {
      if (q + 3 > buf.length) return max
      const h = buf.readUIntLE(q, 3)
      const type = (h >> 1) & 3
      if (type === 3) return Infinity
      q += 3 + (type === 1 ? 1 : h >>> 3)
      if (h & 1) break
    }
    p = q + ((fhd >> 2) & 1 ? 4 : 0)
  }
  return max
}

function zstdCapped(data: Buffer, cap: number): Decoded {
  if (zstdMaxWindow(data) > MAX_ZSTD_WINDOW) return {buf: Buffer.alloc(0), truncated: true, refused: 'its zstd window is larger than 128 MiB'}
  const chunks: Buffer[] = []
  let have = 0
  const dec = new ZstdDecompress((c) => {
    chunks.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength))
    have += c.byteLength
  })
  let truncated = false
  try {
    for (let p = 0; p < data.length && have < cap; p += SLICE) dec.push(data.subarray(p, p + SLICE), p + SLICE >= data.length)
    truncated = have >= cap
  } catch {
    // Corrupt or cut short: what came out before is searched.
    truncated = true
  }
  return {buf: Buffer.concat(chunks).subarray(0, cap), truncated: truncated || have > cap}
}

async function xzCapped(data: Buffer, cap: number): Promise<Decoded> {
  let p = 0
  // Fed a slice at a time as the decoder asks, so a cap reached early leaves the rest of the input untouched.
  const input = new ReadableStream<Uint8Array>({
    pull(c) {
      if (p >= data.length) return c.close()
      c.enqueue(new Uint8Array(data.subarray(p, p + SLICE)))
      p += SLICE
    },
  })
  const reader = new xzDecompress.XzReadableStream(input).getReader()
  const chunks: Buffer[] = []
  let have = 0
  let truncated = false
  try {
    while (have < cap) {
      const {done, value} = await reader.read()
      if (done) break
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
      have += value.byteLength
    }
    truncated = have >= cap
  } catch {
    truncated = true
  } finally {
    await reader.cancel().catch(() => {})
  }
  return {buf: Buffer.concat(chunks).subarray(0, cap), truncated: truncated || have > cap}
}

interface BunzipOutput {
  writeByte(b: number): void
  write(buf: Uint8Array, off: number, len: number): number
  flush(): void
}
const Bunzip = createRequire(import.meta.url)('seek-bzip') as {decode(input: Buffer, output: BunzipOutput, multistream: boolean): void}
const FULL = new Error('cap reached')

function bzip2Capped(data: Buffer, cap: number): Decoded {
  const chunks: Buffer[] = []
  let cur = Buffer.allocUnsafe(Math.min(cap, 1024 * 1024))
  let n = 0
  let have = 0
  const sink: BunzipOutput = {
    writeByte(b) {
      if (n === cur.length) {
        chunks.push(cur)
        have += n
        if (have >= cap) throw FULL
        cur = Buffer.allocUnsafe(Math.min(cap - have, 1024 * 1024))
        n = 0
      }
      cur[n++] = b
    },
    write(buf, off, len) {
      for (let i = 0; i < len; i++) this.writeByte(buf[off + i] ?? 0)
      return len
    },
    flush() {},
  }
  let truncated = false
  try {
    Bunzip.decode(data, sink, true)
  } catch {
    // FULL, or corrupt data: what came out before it is searched.
    truncated = true
  }
  if (n > 0 && chunks[chunks.length - 1] !== cur) chunks.push(cur.subarray(0, n))
  return {buf: Buffer.concat(chunks), truncated}
}

interface CodecSpec {
  /** The first bytes say it is this codec. */
  magic(buf: Buffer): boolean
  /** Names of a tarball compressed so (a bare `.xz` is left alone, as a bare `.gz` is). */
  suffixes: readonly string[]
  decode(data: Buffer, cap: number): Decoded | Promise<Decoded>
}

/** Every compression a tarball in a layer is opened in: one entry each. */
const CODECS = {
  gzip: {magic: (b) => b[0] === 0x1f && b[1] === 0x8b, suffixes: ['.tgz', '.tar.gz'], decode: (d, cap) => inflateCapped(d, cap, 'gzip')},
  zstd: {magic: (b) => b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528, suffixes: ['.tzst', '.tar.zst'], decode: zstdCapped},
  // fd `7zXZ` 00
  xz: {magic: (b) => b[0] === 0xfd && b.readUInt32BE(1) === 0x377a585a && b[5] === 0, suffixes: ['.txz', '.tar.xz'], decode: xzCapped},
  // `BZh`, the block size digit, then a block's or the end's magic (the digits of pi, of sqrt(pi)).
  bzip2: {
    magic: (b) => b.readUIntBE(0, 3) === 0x425a68 && /^(?:1AY&SY|\x17rE8P\x90)$/.test(b.toString('latin1', 4, 10)),
    suffixes: ['.tbz', '.tbz2', '.tar.bz2'], decode: bzip2Capped,
  },
} satisfies Record<string, CodecSpec>

export type Codec = keyof typeof CODECS

export const CODEC_SUFFIXES: readonly string[] = Object.values(CODECS).flatMap((c) => c.suffixes)

export function isCodec(f: string | undefined): f is Codec {
  return f !== undefined && Object.hasOwn(CODECS, f)
}

/** Called for most files of a layer (src/layers/scan-layer.ts): byte compares, no allocation. */
const SNIFF = Object.entries(CODECS) as Array<[Codec, CodecSpec]>

export function sniffCodec(buf: Buffer): Codec | undefined {
  if (buf.length < 10) return undefined
  for (const [name, c] of SNIFF) if (c.magic(buf)) return name
  return undefined
}

export async function decodeCapped(data: Buffer, cap: number, codec: Codec): Promise<Decoded> {
  return CODECS[codec].decode(data, cap)
}
