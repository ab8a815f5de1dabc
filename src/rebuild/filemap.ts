import {createHash} from 'node:crypto'
import type {FileCheck} from '../checks/check.js'
import type {Image} from '../image/image.js'
import type {WalkEntry} from '../layers/entry.js'
import {walkImage} from '../layers/walk.js'

/** One path of an image's final filesystem, as the comparison needs it: the walk's entry metadata, and its content. */
export interface FileInfo extends Pick<WalkEntry, 'type' | 'mode' | 'uid' | 'gid' | 'size' | 'linkname'> {
  /** sha256 of a regular file's content; null when the file was larger than the hashing bound. */
  sha256?: string | null
  /** ISO time; build tools stamp it with the build time, so it is compared apart. */
  mtime?: string
}

/** Files above this are compared by size only: the walk hands checks whole buffers, and a bound keeps memory flat. */
const HASH_MAX_BYTES = 128 * 1024 * 1024

/**
 * A walk plug-in that records content digests and mtimes per (layer, path) in a map instead of emitting findings.
 * It must run without the layer cache: a cached layer is never shown to checks.
 */
function hashingCheck(into: Map<string, {sha256?: string | null; mtime?: string}>): FileCheck {
  return {
    id: 'rebuild.file-digests',
    version: 1,
    maxBytes: HASH_MAX_BYTES,
    wants: (entry) => (entry.type === 'file' ? 'content' : 'header'),
    inspect(entry, content, truncated) {
      const rec: {sha256?: string | null; mtime?: string} = {}
      if (entry.mtime) rec.mtime = entry.mtime.toISOString()
      if (entry.type === 'file') rec.sha256 = content && !truncated ? `sha256:${createHash('sha256').update(content).digest('hex')}` : null
      into.set(`${entry.layer.index}\0${entry.path}`, rec)
      return []
    },
  }
}

interface ImageFiles {
  files: Map<string, FileInfo>
  layers: number
}

/** The final filesystem of an image with per-file digests: one streamed pass over each layer. */
export async function imageFiles(image: Image, maxLayerBytes?: number): Promise<ImageFiles> {
  const extra = new Map<string, {sha256?: string | null; mtime?: string}>()
  const walk = await walkImage(image, {checks: [hashingCheck(extra)], cache: null, maxLayerBytes})
  const files = new Map<string, FileInfo>()
  for (const [path, e] of walk.view.entries) {
    const info: FileInfo = {type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size}
    if (e.linkname !== undefined) info.linkname = e.linkname
    const x = extra.get(`${e.layer.index}\0${path}`)
    if (x?.sha256 !== undefined) info.sha256 = x.sha256
    if (x?.mtime) info.mtime = x.mtime
    files.set(path, info)
  }
  return {files, layers: image.layers.length}
}
