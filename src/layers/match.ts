import type {ContentWindow, Detection, FileCheck} from '../checks/check.js'
import type {KeySighting, SightingSink} from '../checks/secrets/key-pairs.js'
import {newFinding, redact, type Finding} from '../findings/finding.js'
import type {WalkEntry} from './entry.js'
import {hashesOf, type FileHashes} from './package-db.js'

/**
 * Running the content checks over one file's bytes: the part of the walk that can leave the walking thread. The walk
 * calls it in place, or hands the same arguments to a worker thread (worker-pool.ts), which calls it there; either way
 * the result is the same data, which the walk puts back in the order of the entries.
 */

/** A detection tied to its file, secret already turned into fingerprint + redacted evidence: safe to cache. */
export type LayerFinding = Omit<Finding, 'layer' | 'removedIn'> & {path: string}

/** A check that throws is a bug in imgvet, not a property of the image: never report it as a hostile layer. */
export class CheckFailure extends Error {
  constructor(check: string, path: string, cause: unknown) {
    super(`check ${check} failed on ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {cause})
    this.name = 'CheckFailure'
  }

  /** The same failure on this side of a thread boundary, where only its message crossed. */
  static rebuilt(message: string): CheckFailure {
    const e = new CheckFailure('', '', '')
    e.message = message
    return e
  }
}

export function runCheck(
  c: FileCheck, entry: WalkEntry, content: Buffer | null, truncated: boolean, sight: SightingSink, window?: ContentWindow,
): Detection[] {
  try {
    return c.inspect(entry, content, truncated, sight, window)
  } catch (e) {
    throw new CheckFailure(c.id, entry.path, e)
  }
}

export function toLayerFinding(d: Detection, path: string): LayerFinding {
  // The walk does not know the layer's place in the image yet: the merge sets layer and removedIn.
  const {layer: _layer, removedIn: _removedIn, ...f} = newFinding({
    id: d.id, severity: d.severity, category: d.category, title: d.title, rule: d.rule, path,
    line: d.line, evidence: d.evidence ?? redact(d.secret), note: d.note, expires: d.expires, subject: d.secret,
  })
  return {...f, path}
}

/** What a windowed check reads of a file in one go: its own bound, or the walk's text cap when that is larger. */
function readLimit(c: FileCheck, cap: number): number {
  return c.windowed ? Math.max(c.maxBytes ?? 1024 * 1024, cap) : c.maxBytes ?? 1024 * 1024
}

export interface Matched {
  findings: LayerFinding[]
  sightings: KeySighting[]
  /** A windowed check wanted more of the file than was read: the walk counts it as scanned in part. */
  cut: boolean
  /** Every check that wanted the file left it by its bytes (binary for the text rules): the walk counts it. */
  skipped?: boolean
  /**
   * The file's hashes when it has a finding or a sighting (null when it was read only in part), for the origin
   * judgement; undefined when it has none.
   */
  hashes?: FileHashes | null
}

/**
 * Every check in `wanting` over `buf` (the file's first bytes, `truncated` when the file goes on). `hashAnyway`: the
 * file already has a finding from a header check, so it is hashed even without one here.
 */
export function matchContent(
  entry: WalkEntry, buf: Buffer, truncated: boolean, wanting: readonly FileCheck[], cap: number, hashAnyway = false,
): Matched {
  const findings: LayerFinding[] = []
  const sightings: KeySighting[] = []
  const sight: SightingSink = (k) => sightings.push({...k, path: entry.path})
  let cut = false
  let skipped = wanting.length > 0
  for (const c of wanting) {
    const limit = readLimit(c, cap)
    const view = buf.length > limit ? buf.subarray(0, limit) : buf
    // Judged here rather than by the walk before it sends the file: on a thread, it costs the walk nothing.
    if (c.skips?.(entry, view, truncated || buf.length > limit)) continue
    skipped = false
    for (const d of runCheck(c, entry, view, truncated || buf.length > limit, sight)) findings.push(toLayerFinding(d, entry.path))
    if (c.windowed && entry.size > view.length && c.moreWindows?.(entry, view) !== false) cut = true
  }
  const m: Matched = {findings, sightings, cut}
  if (skipped) m.skipped = true
  if (hashAnyway || findings.length + sightings.length > 0) m.hashes = truncated ? null : hashesOf(buf)
  return m
}

/** What the walk hands to a pool instead of calling matchContent itself. */
export interface ContentJob {
  entry: WalkEntry
  buf: Buffer
  truncated: boolean
  wanting: readonly FileCheck[]
  cap: number
  hashAnyway: boolean
}

/** How a pooled file's result comes back: a callback, not a promise (three promises a file cost the walk more). */
export type MatchedCallback = (err: unknown, m?: Matched) => void

/**
 * Where the walk sends content: a pool of worker threads. `submit` copies `buf` (the walk may still use it); `done`
 * is called once, with the same Matched that matchContent gives, or with the error. `room` resolves once the bytes in flight
 * are below the pool's bound: the walk waits for it before reading on, so memory stays bounded. While the threads are
 * `busy`, the walking thread is the one more core.
 */
export interface ContentMatcher {
  /** Whether the pool runs exactly these checks (it resolves them by id in each thread). */
  runs(checks: readonly FileCheck[]): boolean
  submit(job: ContentJob, done: MatchedCallback): void
  /** Every thread has work queued: the walking thread checks this file itself rather than wait for one. */
  busy(): boolean
  room(): Promise<void> | undefined
  /** Send what is batched now: the walk has nothing more to add for a while (a layer ends). */
  flush(): void
}
