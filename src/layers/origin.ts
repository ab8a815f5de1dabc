import {BASE_IMAGE_KEYS} from '../checks/config/metadata.js'
import type {Category, Finding} from '../findings/finding.js'
import type {Origin} from '../findings/origin.js'
import type {Image} from '../image/image.js'
import {isFilesystemLayer} from '../image/manifest.js'
import type {HistoryEntry} from '../image/types.js'
import {UNREADABLE_RPMDB} from './packages/rpm.js'
import type {LayerScan} from './scan-layer.js'

/** What a package can vouch for: material everyone with that package has, so it is no secret of this image. */
const VOUCHED: ReadonlySet<Category> = new Set<Category>(['secret', 'private-key', 'credential-file', 'certificate'])

/**
 * The last history entry of the base image, as trivy guesses it: skip the image's trailing metadata-only entries
 * (its own CMD, ENTRYPOINT...), then the first empty `CMD` going up ends the base image's own Dockerfile.
 */
function baseHistoryEnd(history: readonly HistoryEntry[]): number {
  let seenLayer = false
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]
    if (!h) continue
    if (!h.empty_layer) {
      seenLayer = true
      continue
    }
    if (seenLayer && /^(\/bin\/sh -c #\(nop\) +)?CMD\b/.test((h.created_by ?? '').trim())) return i
  }
  return -1
}

/** Layer index -> base or own, from the history; unknown when the history does not line up with the layers. */
function layerFrom(image: Image): (index: number) => Origin['from'] {
  const history = image.config.history ?? []
  const fs = image.layers.filter((l) => isFilesystemLayer(l.descriptor)).map((l) => l.index)
  const nonEmpty = history.filter((h) => !h.empty_layer).length
  const end = baseHistoryEnd(history)
  if (history.length === 0 || nonEmpty !== fs.length || end === -1) return () => 'unknown'
  const baseCount = history.slice(0, end).filter((h) => !h.empty_layer).length
  const base = new Set(fs.slice(0, baseCount))
  return (i) => (base.has(i) ? 'base' : 'image')
}

function baseName(image: Image): string | undefined {
  for (const k of BASE_IMAGE_KEYS) {
    const v = image.config.config?.Labels?.[k] ?? image.manifest.annotations?.[k]
    if (v?.trim()) return v.trim()
  }
  return undefined
}

/** The layer file a path belongs to: an archive member is vouched for by its archive's record. */
function fileIn(scan: LayerScan | undefined, path: string): string {
  const o = scan?.origins
  if (!o || path in o.hashes) return path
  const k = path.indexOf('!/')
  return k === -1 ? path : path.slice(0, k)
}

/** What a layer holds of package databases this tool does not read; its unowned files may be owned after all. */
function unreadableIn(scan: LayerScan | undefined): string | undefined {
  for (const [path, type, , , , size] of scan?.entries ?? []) {
    const what = type === 'file' && size > 0 ? UNREADABLE_RPMDB[path] : undefined
    if (what) return what
  }
  return undefined
}

/**
 * Give every finding of a file its origin and let the package judge it: a record vouches for a file only when the
 * same layer wrote both (an install does), so a later layer's rewrite, or a file dropped under a package's name,
 * gets no credit. Shipped unmodified: everyone with that package has it, so `info`. Modified: severity kept.
 * `judge` false only records the origin: a certificate-and-key pair is two files, and its path names one of them.
 */
export function withOrigins(
  findings: readonly Finding[],
  scans: readonly LayerScan[],
  image: Image,
  judge = true,
): Finding[] {
  const from = layerFrom(image)
  const baseImage = baseName(image)
  const unreadable = new Map<number, string | undefined>()
  return findings.map((f) => {
    if (!f.layer || !f.path) return f
    const scan = scans[f.layer.index]
    const file = fileIn(scan, f.path)
    const record = scan?.origins?.records[file]
    const hashes = scan?.origins?.hashes[file]
    const side = from(f.layer.index)
    const named = side === 'base' && baseImage ? {baseImage} : {}
    const origin: Origin = {layer: f.layer.index, from: side, ...named, content: 'unowned'}
    if (!record) {
      if (!unreadable.has(f.layer.index)) unreadable.set(f.layer.index, unreadableIn(scan))
      const what = unreadable.get(f.layer.index)
      return {...f, origin: what ? {...origin, unreadable: what} : origin}
    }
    origin.package = {manager: record.manager, name: record.name, ...(record.version ? {version: record.version} : {})}
    const same = record.hash && hashes ? hashes[record.hash.algo] === record.hash.hex : null
    origin.content = same === null ? 'unverified' : same ? 'unmodified' : 'modified'
    if (!judge) return {...f, origin}
    const pkg = `${record.name}${record.version ? ` ${record.version}` : ''}`
    const join = (n: string) => (f.note ? `${n}; ${f.note}` : n)
    if (origin.content === 'unmodified' && VOUCHED.has(f.category)) {
      return {...f, origin, severity: 'info', note: join(`shipped unmodified by ${pkg}`)}
    }
    if (origin.content === 'modified') return {...f, origin, note: join(`${pkg} file modified after install`)}
    return {...f, origin}
  })
}
