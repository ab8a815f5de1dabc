import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import test from 'ava'
import {extract} from 'tar-stream'
import {TarParser, type TarBody, type TarHeader} from '../../src/layers/tar-parse.js'

interface Seen {
  name: string
  type: string | null
  mode: number
  uid: number
  gid: number
  size: number
  mtime: number
  linkname: string | null
  body: string
}

type Outcome = {entries: Seen[]; error?: string}

/** Our parser, fed in pieces of the given sizes; the walk's way of taking a body (listeners attached at once). */
function ours(tar: Buffer, piece: (i: number) => number): Promise<Outcome> {
  return new Promise((resolve) => {
    const p = new TarParser()
    const entries: Seen[] = []
    p.on('entry', (h: TarHeader, body: TarBody, next: () => void) => {
      const parts: Buffer[] = []
      body.on('data', (b: Buffer) => parts.push(Buffer.from(b)))
      body.on('end', () => {
        entries.push({...h, mtime: h.mtime.getTime(), body: Buffer.concat(parts).toString('base64')})
        // Sometimes at once, sometimes later: the walk does both.
        if (entries.length % 2) next()
        else setImmediate(next)
      })
    })
    p.on('error', (e: Error) => resolve({entries, error: e.message}))
    p.on('finish', () => resolve({entries}))
    let at = 0
    for (let i = 0; at < tar.length; i++) {
      const n = Math.max(1, piece(i))
      p.write(tar.subarray(at, at + n))
      at += n
    }
    p.end()
  })
}

/** tar-stream, the parser the walk used before, as the reference. */
function reference(tar: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const x = extract()
    const entries: Seen[] = []
    x.on('entry', (h, stream, next) => {
      const parts: Buffer[] = []
      stream.on('data', (b: unknown) => parts.push(b as Buffer))
      stream.on('end', () => {
        entries.push({name: h.name, type: h.type ?? null, mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0,
          mtime: h.mtime?.getTime() ?? 0, linkname: h.linkname ?? null, body: Buffer.concat(parts).toString('base64')})
        next()
      })
      stream.resume()
    })
    x.on('error', (e: Error) => resolve({entries, error: e.message}))
    x.on('finish', () => resolve({entries}))
    x.end(tar)
  })
}

function gnuTar(format: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-tarparse-'))
  try {
    const root = join(dir, 'root')
    const deep = join(root, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(30))
    mkdirSync(deep, {recursive: true})
    writeFileSync(join(deep, `${'long-name-'.repeat(12)}.txt`), 'x'.repeat(1000))
    writeFileSync(join(root, 'empty'), '')
    writeFileSync(join(root, 'exact512'), 'y'.repeat(512))
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(70_000, 7))
    writeFileSync(join(root, 'ünïcode.env'), 'TOKEN=abc\n')
    symlinkSync(`../${'t'.repeat(120)}`, join(root, 'link-long'))
    linkSync(join(root, 'exact512'), join(root, 'hard'))
    return execFileSync('tar', ['-C', root, `--format=${format}`, '--owner=0', '--group=0', '-cf', '-', '.'], {maxBuffer: 1 << 26})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const pieceSizes: Array<[string, (i: number) => number]> = [
  ['whole', () => 1 << 30],
  ['1 byte', () => 1],
  ['odd pieces', (i) => [7, 511, 513, 1, 4096, 100][i % 6] as number],
  ['64 KiB', () => 65536],
]

for (const format of ['gnu', 'pax', 'ustar', 'posix']) {
  test(`GNU tar --format=${format}: every entry, header and byte as tar-stream reads them, however the bytes arrive`, async (t) => {
    let tar: Buffer
    try {
      tar = gnuTar(format)
    } catch {
      // ustar cannot hold the long names: GNU tar refuses, which is not our parser's business.
      t.is(format, 'ustar')
      return
    }
    const want = await reference(tar)
    t.is(want.error, undefined)
    t.true(want.entries.length >= 8)
    for (const [label, piece] of pieceSizes) t.deepEqual(await ours(tar, piece), want, label)
  })
}

/** A bare ustar header block, checksum and all, for cases no tar tool writes. */
function header(name: string, flag: string, size: number): Buffer {
  const b = Buffer.alloc(512)
  b.write(name, 0)
  b.write('0000644\0', 100)
  b.write('0000000\0', 108)
  b.write('0000000\0', 116)
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124)
  b.write('00000000000\0', 136)
  b.write(flag, 156)
  b.write('ustar\0' + '00', 257)
  b.write('        ', 148)
  let sum = 0
  for (const x of b) sum += x
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return b
}

test('cut, corrupt and oversized archives fail as tar-stream fails them, and never hang', async (t) => {
  const tar = gnuTar('pax')
  const corrupt = Buffer.from(tar)
  corrupt[10] = (corrupt[10] ?? 0) ^ 0xff
  const cases: Array<[string, Buffer]> = [
    ['cut inside a body', tar.subarray(0, 512 * 3 + 100)],
    ['cut inside a header', tar.subarray(0, 512 + 200)],
    ['a corrupt header', corrupt],
    ['not a tar at all', Buffer.from('hello world\n'.repeat(100))],
    ['a pax header of 5 MiB', Buffer.concat([header('PaxHeader', 'x', 5 * 1024 * 1024), Buffer.alloc(1024)])],
    ['trailing bytes that are not a block', Buffer.concat([header('f', '0', 3), Buffer.alloc(512), Buffer.alloc(100, 1)])],
  ]
  for (const [label, bytes] of cases) {
    const want = await reference(bytes)
    const got = await ours(bytes, () => 333)
    t.truthy(got.error, label)
    t.is(got.error, want.error, label)
    t.deepEqual(got.entries, want.entries, label)
  }
})
