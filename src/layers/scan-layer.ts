import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import {finished} from 'node:stream/promises'
import type {FileCheck} from '../checks/check.js'
import {KEPT_FILES} from '../checks/check.js'
import type {KeySighting, SightingSink} from '../checks/secrets/key-pairs.js'
import {ImgvetError} from '../errors.js'
import type {LayerRef} from '../findings/finding.js'
import type {Layer} from '../image/image.js'
import {sniffArchive} from './archive-formats.js'
import {ArchiveExpander} from './archives.js'
import {decompress} from './decompress.js'
import type {EntryType, WalkEntry} from './entry.js'
import {hashesOf, PackageDbs, packageDbBound, type FileHashes, type LayerOrigins} from './package-db.js'
import {matchContent, runCheck, toLayerFinding, type ContentMatcher, type LayerFinding, type Matched} from './match.js'
import {MAX_ESCAPE_FINDINGS, pathEscapeFinding, placeEntryName, shownName, symlinkEscapes} from './entry-path.js'
import {feedTar} from './tar-feed.js'
import {TarParser, type TarHeader} from './tar-parse.js'
import {lineLeftToNext, readEntry, readWindows, WINDOW_OVERLAP, type EntryBytes} from './windows.js'
import {skipMatcher, type PathSkip} from './skip.js'


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
  /** Files the content checks wanted by their name and left by their bytes (binary for the text rules). */
  binarySkipped?: number
}

interface ScanLayerOptions {
  checks: readonly FileCheck[]
  maxLayerBytes: number
  /** How far windowed (text) checks read into a file; below one window it changes nothing. Default: one window. */
  maxTextBytes?: number
  /** --skip-dirs / --skip-files: such entries stay in the view but no check sees them; they are counted. */
  skip?: PathSkip
  /** Worker threads for the content checks; used only when they run exactly `checks`. */
  matcher?: ContentMatcher
}

/** Enough paths to act on; the count says how many there are. */
export const MAX_PARTIAL_EXAMPLES = 5

const KEPT = new Set(KEPT_FILES)
const MAX_KEPT_BYTES = 1024 * 1024

function entryType(t: TarHeader['type']): EntryType {
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

/**
 * A file larger than one window that a windowed check wants: the other checks get the first window as they would
 * have, the windowed ones every window up to the cap. Lines become file lines; what two windows both see (their
 * overlap) is reported once: same id, fingerprint and line, so a secret repeated elsewhere in the file still counts.
 * Returns whether text past the cap was left unscanned.
 */
async function scanWindows(
  stream: EntryBytes,
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
 * A pooled file's results, and where in the layer's lists they go: the walk went on meanwhile, and the lists must come
 * out in the order of the entries, as if the walk had waited.
 */
interface Pending {
  /** Set when the thread answers with something to place; a file with nothing leaves the map instead. */
  result?: Matched
  at: {findings: number; sightings: number; hashes: number; partial: number}
  path: string
  entry: WalkEntry
}

/**
 * One pass over one layer: decompress (bounded), hash for the diffID, parse tar entries, give each entry to the
 * checks that want it. Content is read only when a check asks, up to the largest bound among them. With a matcher,
 * the tar walk stays here and in order (it records entries and whiteouts), and the content checks of plain files run
 * on the matcher's threads.
 */
export async function scanLayer(layer: Layer, opts: ScanLayerOptions, imageName: string): Promise<LayerScan> {
  const where = `${imageName} layer ${layer.index} ${layer.descriptor.digest}`
  const ref: LayerRef = {index: layer.index, digest: layer.descriptor.digest}
  const matcher = opts.matcher?.runs(opts.checks) ? opts.matcher : undefined
  const compressed = await layer.open()
  const {stream: tar} = await decompress(compressed, opts.maxLayerBytes, where)
  const diffHash = createHash('sha256')
  const scan: LayerScan = {
    digest: layer.descriptor.digest, diffId: layer.diffId,
    entries: [], whiteouts: [], findings: [], keySightings: [], kept: {}, files: 0, bytes: 0, partial: 0, partialFiles: [],
  }
  /** Path → its record's position, so a duplicate replaces in place (a filter per duplicate was quadratic). */
  const seen = new Map<string, number>()
  const parser = new TarParser()
  const skipped = skipMatcher(opts.skip)
  const dbs = new PackageDbs()
  // In entry order; a path hashed twice (a duplicate entry) keeps its first place and its last value, as an object does.
  const hashes: Array<[string, FileHashes | null]> = []
  const partials: WalkEntry[] = []
  // By submission order; a file whose result holds nothing leaves as soon as it is known, so that a layer of 100k
  // files does not hold 100k of these until its end.
  const pending = new Map<number, Pending>()
  let seq = 0
  let poolFailure: unknown
  const answers = new Countdown()
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
      // A pooled check that threw fails the layer here, as it would have in this thread. The parser then destroys
      // this entry's unread stream, which must not raise an error nobody listens to.
      if (poolFailure) {
        stream.on('error', () => {})
        throw poolFailure
      }
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
        if (await scanWindows(stream, entry, wanting, {size: max, cap}, scan, sight)) partials.push(entry)
        if (scan.findings.length + scan.keySightings.length > before) hashes.push([path, null])
        return
      }
      const {buf, truncated} = max > 0 ? await readEntry(stream, max) : {buf: Buffer.alloc(0), truncated: false}
      if (KEPT.has(path) && !truncated) scan.kept[path] = buf.toString('base64')
      if (dbBound && !truncated) dbs.add(path, buf)
      const hashAnyway = scan.findings.length + scan.keySightings.length > before
      // The file's content checks run in matchContent, on a thread or below in this one: it leaves a check the bytes
      // hold nothing for (binary content for the text rules). An archive is opened here, after its own bytes were
      // checked: its members' findings follow the file's.
      if (matcher && wanting.length > 0 && !archiveBytes && !matcher.busy() && (truncated || !sniffArchive(buf))) {
        const job = {entry, buf, truncated, wanting, cap, hashAnyway}
        const at = {findings: scan.findings.length, sightings: scan.keySightings.length, hashes: hashes.length, partial: partials.length}
        const id = seq++
        const p: Pending = {at, path, entry}
        pending.set(id, p)
        answers.expect()
        matcher.submit(job, (e, r) => {
          if (e) poolFailure ??= e
          else if (r?.skipped) scan.binarySkipped = (scan.binarySkipped ?? 0) + 1
          if (r && (r.findings.length > 0 || r.sightings.length > 0 || r.cut || r.hashes !== undefined)) p.result = r
          else pending.delete(id)
          answers.answered()
        })
        await matcher.room()
        return
      }
      const m = matchContent(entry, buf, truncated, wanting, cap)
      if (m.skipped) scan.binarySkipped = (scan.binarySkipped ?? 0) + 1
      scan.findings.push(...m.findings)
      scan.keySightings.push(...m.sightings)
      if (m.cut) partials.push(entry)
      await archives.expand(entry, buf, truncated)
      // Hashed only when this file (or a member of it) has a finding: origin compares them to the package records.
      if (scan.findings.length + scan.keySightings.length > before) hashes.push([path, m.hashes ?? (truncated ? null : hashesOf(buf))])
    }
    handle().then(() => next(), (e: unknown) => next(e as Error))
  })

  try {
    await feedTar(tar, parser, {hash: diffHash, count: (n) => (scan.bytes += n)}, where, () => poolFailure)
  } finally {
    // Sent even when the walk failed, so that nothing of this layer is left waiting in a half-filled batch.
    matcher?.flush()
  }
  await answers.zero()
  if (poolFailure) throw poolFailure
  placePending([...pending.values()], scan, hashes, partials)

  if (escapes > MAX_ESCAPE_FINDINGS) {
    const more = escapes - MAX_ESCAPE_FINDINGS
    scan.findings.push(pathEscapeFinding('/', `${more} more entries escape the root (not listed one by one)`))
  }
  scan.partial = partials.length
  scan.partialFiles = partials.slice(0, MAX_PARTIAL_EXAMPLES).map((e) => ({path: e.path, size: e.size}))
  if (hashes.length > 0) {
    const origins: LayerOrigins = {hashes: {}, records: {}}
    for (const [path, h] of hashes) origins.hashes[path] = h
    scan.origins = {hashes: origins.hashes, records: dbs.resolve(new Set(Object.keys(origins.hashes)))}
  }
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

/** Puts the pooled files' results where the walk would have put them (the last first). */
function placePending(pending: readonly Pending[], scan: LayerScan, hashes: Array<[string, FileHashes | null]>, partials: WalkEntry[]) {
  for (let i = pending.length - 1; i >= 0; i--) {
    const p = pending[i] as Pending
    const r = p.result
    if (!r) continue
    if (r.findings.length) scan.findings.splice(p.at.findings, 0, ...r.findings)
    if (r.sightings.length) scan.keySightings.splice(p.at.sightings, 0, ...r.sightings)
    if (r.hashes !== undefined) hashes.splice(p.at.hashes, 0, [p.path, r.hashes])
    if (r.cut) partials.splice(p.at.partial, 0, p.entry)
  }
}

/** Answers still to come from the threads, and one promise for when there are none. */
class Countdown {
  private n = 0
  private wake: (() => void) | null = null
  expect(): void {
    this.n++
  }
  answered(): void {
    if (--this.n === 0 && this.wake) this.wake()
  }
  zero(): Promise<void> {
    if (this.n === 0) return Promise.resolve()
    return new Promise((resolve) => (this.wake = resolve))
  }
}
