import {createHash} from 'node:crypto'
import {PACKAGE_SOURCES} from './packages/index.js'
import type {LayerRecords, PackageRecord, PackageSource} from './packages/source.js'

export interface FileHashes {
  md5: string
  sha1: string
  sha256: string
}

/**
 * What a layer keeps for origin: the hashes of its files that have findings (null: too large to hash in the read),
 * and the package records of that same layer for those paths only, so the cached result stays small.
 */
export interface LayerOrigins {
  hashes: Record<string, FileHashes | null>
  records: Record<string, PackageRecord>
}

/** Raw database text kept per layer while it is walked; past it, later databases are dropped (files stay unowned). */
const MAX_DB_BYTES = 32 * 1024 * 1024
const MAX_NAME = 128

const TAIL = 4
const TAILS = new Set(PACKAGE_SOURCES.flatMap((s) => s.names.suffixes ?? []).map((x) => x.slice(-TAIL)))
const PREFIXES = PACKAGE_SOURCES.flatMap((s) => s.names.prefixes ?? [])

/** How many bytes of this path the walk reads for origin; 0 when it is no package database. */
export function packageDbBound(path: string): number {
  // Called for every file of every layer: one set lookup and a prefix or two before any source is asked.
  if (!TAILS.has(path.slice(-TAIL)) && !PREFIXES.some((p) => path.startsWith(p))) return 0
  for (const s of PACKAGE_SOURCES) {
    const n = s.bound(path)
    if (n > 0) return n
  }
  return 0
}

export function hashesOf(buf: Buffer): FileHashes {
  const h = (a: string) => createHash(a).update(buf).digest('hex')
  return {md5: h('md5'), sha1: h('sha1'), sha256: h('sha256')}
}

/** Per layer: each source's records seen in the walk (bounded), resolved at the layer's end for paths with findings. */
export class PackageDbs {
  private readonly layers = new Map<PackageSource, LayerRecords>()
  private rawBytes = 0
  private readonly keep = (n: number) => {
    if (this.rawBytes + n > MAX_DB_BYTES) return false
    this.rawBytes += n
    return true
  }

  constructor(private readonly sources: readonly PackageSource[] = PACKAGE_SOURCES) {}

  add(path: string, buf: Buffer): void {
    const s = this.sources.find((x) => x.bound(path) > 0)
    if (!s) return
    let l = this.layers.get(s)
    if (!l) this.layers.set(s, (l = s.layer()))
    l.add(path, buf, this.keep)
  }

  /** The records of this layer for `paths` only. */
  resolve(paths: ReadonlySet<string>): Record<string, PackageRecord> {
    const out: Record<string, PackageRecord> = {}
    if (paths.size === 0) return out
    const owners = new Map<string, PackageRecord>()
    const sink = {
      record: (path: string, r: PackageRecord) => {
        if (paths.has(path) && !out[path]?.hash) out[path] = r
      },
      owner: (path: string, r: PackageRecord) => {
        if (paths.has(path) && !owners.has(path)) owners.set(path, r)
      },
    }
    // Every source is asked, read or not: some (Gradle's cache) are named by the path alone.
    for (const s of this.sources) (this.layers.get(s) ?? s.layer()).resolve(paths, sink)
    for (const [path, r] of owners) out[path] ??= r
    for (const r of Object.values(out)) {
      // Names end up in notes and reports: a hostile database gets a bounded line, not a megabyte.
      r.name = r.name.slice(0, MAX_NAME)
      if (r.version) r.version = r.version.slice(0, MAX_NAME)
    }
    return out
  }
}
