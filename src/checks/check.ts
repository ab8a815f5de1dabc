import type {Category, SeedRule, Severity} from '../findings/finding.js'
import type {WalkEntry} from '../layers/entry.js'
import type {SightingSink} from './secrets/key-pairs.js'

/**
 * What a detector reports before the walk knows where the file ends up (deleted later or not). `secret` is the raw
 * matched material: it is used once to compute the fingerprint and the redacted evidence, then dropped, so it never
 * reaches a cache, a report or a log.
 */
export interface Detection {
  id: string
  severity: Severity
  category: Category
  title: string
  rule: SeedRule
  secret: string
  line?: number
  /** Already-redacted context; when absent the evidence is redact(secret). */
  evidence?: string
  note?: string
  /** When the credential stops working (ISO 8601): a fact, judged at report time, so a cached result never goes stale. */
  expires?: string
}

/**
 * A plug-in of the layer walk. The walk reads each entry once, asks every check whether it wants the entry, reads
 * the content (up to the largest `maxBytes` among those that want it) only if one of them does, and hands it over.
 */
export interface FileCheck {
  id: string
  /** Bump when results for the same bytes can change: it is part of the layer cache key. */
  version: number
  /** 'content' to get the bytes, 'header' to be called without them, false to skip. */
  wants(entry: WalkEntry): 'content' | 'header' | false
  /** Bytes this check needs at most; content beyond is not read for it (for a windowed check: one window). */
  maxBytes?: number
  /**
   * Read a file larger than one window in successive overlapping windows, up to the walk's maxTextBytes, instead of
   * only its start. The walk turns window-relative `line`s into file lines and reports a detection seen in two
   * windows once; the check only has to report lines relative to the content it is given.
   */
  windowed?: boolean
  /** Windowed checks: whether windows after the first are worth reading, judged on the first (e.g. it is text). */
  moreWindows?(entry: WalkEntry, first: Buffer): boolean
  /**
   * Whether `inspect` would find nothing in this content, judged cheaply by the bytes themselves (binary content
   * for a text rule): the walk then does not hand it over, nor to another thread, and counts the files that no check
   * kept. Must never be true where `inspect` could report something.
   */
  skips?(entry: WalkEntry, content: Buffer, truncated: boolean): boolean
  /**
   * `content` is null for 'header' checks; it may be truncated to maxBytes (`truncated` says so). `sight` records
   * public keys (hashes only) that only mean something next to other files, such as a certificate and its key.
   * `window` is set when a windowed check gets one window of a larger file.
   */
  inspect(entry: WalkEntry, content: Buffer | null, truncated: boolean, sight?: SightingSink, window?: ContentWindow): Detection[]
}

/** Which window of its file a check is given: `index` 0 is the file's start. */
export interface ContentWindow {
  index: number
}

/** The merged filesystem after all layers, derived from the walk's per-path record. */
export interface FinalView {
  /** Final entry per path (whiteouts applied). */
  entries: ReadonlyMap<string, WalkEntry>
  /** Content of small files the walk keeps for image checks (/etc/passwd, /etc/group, sudoers...), if present. */
  files: ReadonlyMap<string, Buffer>
}

/** Paths whose content the walk keeps (bounded) for image-level checks. */
export const KEPT_FILES: readonly string[] = ['/etc/passwd', '/etc/group', '/etc/sudoers', '/etc/os-release', '/etc/docker/daemon.json']
