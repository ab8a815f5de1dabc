import type {PackageManager} from '../../findings/origin.js'

/** A package record for one path, as the layer that holds both wrote it; `hash` is hex (md5, sha1 or sha256). */
export interface PackageRecord {
  manager: PackageManager
  name: string
  version?: string
  hash?: {algo: 'md5' | 'sha1' | 'sha256'; hex: string}
}

/** Where a source puts what it knows about the paths asked for. */
export interface RecordSink {
  /** A record that names the file; one with a hash is not replaced by a later one without. */
  record(path: string, r: PackageRecord): void
  /** Ownership by directory (npm, gems, Go modules): weaker than any record, never a hash. */
  owner(path: string, r: PackageRecord): void
}

/** What one layer holds of one source's records. */
export interface LayerRecords {
  /**
   * A record file of this source, read whole. `keep(n)` asks the layer's shared budget for room to keep n bytes;
   * a source that keeps raw text must ask, one that keeps a few parsed fields need not.
   */
  add(path: string, buf: Buffer, keep: (n: number) => boolean): void
  /** The records of this layer for `paths` only. */
  resolve(paths: ReadonlySet<string>, sink: RecordSink): void
}

/** One package manager's records in an image; src/layers/packages/index.ts lists them. */
export interface PackageSource {
  /**
   * How its record files' paths can start or end (each ending at least 4 characters): the walk asks `bound` only
   * for paths that match one, so that the common file costs a set lookup rather than a call per source.
   */
  names: {prefixes?: readonly string[]; suffixes?: readonly string[]}
  /** Bytes of `path` to read for this source; 0 when it is none of its records. */
  bound(path: string): number
  layer(): LayerRecords
}

/** A database file larger than this is not read for origin (its files then count as not owned). */
export const MAX_DB_FILE = 16 * 1024 * 1024

export function b64hex(s: string): string | undefined {
  const hex = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex')
  return hex.length > 0 ? hex : undefined
}

/** `version` only when there is one, so records compare equal to what the cache gives back. */
export function withVersion(version: string | undefined): {version?: string} {
  return version ? {version} : {}
}
