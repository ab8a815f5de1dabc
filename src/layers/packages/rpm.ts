import {readTable} from './sqlite.js'
import {withVersion, type LayerRecords, type PackageRecord, type PackageSource, type RecordSink} from './source.js'

/**
 * rpm's SQLite database (rpm >= 4.16: Fedora 33+, RHEL/UBI 9, openSUSE): table `Packages` holds one rpm header per
 * installed package as a blob. A header (rpm.org's file format, rpm's lib/header.c) is: optionally the magic
 * 8e ad e8 01 and 4 reserved bytes, then the index count and data length (big-endian u32), the index entries
 * (tag, type, offset, count: 16 bytes each) and the data store they point into.
 * BerkeleyDB (`Packages`) and ndb (`Packages.db`) databases are not read: origin.ts says so instead of guessing.
 */
const RPM_SQLITE = ['/var/lib/rpm/rpmdb.sqlite', '/usr/lib/sysimage/rpm/rpmdb.sqlite']
const MAX_RPMDB = 64 * 1024 * 1024

/** rpm databases in a layer that are not read, and what the origin says of them. */
export const UNREADABLE_RPMDB: Readonly<Record<string, string>> = {
  '/var/lib/rpm/Packages': 'rpm database /var/lib/rpm/Packages (BerkeleyDB) not readable',
  '/usr/lib/sysimage/rpm/Packages': 'rpm database /usr/lib/sysimage/rpm/Packages (BerkeleyDB) not readable',
  '/var/lib/rpm/Packages.db': 'rpm database /var/lib/rpm/Packages.db (ndb) not readable',
  '/usr/lib/sysimage/rpm/Packages.db': 'rpm database /usr/lib/sysimage/rpm/Packages.db (ndb) not readable',
}

const TAG = {name: 1000, version: 1001, release: 1002, epoch: 1003, oldFilenames: 1027, fileDigests: 1035,
  dirIndexes: 1116, basenames: 1117, dirnames: 1118, digestAlgo: 5011} as const
const STRING = 6
const STRING_ARRAY = 8
const I18NSTRING = 9
const INT32 = 4
/** FILEDIGESTALGO values (PGPHASHALGO_*) that a file hash here can be compared with; md5 is the default. */
const ALGOS: Record<number, 'md5' | 'sha1' | 'sha256'> = {1: 'md5', 2: 'sha1', 8: 'sha256'}
const MAX_ENTRIES = 10_000

type Field = string | string[] | number[]

/** The tags asked for, from one header blob; undefined when its index does not fit the blob. */
function header(blob: Buffer, want: ReadonlySet<number>): Map<number, Field> | undefined {
  let b = blob
  if (b.length >= 8 && b.readUInt32BE(0) === 0x8eade801) b = b.subarray(8)
  if (b.length < 8) return undefined
  const il = b.readUInt32BE(0)
  const dl = b.readUInt32BE(4)
  const store = 8 + il * 16
  if (il > MAX_ENTRIES || store + dl > b.length) return undefined
  const data = b.subarray(store, store + dl)
  const out = new Map<number, Field>()
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16
    const tag = b.readUInt32BE(e)
    if (!want.has(tag)) continue
    const type = b.readUInt32BE(e + 4)
    const offset = b.readUInt32BE(e + 8)
    const count = b.readUInt32BE(e + 12)
    if (offset > data.length) continue
    if (type === INT32) {
      if (offset + count * 4 > data.length) continue
      const v: number[] = []
      for (let k = 0; k < count; k++) v.push(data.readUInt32BE(offset + k * 4))
      out.set(tag, v)
    } else if (type === STRING || type === STRING_ARRAY || type === I18NSTRING) {
      const v: string[] = []
      let p = offset
      for (let k = 0; k < (type === STRING ? 1 : count) && p < data.length; k++) {
        const z = data.indexOf(0, p)
        if (z === -1) break
        v.push(data.toString('utf8', p, z))
        p = z + 1
      }
      out.set(tag, type === STRING_ARRAY ? v : (v[0] ?? ''))
    }
  }
  return out
}

const WANT = new Set<number>(Object.values(TAG))

const str = (f: Field | undefined) => (typeof f === 'string' ? f : Array.isArray(f) && typeof f[0] === 'string' ? f[0] : undefined)
const strs = (f: Field | undefined) => (Array.isArray(f) && f.every((x) => typeof x === 'string') ? (f as string[]) : [])
const ints = (f: Field | undefined) => (Array.isArray(f) && f.every((x) => typeof x === 'number') ? (f as number[]) : [])

/** One installed package's records for the paths asked for. */
function packageRecords(blob: Buffer, paths: ReadonlySet<string>, sink: RecordSink): void {
  const h = header(blob, WANT)
  const name = str(h?.get(TAG.name))
  if (!h || !name) return
  const epoch = ints(h.get(TAG.epoch))[0]
  const v = str(h.get(TAG.version))
  const r = str(h.get(TAG.release))
  const version = v ? `${epoch ? `${epoch}:` : ''}${v}${r ? `-${r}` : ''}` : undefined
  const algo = ALGOS[ints(h.get(TAG.digestAlgo))[0] ?? 1]
  const digests = strs(h.get(TAG.fileDigests))
  const base = strs(h.get(TAG.basenames))
  const dirs = strs(h.get(TAG.dirnames))
  const index = ints(h.get(TAG.dirIndexes))
  const files = base.length > 0 ? base.map((b, i) => `${dirs[index[i] ?? -1] ?? '\0'}${b}`) : strs(h.get(TAG.oldFilenames))
  files.forEach((file, i) => {
    if (!paths.has(file)) return
    const hex = digests[i]?.toLowerCase()
    const rec: PackageRecord = {manager: 'rpm', name, ...withVersion(version)}
    // An empty digest is a directory, a link or a %ghost file: owned, nothing to compare.
    if (algo && hex && /^[0-9a-f]+$/.test(hex)) rec.hash = {algo, hex}
    sink.record(file, rec)
  })
}

class RpmLayer implements LayerRecords {
  private db: Buffer | undefined

  add(_path: string, buf: Buffer): void {
    // Both locations are one database where one is a link to the other; the first read is kept.
    this.db ??= buf
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    if (!this.db) return
    const table = readTable(this.db, 'Packages')
    for (const row of table?.rows ?? []) {
      const blob = row.find((v): v is Buffer => Buffer.isBuffer(v))
      if (blob) packageRecords(blob, paths, sink)
    }
  }
}

export const rpm: PackageSource = {
  names: {suffixes: RPM_SQLITE},
  bound: (path) => (path.endsWith('/rpmdb.sqlite') && RPM_SQLITE.includes(path) ? MAX_RPMDB : 0),
  layer: () => new RpmLayer(),
}
