import type {Detection, FileCheck} from '../checks/check.js'
import type {WalkEntry} from './entry.js'
import {CODEC_SUFFIXES, decodeCapped, isCodec} from './archive-codecs.js'
import {hasZipEnd, sniffArchive, tarMembers, zipMembers, type Member} from './archive-formats.js'

/**
 * Files inside archives in a layer (a Java app's jars, a wheel, a tarball someone forgot): each member goes to the
 * same checks as a file would, under the path `/app/lib/x.jar!/application.properties` (`!/` once per level).
 * Everything is bounded: what is read of an archive, how deep archives nest, and how many bytes a layer may inflate,
 * so a zip bomb or a layer of ten thousand jars costs a known amount. What a bound cut is said in an info finding.
 */
interface ArchiveLimits {
  /** An archive in the layer is read up to this; so is a nested archive inflated. */
  maxArchiveBytes: number
  /** Archives inside archives: 1 is an archive in the layer, 3 a jar in a war in a tarball. */
  maxDepth: number
  /** Bytes inflated from all archives of one layer. */
  layerBudget: number
  /** Members looked at in one layer. */
  maxMembers: number
}

export const ARCHIVE_LIMITS: ArchiveLimits = {
  maxArchiveBytes: 64 * 1024 * 1024,
  maxDepth: 3,
  layerBudget: 256 * 1024 * 1024,
  maxMembers: 200_000,
}

/**
 * Archives by name; the bytes must then agree. A bare `.gz`, `.xz`, `.bz2` or `.zst` (man pages, changelogs, kernel
 * modules: thousands per distribution image) is left alone, and so are package files (.deb, .rpm, .apk), whose
 * content the package manager installs.
 */
const ARCHIVE_NAME = new RegExp(`(?:\\.(?:zip|jar|war|ear|aar|whl|egg|nupkg|tar)|${CODEC_SUFFIXES.map((s) => s.replace(/\./g, '\\.')).join('|')})$`, 'i')

const ZIP_NAME = /\.(?:zip|jar|war|ear|aar|whl|egg|nupkg)$/i

function isArchiveName(path: string): boolean {
  return ARCHIVE_NAME.test(path)
}

/**
 * A member's name as part of a path: relative, `..` unable to climb above the archive, control characters, `%`
 * and `!` percent-encoded (so `!/` only ever separates archive levels), bounded in length.
 */
export function memberPath(name: string): string {
  // Most names (`org/example/App$1.class`) need nothing done: a jar lists thousands of them.
  if (PLAIN_NAME.test(name) && !name.includes('//') && !/(?:^|\/)\.\.?(?:\/|$)/.test(name)) return name
  const parts: string[] = []
  for (const p of name.replace(/\\/g, '/').split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') parts.pop()
    else parts.push(p)
  }
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`
  const escaped = parts.join('/').replace(/[\x00-\x1f\x7f-\x9f%!\u2028\u2029]/g, hex)
  return escaped.length > 1024 ? `${escaped.slice(0, 1024)}…` : escaped
}

const PLAIN_NAME = /^[\w$+@=,~-][\w$+@=,~.\-/ ]*$/

interface ArchiveSink {
  /** Run one check over one member; the walk turns its detections into findings for `entry.path`. */
  inspect(check: FileCheck, entry: WalkEntry, content: Buffer, truncated: boolean): void
  /** A finding of the expansion itself (a bound that cut the search short). */
  note(entry: WalkEntry, detection: Detection): void
}

/** One per layer scan: the budget is the layer's. */
export class ArchiveExpander {
  private budget: number
  private members = 0
  private budgetNoted = false

  constructor(
    private readonly checks: readonly FileCheck[],
    private readonly sink: ArchiveSink,
    private readonly maxTextBytes = 0,
    private readonly limits: ArchiveLimits = ARCHIVE_LIMITS,
  ) {
    this.budget = limits.layerBudget
  }

  /** How much of a layer entry to read so it can be expanded; 0 when its name says it is no archive. */
  readBound(entry: WalkEntry): number {
    return entry.type === 'file' && entry.size > 0 && isArchiveName(entry.path) ? this.limits.maxArchiveBytes : 0
  }

  /**
   * Expand `buf` (the entry's content, `truncated` if cut at the read bound) if it is an archive: by name and then
   * bytes, or by bytes alone when the whole file was read anyway.
   */
  async expand(entry: WalkEntry, buf: Buffer, truncated: boolean, depth = 1): Promise<void> {
    const named = isArchiveName(entry.path)
    if (!named && truncated) return
    const sniffed = sniffArchive(buf)
    // Unnamed compressed data is mostly a cache (npm's cacache, pip's) of packages installed elsewhere in the image.
    const format = named
      ? sniffed ?? (ZIP_NAME.test(entry.path) && hasZipEnd(buf) ? 'zip' : undefined)
      : isCodec(sniffed) ? undefined : sniffed
    if (!format) return
    if (truncated) this.partial(entry, `only its first ${mib(buf.length)} were searched`)
    if (isCodec(format)) {
      const cap = Math.min(this.limits.maxArchiveBytes, this.budget)
      const r = await decodeCapped(buf, cap, format)
      this.spend(entry, r.buf.length)
      if (r.refused) this.partial(entry, `${r.refused}; it was not opened`)
      else if (r.truncated && r.buf.length >= cap) this.partial(entry, `only its first ${mib(r.buf.length)} uncompressed were searched`)
      if (sniffArchive(r.buf) === 'tar') await this.walk(entry, tarMembers(r.buf, this.left()).members, depth)
      return
    }
    const listed = format === 'zip' ? zipMembers(buf, this.left()) : tarMembers(buf, this.left())
    await this.walk(entry, listed.members, depth)
  }

  private left(): number {
    return Math.max(0, this.limits.maxMembers - this.members)
  }

  private spend(entry: WalkEntry, n: number): void {
    this.budget -= n
    if (this.budget <= 0 && !this.budgetNoted) {
      this.budgetNoted = true
      const budget = mib(this.limits.layerBudget)
      this.partial(entry, `the layer's budget of ${budget} of archive content was used up here; later archive members were not searched`)
    }
  }

  private async walk(archive: WalkEntry, members: readonly Member[], depth: number): Promise<void> {
    // A name listed twice (zip allows it; a crafted one lists the same bytes thousands of times) is read once.
    const seen = new Set<string>()
    for (const m of members) {
      if (++this.members > this.limits.maxMembers) {
        if (this.members === this.limits.maxMembers + 1) this.partial(archive, `more than ${this.limits.maxMembers} archive members in one layer`)
        return
      }
      const name = memberPath(m.name)
      if (!name || seen.has(name)) continue
      seen.add(name)
      const {uid, gid, layer} = archive
      const entry: WalkEntry = {path: `${archive.path}!/${name}`, type: 'file', mode: m.mode, uid, gid, size: m.size, layer}
      // Header-only checks judge filesystem metadata (modes, owners, links) that a member does not have on the image.
      const wanting: FileCheck[] = []
      for (const c of this.checks) if (c.wants(entry) === 'content') wanting.push(c)
      const nested = isArchiveName(name)
      if (nested && depth >= this.limits.maxDepth) {
        this.partial(entry, `archives nested deeper than ${this.limits.maxDepth} levels are not opened`)
        continue
      }
      if (wanting.length === 0 && !nested) continue
      const limitOf = (c: FileCheck) => (c.windowed ? Math.max(c.maxBytes ?? 1024 * 1024, this.maxTextBytes) : c.maxBytes ?? 1024 * 1024)
      const want = Math.max(nested ? this.limits.maxArchiveBytes : 0, ...wanting.map(limitOf))
      const cap = Math.min(want, this.budget)
      if (cap <= 0) {
        this.spend(entry, 0)
        return
      }
      const r = await m.read(cap)
      this.spend(entry, r.inflated)
      for (const c of wanting) {
        const limit = limitOf(c)
        const view = r.buf.length > limit ? r.buf.subarray(0, limit) : r.buf
        this.sink.inspect(c, entry, view, r.truncated || r.buf.length > limit)
      }
      // The budget ran out inside this read (and was noted): nothing more of this layer's archives can be read.
      if (this.budget <= 0) return
      if (depth < this.limits.maxDepth && (nested || sniffArchive(r.buf))) await this.expand(entry, r.buf, r.truncated, depth + 1)
    }
  }

  private partial(entry: WalkEntry, why: string): void {
    this.sink.note(entry, {
      id: 'archive.partial', severity: 'info', category: 'secret', rule: 'no-credentials',
      title: 'Archive searched only in part', secret: `${entry.path}\0${why}`, evidence: why,
      note: 'secrets past this point were not looked for',
    })
  }
}

function mib(n: number): string {
  return `${Number((n / 1024 ** 2).toFixed(1))} MiB`
}
