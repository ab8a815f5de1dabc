import {open} from 'node:fs/promises'
import {ImgvetError} from '../../errors.js'

interface TarMember {
  offset: number
  size: number
}
export type TarIndex = Map<string, TarMember>

const BLOCK = 512
const MAX_MEMBERS = 1_000_000

function field(buf: Buffer, start: number, len: number): string {
  const raw = buf.subarray(start, start + len)
  const nul = raw.indexOf(0)
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8')
}

function octal(buf: Buffer, start: number, len: number, where: string): number {
  const first = buf[start] ?? 0
  if (first & 0x80) {
    // GNU base-256 for sizes over 8 GiB.
    let n = 0
    for (let i = 1; i < len; i++) n = n * 256 + (buf[start + i] ?? 0)
    return n
  }
  const s = field(buf, start, len).trim()
  if (s === '') return 0
  if (!/^[0-7]+$/.test(s)) throw new ImgvetError('bad-input', `corrupt tar header (size "${s}")`, where)
  return parseInt(s, 8)
}

function paxPath(data: Buffer): string | undefined {
  let i = 0
  let path: string | undefined
  while (i < data.length) {
    const sp = data.indexOf(0x20, i)
    if (sp < 0) break
    const len = Number(data.subarray(i, sp).toString())
    if (!Number.isFinite(len) || len <= 0) break
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8')
    const eq = rec.indexOf('=')
    if (rec.slice(0, eq) === 'path') path = rec.slice(eq + 1)
    i += len
  }
  return path
}

/**
 * Index the regular files of an uncompressed tar by path → (offset, size) by reading headers only and seeking
 * over the data, so a multi-GB archive costs a few reads per member, not a pass over its bytes.
 */
export async function readTarIndex(file: string): Promise<TarIndex> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new ImgvetError('bad-input', `cannot open archive: ${e.code ?? e.message}`, file)
  })
  const index: TarIndex = new Map()
  try {
    const {size: total} = await fh.stat()
    const head = Buffer.alloc(BLOCK)
    let pos = 0
    let longName: string | undefined
    const firstBytes = Buffer.alloc(2)
    await fh.read(firstBytes, 0, 2, 0)
    if (firstBytes[0] === 0x1f && firstBytes[1] === 0x8b) {
      throw new ImgvetError('bad-input', 'archive is gzip-compressed; decompress it first (gunzip)', file)
    }
    while (pos + BLOCK <= total) {
      await fh.read(head, 0, BLOCK, pos)
      if (head.every((b) => b === 0)) break
      const magic = field(head, 257, 6)
      if (!magic.startsWith('ustar') && magic !== '') throw new ImgvetError('bad-input', 'not a tar archive', file)
      const size = octal(head, 124, 12, file)
      const type = String.fromCharCode(head[156] ?? 0x30)
      const dataStart = pos + BLOCK
      if (dataStart + size > total) throw new ImgvetError('bad-input', 'tar archive is truncated', file)
      let name = field(head, 0, 100)
      const prefix = field(head, 345, 155)
      if (prefix && magic.startsWith('ustar')) name = `${prefix}/${name}`
      if (type === 'L' || type === 'x') {
        if (size > 1024 * 1024) throw new ImgvetError('bad-input', 'tar extended header too large', file)
        const data = Buffer.alloc(size)
        await fh.read(data, 0, size, dataStart)
        longName = type === 'L' ? field(data, 0, size) : paxPath(data)
      } else if (type === 'g') {
        // global pax header: nothing we need
      } else {
        if (longName) name = longName
        longName = undefined
        if (type === '0' || type === '\0' || type === '7') {
          const key = name.replace(/^\.\//, '').replace(/^\/+/, '')
          index.set(key, {offset: dataStart, size})
          if (index.size > MAX_MEMBERS) throw new ImgvetError('too-large', 'archive has too many members', file)
        }
      }
      pos = dataStart + Math.ceil(size / BLOCK) * BLOCK
    }
  } finally {
    await fh.close()
  }
  return index
}
