import type {LayerRef} from '../findings/finding.js'

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'

/** One tar entry as the walk hands it to checks. Paths are absolute, normalised (`/etc/passwd`), never `..`. */
export interface WalkEntry {
  path: string
  type: EntryType
  mode: number
  uid: number
  gid: number
  size: number
  /** Target of a symlink or hardlink (normalised for hardlinks). */
  linkname?: string
  mtime?: Date
  layer: LayerRef
}
