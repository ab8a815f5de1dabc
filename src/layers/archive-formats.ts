import {constants, inflateRawSync} from 'node:zlib'
import {inflateCapped, sniffCodec, type Codec} from './archive-codecs.js'
import {tarChecksum, tarString} from './tar-parse.js'

/**
 * Zip and tar read from a bounded Buffer, by hand: every offset and length comes from untrusted bytes and is
 * checked against the buffer, so a malformed archive yields fewer members, never an exception or a read past it.
 * A dependency (yauzl, adm-zip) would need the same buffer and bring its own error model; the formats are small.
 */

export interface Member {
  /** As stored: normalising and escaping it is the caller's job. */
  name: string
  size: number
  mode: number
  /** The member's bytes, at most `cap` of them; `truncated` when there were more (or the data is cut short). */
  read(cap: number): Promise<{buf: Buffer; truncated: boolean; inflated: number}>
}

type ArchiveFormat = 'zip' | 'tar' | Codec

export function sniffArchive(buf: Buffer): ArchiveFormat | undefined {
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return 'zip'
  if (buf.length >= 22 && buf.readUInt32LE(0) === 0x06054b50) return 'zip'
  const codec = sniffCodec(buf)
  if (codec) return codec
  // v7 tars have no magic; a ustar one says so at 257, and its checksum must agree.
  if (buf.length >= 512 && buf[257] === 0x75 && buf.toString('latin1', 257, 262) === 'ustar' && tarChecksumOk(buf, 0)) return 'tar'
  return undefined
}

/** Executable jars (Spring Boot's launch script) and self-extracting zips carry bytes before the zip: found by its end. */
export function hasZipEnd(buf: Buffer): boolean {
  return findEocd(buf) !== -1
}

function findEocd(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - 0xffff)
  for (let i = buf.length - 22; i >= stop; i--) if (buf.readUInt32LE(i) === 0x06054b50) return i
  return -1
}

interface ZipEntry {
  name: string
  flags: number
  method: number
  csize: number
  usize: number
  local: number
  mode: number
}

/** ZIP64 extended information: the 0xffffffff fields, in order, as 64-bit values. */
function zip64(buf: Buffer, from: number, to: number, e: ZipEntry): void {
  for (let p = from; p + 4 <= to; ) {
    const id = buf.readUInt16LE(p)
    const len = buf.readUInt16LE(p + 2)
    if (id === 0x0001) {
      let q = p + 4
      const take = () => {
        if (q + 8 > p + 4 + len || q + 8 > buf.length) return undefined
        const v = Number(buf.readBigUInt64LE(q))
        q += 8
        return v
      }
      if (e.usize === 0xffffffff) e.usize = take() ?? e.usize
      if (e.csize === 0xffffffff) e.csize = take() ?? e.csize
      if (e.local === 0xffffffff) e.local = take() ?? e.local
      return
    }
    p += 4 + len
  }
}

function centralDirectory(buf: Buffer, maxEntries: number): ZipEntry[] | undefined {
  const eocd = findEocd(buf)
  if (eocd === -1) return undefined
  let count = buf.readUInt16LE(eocd + 10)
  let size = buf.readUInt32LE(eocd + 12)
  let offset = buf.readUInt32LE(eocd + 16)
  let end = eocd
  const loc = eocd - 20
  if ((count === 0xffff || offset === 0xffffffff) && loc >= 0 && buf.readUInt32LE(loc) === 0x07064b50) {
    const z = Number(buf.readBigUInt64LE(loc + 8))
    if (z + 56 <= buf.length && z >= 0 && buf.readUInt32LE(z) === 0x06064b50) {
      count = Number(buf.readBigUInt64LE(z + 32))
      size = Number(buf.readBigUInt64LE(z + 40))
      offset = Number(buf.readBigUInt64LE(z + 48))
      end = z
    }
  }
  // Bytes before the zip (a launch script) shift every offset by the same amount.
  const delta = end - (offset + size)
  if (delta < 0) return undefined
  const out: ZipEntry[] = []
  let p = offset + delta
  for (let i = 0; i < count && out.length < maxEntries; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) break
    const flags = buf.readUInt16LE(p + 8)
    const n = buf.readUInt16LE(p + 28)
    const x = buf.readUInt16LE(p + 30)
    const c = buf.readUInt16LE(p + 32)
    if (p + 46 + n + x > buf.length) break
    const raw = buf.subarray(p + 46, p + 46 + n)
    const e: ZipEntry = {
      name: flags & 0x800 ? raw.toString('utf8') : raw.toString('latin1'),
      flags, method: buf.readUInt16LE(p + 10), csize: buf.readUInt32LE(p + 20), usize: buf.readUInt32LE(p + 24),
      local: buf.readUInt32LE(p + 42), mode: (buf.readUInt32LE(p + 38) >>> 16) & 0o7777,
    }
    zip64(buf, p + 46 + n, p + 46 + n + x, e)
    e.local += delta
    out.push(e)
    p += 46 + n + x + c
  }
  return out
}

/** A zip cut short (the layer entry was larger than the read bound): walk the local headers that are there. */
function localHeaders(buf: Buffer, maxEntries: number): ZipEntry[] {
  const out: ZipEntry[] = []
  let p = buf.indexOf(Buffer.from('PK\x03\x04', 'latin1'))
  while (p !== -1 && p + 30 <= buf.length && buf.readUInt32LE(p) === 0x04034b50 && out.length < maxEntries) {
    const flags = buf.readUInt16LE(p + 6)
    const method = buf.readUInt16LE(p + 8)
    let csize = buf.readUInt32LE(p + 18)
    const n = buf.readUInt16LE(p + 26)
    const x = buf.readUInt16LE(p + 28)
    const data = p + 30 + n + x
    if (data > buf.length) break
    const raw = buf.subarray(p + 30, p + 30 + n)
    if (flags & 0x08) {
      // Sizes follow the data: only deflate says where it ends (the inflater stops at the final block).
      if (method !== 8) break
      try {
        const r = inflateRawSync(buf.subarray(data), {info: true, finishFlush: constants.Z_SYNC_FLUSH})
        csize = (r as unknown as {engine: {bytesWritten: number}}).engine.bytesWritten
      } catch {
        break
      }
    }
    const name = flags & 0x800 ? raw.toString('utf8') : raw.toString('latin1')
    out.push({name, flags, method, csize, usize: buf.readUInt32LE(p + 22), local: p, mode: 0})
    let next = data + csize
    if (flags & 0x08) next = buf.indexOf(Buffer.from('PK\x03\x04', 'latin1'), next)
    p = next
  }
  return out
}

/** One zip member; a class rather than closures: a jar lists thousands, and most are never read. */
class ZipMember implements Member {
  readonly mode: number
  constructor(private readonly buf: Buffer, private readonly e: ZipEntry, readonly name: string, readonly size: number) {
    this.mode = e.mode || 0o644
  }

  async read(cap: number): Promise<{buf: Buffer; truncated: boolean; inflated: number}> {
    const {buf, e} = this
    const data = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28)
    const stored = buf.subarray(Math.min(data, buf.length), Math.min(data + e.csize, buf.length))
    const cut = data + e.csize > buf.length
    if (e.method === 0) return {buf: stored.subarray(0, cap), truncated: cut || stored.length > cap, inflated: 0}
    const r = await inflateCapped(stored, cap, 'raw')
    return {...r, truncated: r.truncated || cut, inflated: r.buf.length}
  }
}

export function zipMembers(buf: Buffer, maxEntries: number): {members: Member[]; complete: boolean} {
  const cd = centralDirectory(buf, maxEntries)
  const entries = cd ?? localHeaders(buf, maxEntries)
  const members: Member[] = []
  for (const e of entries) {
    // Directories, encrypted members and methods other than store/deflate (bzip2, LZMA, zstd) are not read.
    if (e.name.endsWith('/') || e.flags & 0x01 || (e.method !== 0 && e.method !== 8)) continue
    if (e.local + 30 > buf.length || buf.readUInt32LE(e.local) !== 0x04034b50) continue
    members.push(new ZipMember(buf, e, e.name, e.usize))
  }
  return {members, complete: cd !== undefined && entries.length < maxEntries}
}

function tarChecksumOk(buf: Buffer, at: number): boolean {
  if (at + 512 > buf.length) return false
  const stored = parseInt(buf.toString('latin1', at + 148, at + 156).replace(/[\0 ]+$/, '').trim(), 8)
  if (!Number.isFinite(stored)) return false
  const sum = tarChecksum(buf, at)
  return sum === stored && sum !== 8 * 0x20
}

function tarNumber(buf: Buffer, at: number, len: number): number {
  if ((buf[at] ?? 0) & 0x80) {
    // base-256 (GNU) for sizes past 8 GiB: far beyond any bound here, so the low 6 bytes are enough.
    let v = 0
    for (let i = Math.max(1, len - 6); i < len; i++) v = v * 256 + (buf[at + i] ?? 0)
    return v
  }
  return parseInt(buf.toString('latin1', at, at + len).replace(/\0.*$/, '').trim() || '0', 8) || 0
}

/** ustar, pax (`path`, `size`) and GNU long names; links, devices and directories are skipped. */
export function tarMembers(buf: Buffer, maxEntries: number): {members: Member[]; complete: boolean} {
  const members: Member[] = []
  let p = 0
  let longName: string | undefined
  let pax: Record<string, string> = {}
  while (p + 512 <= buf.length && members.length < maxEntries) {
    if (!tarChecksumOk(buf, p)) return {members, complete: buf.subarray(p, p + 512).every((b) => b === 0)}
    const type = String.fromCharCode(buf[p + 156] ?? 0)
    let size = tarNumber(buf, p + 124, 12)
    if (pax.size && /^\d+$/.test(pax.size)) size = Number(pax.size)
    const data = p + 512
    const next = data + Math.ceil(size / 512) * 512
    if (type === 'x' || type === 'L') {
      const body = buf.toString('utf8', data, Math.min(data + size, buf.length))
      if (type === 'L') longName = body.replace(/\0.*$/s, '')
      else pax = parsePax(body)
      p = next
      continue
    }
    const prefix = buf.toString('latin1', p + 257, p + 262) === 'ustar' ? tarString(buf, p + 345, 155) : ''
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${tarString(buf, p, 100)}` : tarString(buf, p, 100))
    const mode = tarNumber(buf, p + 100, 8) & 0o7777
    longName = undefined
    pax = {}
    if (type === '0' || type === '\0' || type === '7') {
      const body = buf.subarray(Math.min(data, buf.length), Math.min(data + size, buf.length))
      const cut = data + size > buf.length
      const read = async (cap: number) => ({buf: body.subarray(0, cap), truncated: cut || body.length > cap, inflated: 0})
      members.push({name, size, mode, read})
    }
    p = next
  }
  return {members, complete: p >= buf.length}
}

function parsePax(body: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of body.matchAll(/^\d+ ([^=\n]+)=([^\n]*)$/gm)) out[m[1] ?? ''] = m[2] ?? ''
  return out
}
