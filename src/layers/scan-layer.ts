import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import {Writable} from 'node:stream'
import {finished} from 'node:stream/promises'
import {extract, type Header} from 'tar-stream'
import type {ContentWindow, Detection, FileCheck} from '../checks/check.js'
import {KEPT_FILES} from '../checks/check.js'
import type {KeySighting, SightingSink} from '../checks/secrets/key-pairs.js'
import {ImgvetError} from '../errors.js'
import {fingerprint, redact, type Finding, type LayerRef} from '../findings/finding.js'
import type {Layer} from '../image/image.js'
import {ArchiveExpander} from './archives.js'
import {decompress} from './decompress.js'
import type {EntryType, WalkEntry} from './entry.js'
import {hashesOf, PackageDbs, packageDbBound, type LayerOrigins} from './package-db.js'
import {MAX_ESCAPE_FINDINGS, pathEscapeFinding, placeEntryName, shownName, symlinkEscapes} from './entry-path.js'
import {lineLeftToNext, readEntry, readWindows, WINDOW_OVERLAP} from './windows.js'
import {skipMatcher, type PathSkip} from './skip.js'

/** A detection tied to its file, secret already turned into fingerprint + redacted evidence: safe to cache. */
export type LayerFinding = Omit<Finding, 'layer' | 'removedIn'> & {path: string}

/** Compact per-path record; enough to rebuild the final view and per-path history from a cache. */
type EntryRecord = [path: string, type: EntryType, mode: number, uid: number, gid: number, size: number, linkname?: string]

export interface LayerScan {
  digest: string
  diffId: string | null
  entries: EntryRecord[]
  /** Paths this layer deletes from lower layers; `opaque` hides everything below a directory. */
  whiteouts: Array<{path: string; opaque: boolean}>
  findings: LayerFinding[]
  /** Public-key hashes of private keys and leaf certificates, matched across files and layers after the merge. */
  keySightings: KeySighting[]
  /** base64 content of KEPT_FILES present in this layer. */
  kept: Record<string, string>
  files: number
  bytes: number
  /** Text files larger than maxTextBytes, scanned only up to it, and the first few of them. */
  partial: number
  partialFiles: Array<{path: string; size: number}>
  /** Entries no check saw (--skip-dirs, --skip-files), and the first few. */
  skipped?: number
  skippedPaths?: string[]
  /** Hashes of the files with findings and this layer's package records for them; judged after the merge. */
  origins?: LayerOrigins
}

interface ScanLayerOptions {
  checks: readonly FileCheck[]
  maxLayerBytes: number
  /** How far windowed (text) checks read into a file; below one window it changes nothing. Default: one window. */
  maxTextBytes?: number
  /** --skip-dirs / --skip-files: such entries stay in the view but no check sees them; they are counted. */
  skip?: PathSkip
}

/** Enough paths to act on; the count says how many there are. */
export const MAX_PARTIAL_EXAMPLES = 5

const KEPT = new Set(KEPT_FILES)
const MAX_KEPT_BYTES = 1024 * 1024

function entryType(t: Header['type']): EntryType {
  switch (t) {
    case 'file':
    case 'contiguous-file':
      return 'file'
    case 'directory':
      return 'directory'
    case 'symlink':
      return 'symlink'
    case 'link':
      return 'hardlink'
    default:
      return 'other'
  }
}

/** A check that throws is a bug in imgvet, not a property of the image: never report it as a hostile layer. */
export class CheckFailure extends Error {
  constructor(check: string, path: string, cause: unknown) {
    super(`check ${check} failed on ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {cause})
    this.name = 'CheckFailure'
  }
}

function runCheck(c: FileCheck, entry: WalkEntry, content: Buffer | null, truncated: boolean, sight: SightingSink, window?: ContentWindow): Detection[] {
  try {
    return c.inspect(entry, content, truncated, sight, window)
  } catch (e) {
    throw new CheckFailure(c.id, entry.path, e)
  }
}

function toLayerFinding(d: Detection, path: string): LayerFinding {
  const f: LayerFinding = {
    id: d.id,
    severity: d.severity,
    category: d.category,
    title: d.title,
    rule: d.rule,
    path,
    evidence: d.evidence ?? redact(d.secret),
    fingerprint: fingerprint(d.id, path, d.secret),
  }
  if (d.line !== undefined) f.line = d.line
  if (d.note) f.note = d.note
  if (d.expires) f.expires = d.expires
  return f
}

function notePartial(scan: LayerScan, entry: WalkEntry): void {
  scan.partial++
  if (scan.partialFiles.length < MAX_PARTIAL_EXAMPLES) scan.partialFiles.push({path: entry.path, size: entry.size})
}

/**
 * A file larger than one window that a windowed check wants: the other checks get the first window as they would
 * have, the windowed ones every window up to the cap. Lines become file lines; what two windows both see (their
 * overlap) is reported once: same id, fingerprint and line, so a secret repeated elsewhere in the file still counts.
 * Returns whether text past the cap was left unscanned.
 */
async function scanWindows(
  stream: NodeJS.EventEmitter,
  entry: WalkEntry,
  wanting: readonly FileCheck[],
  o: {size: number; cap: number},
  scan: LayerScan,
  sight: SightingSink,
): Promise<boolean> {
  const seen = new Set<string>()
  const active = new Set(wanting.filter((c) => c.windowed))
  const {cut} = await readWindows(stream, {size: o.size, overlap: WINDOW_OVERLAP, cap: o.cap}, (w) => {
    const checks = w.index === 0 ? wanting.filter((c) => c.windowed) : [...active]
    if (w.index === 0) {
      // The file is larger than every check's bound, so it is truncated for them (and too large to keep).
      for (const c of wanting) {
        if (c.windowed) continue
        const limit = c.maxBytes ?? 1024 * 1024
        for (const d of runCheck(c, entry, w.buf.subarray(0, limit), true, sight)) scan.findings.push(toLayerFinding(d, entry.path))
      }
      for (const c of checks) if (c.moreWindows?.(entry, w.buf) === false) active.delete(c)
    }
    const leave = lineLeftToNext(w, WINDOW_OVERLAP)
    const sink: SightingSink = (k) => {
      const line = k.line === undefined ? undefined : k.line + w.lineBase
      const key = `sight\0${k.role}\0${k.spki}\0${line ?? ''}`
      if (seen.has(key)) return
      seen.add(key)
      sight(line === undefined ? k : {...k, line})
    }
    for (const c of checks) {
      for (const d of runCheck(c, entry, w.buf, w.truncated, sink, {index: w.index})) {
        if (leave && d.line === leave) continue
        if (d.line !== undefined) d.line += w.lineBase
        const f = toLayerFinding(d, entry.path)
        const key = `${f.id}\0${f.fingerprint}\0${f.line ?? ''}`
        if (seen.has(key)) continue
        seen.add(key)
        scan.findings.push(f)
      }
    }
    return active.size > 0
  })
  return cut && active.size > 0
}

/**
 * One pass over one layer: decompress (bounded), hash for the diffID, parse tar entries, give each entry to the
 * checks that want it. Content is read only when a check asks, up to the largest bound among them.
 */
export async function scanLayer(layer: Layer, opts: ScanLayerOptions, imageName: string): Promise<LayerScan> {
  const where = `${imageName} layer ${layer.index} ${layer.descriptor.digest}`
  const ref: LayerRef = {index: layer.index, digest: layer.descriptor.digest}
  const compressed = await layer.open()
  const {stream: tar} = await decompress(compressed, opts.maxLayerBytes, where)
  const diffHash = createHash('sha256')
  const scan: LayerScan = {
    digest: layer.descriptor.digest, diffId: layer.diffId,
    entries: [], whiteouts: [], findings: [], keySightings: [], kept: {}, files: 0, bytes: 0, partial: 0, partialFiles: [],
  }
  /** Path → its record's position, so a duplicate replaces in place (a filter per duplicate was quadratic). */
  const seen = new Map<string, number>()
  const parser = extract()
  const skipped = skipMatcher(opts.skip)
  const dbs = new PackageDbs()
  const origins: LayerOrigins = {hashes: {}, records: {}}
  // A hostile name is a finding, not the end of the scan: the rest of the layer (and image) is still judged.
  let escapes = 0
  const escaped = (path: string, what: string, raw: string) => {
    if (++escapes <= MAX_ESCAPE_FINDINGS) scan.findings.push(pathEscapeFinding(path, what, raw))
  }
  const archives = new ArchiveExpander(opts.checks, {
    inspect: (c, e, content, truncated) => {
      const sight: SightingSink = (k) => scan.keySightings.push({...k, path: e.path})
      for (const d of runCheck(c, e, content, truncated, sight)) scan.findings.push(toLayerFinding(d, e.path))
    },
    note: (e, d) => scan.findings.push(toLayerFinding(d, e.path)),
  }, opts.maxTextBytes)

  parser.on('entry', (header, stream, next) => {
    const handle = async () => {
      const placed = placeEntryName(header.name)
      if ('unsafe' in placed) {
        escaped(shownName(header.name), `name ${placed.unsafe}:`, header.name)
        stream.resume()
        return
      }
      const path = placed.path
      const base = posix.basename(path)
      if (base.startsWith('.wh.')) {
        const dir = posix.dirname(path)
        if (base === '.wh..wh..opq') scan.whiteouts.push({path: dir, opaque: true})
        else if (!base.startsWith('.wh..wh.')) scan.whiteouts.push({path: posix.join(dir, base.slice(4)), opaque: false})
        stream.resume()
        return
      }
      const type = entryType(header.type)
      const entry: WalkEntry = {
        path,
        type,
        mode: header.mode ?? 0,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        size: header.size ?? 0,
        layer: ref,
      }
      if (header.linkname && type === 'hardlink') {
        const target = placeEntryName(header.linkname)
        if ('unsafe' in target) {
          // No path inside the root to record it under: reported, left out of the view.
          escaped(path, `hardlink target ${target.unsafe}:`, header.linkname)
          stream.resume()
          return
        }
        entry.linkname = target.path
      } else if (header.linkname) {
        if (type === 'symlink' && symlinkEscapes(path, header.linkname)) {
          escaped(path, 'symlink target climbs above the root:', header.linkname)
        }
        entry.linkname = header.linkname
      }
      if (header.mtime) entry.mtime = header.mtime
      const sight: SightingSink = (k) => scan.keySightings.push({...k, path})
      const rec: EntryRecord = [path, type, entry.mode, entry.uid, entry.gid, entry.size]
      if (entry.linkname !== undefined) rec.push(entry.linkname)
      // The spec forbids duplicate paths; the later one wins on extraction, so both are scanned, one is recorded.
      const at = seen.get(path)
      if (at === undefined) {
        seen.set(path, scan.entries.length)
        scan.entries.push(rec)
      } else scan.entries[at] = rec
      if (skipped?.(path)) {
        scan.skipped = (scan.skipped ?? 0) + 1
        if ((scan.skippedPaths ??= []).length < MAX_PARTIAL_EXAMPLES) scan.skippedPaths.push(path)
        stream.resume()
        return
      }
      if (type !== 'file') {
        for (const c of opts.checks) if (c.wants(entry) === 'header') for (const d of runCheck(c, entry, null, false, sight)) scan.findings.push(toLayerFinding(d, path))
        stream.resume()
        return
      }
      scan.files++
      const wanting: FileCheck[] = []
      const dbBound = packageDbBound(path)
      let max = KEPT.has(path) ? MAX_KEPT_BYTES : dbBound
      const before = scan.findings.length + scan.keySightings.length
      for (const c of opts.checks) {
        const w = c.wants(entry)
        if (w === 'header') for (const d of runCheck(c, entry, null, false, sight)) scan.findings.push(toLayerFinding(d, path))
        else if (w === 'content') {
          wanting.push(c)
          max = Math.max(max, c.maxBytes ?? 1024 * 1024)
        }
      }
      const archiveBytes = archives.readBound(entry)
      max = Math.max(max, archiveBytes)
      if (max === 0 || entry.size === 0) {
        stream.resume()
        if (wanting.length === 0) return
      }
      const cap = opts.maxTextBytes ?? 0
      const windowed = wanting.some((c) => c.windowed)
      if (windowed && !archiveBytes && entry.size > max && cap > max && max > WINDOW_OVERLAP) {
        if (await scanWindows(stream, entry, wanting, {size: max, cap}, scan, sight)) notePartial(scan, entry)
        if (scan.findings.length + scan.keySightings.length > before) origins.hashes[path] = null
        return
      }
      const {buf, truncated} = max > 0 ? await readEntry(stream, max) : {buf: Buffer.alloc(0), truncated: false}
      if (KEPT.has(path) && !truncated) scan.kept[path] = buf.toString('base64')
      if (dbBound && !truncated) dbs.add(path, buf)
      let cut = false
      for (const c of wanting) {
        // A windowed check reads up to the cap; within one read that is at most `max`.
        const limit = c.windowed ? Math.max(c.maxBytes ?? 1024 * 1024, cap) : c.maxBytes ?? 1024 * 1024
        const view = buf.length > limit ? buf.subarray(0, limit) : buf
        for (const d of runCheck(c, entry, view, truncated || buf.length > limit, sight)) scan.findings.push(toLayerFinding(d, path))
        if (c.windowed && entry.size > view.length && c.moreWindows?.(entry, view) !== false) cut = true
      }
      if (cut) notePartial(scan, entry)
      await archives.expand(entry, buf, truncated)
      // Hashed only when this file (or a member of it) has a finding: origin compares them to the package records.
      if (scan.findings.length + scan.keySightings.length > before) origins.hashes[path] = truncated ? null : hashesOf(buf)
    }
    handle().then(() => next(), (e: unknown) => next(e as Error))
  })

  await new Promise<void>((resolve, reject) => {
    let failed = false
    const fail = (e: unknown) => {
      if (failed) return
      failed = true
      tar.destroy()
      parser.destroy()
      reject(e instanceof ImgvetError || e instanceof CheckFailure ? e : new ImgvetError('hostile-layer', `layer is not a valid tar: ${(e as Error).message}`, where))
    }
    tar.on('error', fail)
    parser.on('error', fail)
    parser.on('finish', () => {
      if (!failed) resolve()
    })
    // Hash everything that comes out of the decompressor, including what follows the tar end marker.
    const hasher = new Writable({
      write(chunk: Buffer, _e, cb) {
        scan.bytes += chunk.length
        diffHash.update(chunk)
        if (!parser.write(chunk)) parser.once('drain', () => cb())
        else cb()
      },
      final(cb) {
        ;(parser as unknown as {end(): void}).end()
        cb()
      },
    })
    hasher.on('error', fail)
    tar.pipe(hasher)
  })

  if (escapes > MAX_ESCAPE_FINDINGS) {
    const more = escapes - MAX_ESCAPE_FINDINGS
    scan.findings.push(pathEscapeFinding('/', `${more} more entries escape the root (not listed one by one)`))
  }
  const withHash = new Set(Object.keys(origins.hashes))
  if (withHash.size > 0) scan.origins = {hashes: origins.hashes, records: dbs.resolve(withHash)}
  // The result stands for (compressed digest, diffID) only once the verifying stream has checked its last byte too.
  compressed.resume()
  await finished(compressed)
  if (layer.diffId) {
    const actual = `sha256:${diffHash.digest('hex')}`
    if (layer.diffId.startsWith('sha256:') && actual !== layer.diffId) {
      throw new ImgvetError('integrity', `diffID mismatch: config says ${layer.diffId}, uncompressed layer hashes to ${actual}`, where)
    }
  }
  return scan
}
