import {EventEmitter} from 'node:events'

/**
 * A synchronous tar parser for the layer walk: ustar, GNU (long names and links, base-256 numbers) and pax (path,
 * linkpath, size; global headers too), read as tar-stream reads them. tar-stream made a stream, a buffer list and a
 * few promises per entry; in a layer of 100k small files that was the largest part of an entry's cost, and the walk
 * needs none of it: each entry's body goes to listeners that take it synchronously (readEntry, readWindows).
 */
export interface TarHeader {
  name: string
  type: TarType
  mode: number
  uid: number
  gid: number
  size: number
  mtime: Date
  linkname: string | null
}

type TarType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo'
  | 'contiguous-file' | 'pax-header' | 'pax-global-header' | 'gnu-long-path' | 'gnu-long-link-path' | null

/** A long name or pax header larger than this is not a header but an attack (tar-stream's bound too). */
const MAX_META_BYTES = 4 * 1024 * 1024
/** Bytes held while the walk works on an entry before write() asks the writer to wait. */
const HIGH_WATER = 1024 * 1024

const TYPES: Record<number, TarType> = {
  0: 'file', 1: 'link', 2: 'symlink', 3: 'character-device', 4: 'block-device', 5: 'directory', 6: 'fifo',
  7: 'contiguous-file', 72: 'pax-header', 55: 'pax-global-header', 27: 'gnu-long-link-path', 28: 'gnu-long-path',
  30: 'gnu-long-path',
}

/** A header block's checksum as the format defines it: its bytes summed, the checksum field counted as spaces. */
export function tarChecksum(b: Buffer, at = 0): number {
  let sum = 8 * 32
  for (let i = at; i < at + 148; i++) sum += b[i] as number
  for (let i = at + 156; i < at + 512; i++) sum += b[i] as number
  return sum
}

function end(b: Buffer, from: number, to: number, byte: number): number {
  for (let i = from; i < to; i++) if (b[i] === byte) return i
  return to
}

/** A NUL-terminated field of at most `len` bytes, as UTF-8. */
export function tarString(b: Buffer, at: number, len: number): string {
  return b.toString('utf8', at, end(b, at, at + len, 0))
}

/** Octal, space or NUL padded; or GNU base-256 when the high bit is set (sizes past 8 GiB, negative times). */
function num(b: Buffer, at: number, len: number): number {
  if ((b[at] as number) & 0x80) {
    const positive = b[at] === 0x80
    if (!positive && b[at] !== 0xff) return NaN
    let v = 0
    for (let i = at + 1; i < at + len; i++) v = v * 256 + (positive ? (b[i] as number) : 0xff - (b[i] as number))
    return positive ? v : -v
  }
  let i = at
  while (i < at + len && b[i] === 32) i++
  const stop = end(b, i, at + len, 32)
  while (i < stop && b[i] === 0) i++
  if (i === stop) return 0
  let v = 0
  for (; i < stop; i++) {
    const d = (b[i] as number) - 48
    // A NUL ends the field, as parseInt stops at the first non-octal character.
    if (d < 0 || d > 7) break
    v = v * 8 + d
  }
  return v
}

/** One 512-byte header, or null for a block of zeros (the archive's end, which may be followed by more). */
function decodeHeader(b: Buffer): TarHeader | null {
  const flag = b[156] === 0 ? 0 : (b[156] as number) - 48
  const sum = tarChecksum(b)
  if (sum === 8 * 32) return null
  if (sum !== num(b, 148, 8)) throw new Error('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?')
  let name = tarString(b, 0, 100)
  // Compared byte by byte: two strings per header were a tenth of a small file's walk.
  const magic = b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 && b[261] === 0x72
  const ustar = magic && b[262] === 0
  const gnu = magic && b[262] === 0x20 && b[263] === 0x20 && b[264] === 0
  if (!ustar && !gnu) throw new Error('Invalid tar header: unknown format.')
  if (ustar && b[345] !== 0) name = `${tarString(b, 345, 155)}/${name}`
  const type = TYPES[flag === 0 && name.endsWith('/') ? 5 : flag] ?? null
  return {
    name, type, mode: num(b, 100, 8), uid: num(b, 108, 8), gid: num(b, 116, 8), size: num(b, 124, 12),
    mtime: new Date(1000 * num(b, 136, 12)), linkname: b[157] === 0 ? null : tarString(b, 157, 100),
  }
}

function decodePax(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let rest = b
  while (rest.length > 0) {
    const sp = end(rest, 0, rest.length, 32)
    const len = parseInt(rest.toString('utf8', 0, sp), 10)
    if (!len) break
    const record = rest.toString('utf8', sp + 1, len - 1)
    const eq = record.indexOf('=')
    if (eq === -1) break
    out[record.slice(0, eq)] = record.slice(eq + 1)
    rest = rest.subarray(len)
  }
  return out
}

/**
 * An entry's body: its bytes go to 'data' listeners as they arrive, synchronously; until a listener or resume()
 * asks for them they are held. 'end' registered after the end is called at once, so a late listener never waits.
 */
export class TarBody {
  private held: Buffer[] | null = []
  private onData: Array<(b: Buffer) => void> = []
  private onEnd: Array<() => void> = []
  private onError: Array<(e: Error) => void> = []
  private ended = false
  private failed: Error | null = null

  on(event: 'data' | 'end' | 'error', fn: ((b: Buffer) => void) | (() => void) | ((e: Error) => void)): this {
    if (event === 'data') {
      this.onData.push(fn as (b: Buffer) => void)
      this.flow()
    } else if (event === 'end') {
      if (this.ended && this.held === null) (fn as () => void)()
      else this.onEnd.push(fn as () => void)
    } else {
      if (this.failed) (fn as (e: Error) => void)(this.failed)
      else this.onError.push(fn as (e: Error) => void)
    }
    return this
  }

  /** Let the bytes go, whoever listens (or nobody: a skipped entry). */
  resume(): this {
    this.flow()
    return this
  }

  push(b: Buffer): void {
    if (this.held) this.held.push(b)
    else for (const fn of this.onData) fn(b)
  }

  finish(): void {
    this.ended = true
    if (this.held === null) this.emitEnd()
  }

  fail(e: Error): void {
    if (this.failed || (this.ended && this.held === null)) return
    this.failed = e
    for (const fn of this.onError) fn(e)
  }

  private flow(): void {
    const held = this.held
    if (!held) return
    this.held = null
    for (const b of held) for (const fn of this.onData) fn(b)
    if (this.ended) this.emitEnd()
  }

  private emitEnd(): void {
    const fns = this.onEnd
    this.onEnd = []
    for (const fn of fns) fn()
  }
}

/**
 * The parser: write() the tar's bytes, end() at their end. It emits ('entry', header, body, next) for each entry
 * and waits for next() before the following one; 'finish' after the last, or 'error' (the archive is cut short, a
 * header is corrupt or too large). write() returns false while it holds more than it should; 'drain' follows.
 */
export class TarParser extends EventEmitter {
  private chunks: Buffer[] = []
  private head = 0
  private offset = 0
  private buffered = 0
  private missing = 0
  private padding = 0
  private body: TarBody | null = null
  private meta: TarHeader | null = null
  private locked = false
  private running = false
  private ending = false
  private needDrain = false
  private destroyed = false
  private longPath: string | null = null
  private longLink: string | null = null
  private pax: Record<string, string> | null = null
  private paxGlobal: Record<string, string> | null = null

  override on(event: 'entry', fn: (h: TarHeader, body: TarBody, next: (e?: Error | null) => void) => void): this
  override on(event: 'error', fn: (e: Error) => void): this
  override on(event: 'finish' | 'drain', fn: () => void): this
  override on(event: string, fn: (...args: never[]) => void): this {
    return super.on(event, fn as (...args: unknown[]) => void)
  }

  write(chunk: Buffer): boolean {
    if (this.destroyed) return false
    if (chunk.length === 0) return true
    this.chunks.push(chunk)
    this.buffered += chunk.length
    this.run()
    if (this.buffered < HIGH_WATER) return true
    this.needDrain = true
    return false
  }

  end(): void {
    this.ending = true
    this.run()
  }

  destroy(e?: Error): void {
    if (this.destroyed) return
    this.destroyed = true
    this.chunks = []
    this.buffered = 0
    const err = e ?? new Error('the tar parser was stopped')
    this.body?.fail(err)
    if (e) this.emit('error', e)
  }

  private readonly next = (e?: Error | null): void => {
    if (e) return this.destroy(e)
    this.locked = false
    this.run()
  }

  private run(): void {
    // next() called from inside an 'entry' listener, or write() from a 'data' one: the running loop goes on.
    if (this.running || this.destroyed) return
    this.running = true
    try {
      this.step()
    } catch (e) {
      this.destroy(e as Error)
    } finally {
      this.running = false
    }
    if (this.destroyed) return
    if (this.needDrain && this.buffered < HIGH_WATER) {
      this.needDrain = false
      this.emit('drain')
    }
    // At the end, and not waiting for the walk: whatever is still expected, or left over, cuts the archive short.
    if (this.ending && !this.locked) {
      if (this.body || this.meta || this.padding > 0 || this.buffered > 0) this.destroy(new Error('Unexpected end of data'))
      else {
        this.ending = false
        this.emit('finish')
      }
    }
  }

  private step(): void {
    while (!this.destroyed) {
      if (this.body) {
        if (this.buffered === 0) return
        const b = this.take(this.missing)
        this.missing -= b.length
        const body = this.body
        if (this.missing === 0) this.body = null
        body.push(b)
        if (this.missing === 0) body.finish()
        continue
      }
      if (this.padding > 0) {
        if (this.buffered === 0) return
        this.padding -= this.take(this.padding).length
        continue
      }
      if (this.meta) {
        if (this.buffered < this.meta.size) return
        this.readMeta(this.meta, this.take(this.meta.size, true))
        this.padding = pad(this.meta.size)
        this.meta = null
        continue
      }
      if (this.locked || this.buffered < 512) return
      const header = decodeHeader(this.take(512, true))
      if (!header) continue
      if (header.type === 'pax-header' || header.type === 'pax-global-header' || header.type === 'gnu-long-path' || header.type === 'gnu-long-link-path') {
        if (header.size > MAX_META_BYTES) throw new Error('Header exceeds max size')
        this.meta = header
        continue
      }
      this.applyLong(header)
      if (!(header.size >= 0)) throw new Error('Invalid header')
      const body = new TarBody()
      this.locked = true
      this.missing = header.size
      this.padding = pad(header.size)
      if (header.size > 0) this.body = body
      this.emit('entry', header, body, this.next)
      if (header.size === 0) body.finish()
    }
  }

  private readMeta(h: TarHeader, b: Buffer): void {
    if (h.type === 'gnu-long-path') this.longPath = tarString(b, 0, b.length)
    else if (h.type === 'gnu-long-link-path') this.longLink = tarString(b, 0, b.length)
    else if (h.type === 'pax-global-header') this.paxGlobal = decodePax(b)
    else this.pax = this.paxGlobal ? {...this.paxGlobal, ...decodePax(b)} : decodePax(b)
  }

  private applyLong(h: TarHeader): void {
    if (this.longPath !== null) h.name = this.longPath
    if (this.longLink !== null) h.linkname = this.longLink
    this.longPath = this.longLink = null
    const pax = this.pax
    if (pax) {
      if (pax['path']) h.name = pax['path']
      if (pax['linkpath']) h.linkname = pax['linkpath']
      if (pax['size']) h.size = parseInt(pax['size'], 10)
      this.pax = null
    }
  }

  /** Up to `n` bytes from the front: a view into one chunk, or (`whole`) exactly n bytes, copied if they span chunks. */
  private take(n: number, whole = false): Buffer {
    const first = this.chunks[this.head] as Buffer
    const rest = first.length - this.offset
    if (n <= rest || !whole) {
      const k = Math.min(n, rest)
      const b = this.offset === 0 && k === first.length ? first : first.subarray(this.offset, this.offset + k)
      this.advance(k, first)
      return b
    }
    const out = Buffer.allocUnsafe(n)
    let have = 0
    while (have < n) {
      const c = this.chunks[this.head] as Buffer
      const k = Math.min(n - have, c.length - this.offset)
      c.copy(out, have, this.offset, this.offset + k)
      have += k
      this.advance(k, c)
    }
    return out
  }

  private advance(k: number, c: Buffer): void {
    this.buffered -= k
    this.offset += k
    if (this.offset === c.length) {
      this.chunks[this.head++] = undefined as unknown as Buffer
      this.offset = 0
      if (this.head > 1024) {
        this.chunks = this.chunks.slice(this.head)
        this.head = 0
      }
    }
  }
}

function pad(size: number): number {
  const r = size & 511
  return r === 0 ? 0 : 512 - r
}
