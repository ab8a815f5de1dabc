import type {FileCheck} from '../checks/check.js'
import {detectConfigSecrets} from '../checks/config-secrets.js'
import {FILE_CHECKS} from '../checks/index.js'
import {judgeTime} from '../findings/time.js'
import {LayerCache} from '../cache/layer-cache.js'
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {newFinding, redact, withPlatform, type Finding} from '../findings/finding.js'
import type {Image} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import {resolveImage, type IndexModel} from '../image/resolve.js'
import type {ImageSource, Platform} from '../image/types.js'
import {walkImage, type WalkResult, type WalkStats} from '../layers/walk.js'
import {defaultJobs, LayerWorkerPool} from '../layers/worker-pool.js'
import {MAX_PARTIAL_EXAMPLES} from '../layers/scan-layer.js'
import {tmpdir} from 'node:os'
import type {Layer} from '../image/image.js'
import {byteProgress} from './progress.js'
import type {PathSkip} from '../layers/skip.js'
import {summarise, type PlatformEntry, type Report} from '../report/types.js'

export const VERSION = '0.1.0'

interface ScanOptions {
  /** Narrow an index to this platform (a single-platform image must match it); absent: every platform. */
  platform?: Platform
  checks?: readonly FileCheck[]
  cache?: LayerCache | null
  maxLayerBytes?: number
  /** How far into a text file the text rules read (--max-text-size); default one 1 MiB window. */
  maxTextBytes?: number
  /** --skip-dirs / --skip-files: entries no check sees, counted in the report. */
  skip?: PathSkip
  concurrency?: number
  /** Share one pool across images (registry scan); otherwise each scan starts and stops its own. */
  pool?: LayerWorkerPool | null
  onLayer?: (layer: Layer, fromCache: boolean) => void
}

/** What `scan` of a source found: one result per platform image checked (one for a single-platform image). */
interface SourceScan {
  reference: string
  /** Set when the source names an index: which platforms it offers and which entries were skipped. */
  index?: IndexModel
  results: ScanResult[]
}

export interface ScanResult {
  image: Image
  walk: WalkResult
  /** File findings from the walk plus secrets in the config (ENV, labels, history). */
  findings: Finding[]
}

/** Findings about what anyone who can pull the image sees in its config, without opening a layer. */
function configSecretFindings(image: Image): Finding[] {
  return detectConfigSecrets(image.config).map((d) => newFinding({
    ...d,
    title: `${d.title} (${d.where})`,
    // A line of the ENV or label value is no place in the image; `where` says where it is.
    line: undefined,
    evidence: d.evidence ?? redact(d.secret),
    subject: d.secret,
  }))
}

/** The platform label findings of an index child carry; none for a single-platform image. */
export function indexPlatform(image: Image): string | undefined {
  return image.index ? formatPlatform(image.platform) : undefined
}

/**
 * Resolve the source and scan every platform image it selects, one after another: a layer two platforms share is
 * walked for the first and served from the layer cache for the next. Findings of an index child carry its platform.
 */
export async function scanSource(
  source: ImageSource,
  opts: ScanOptions & {onBytes?: (done: number, total: number) => void},
): Promise<SourceScan> {
  const {index, images} = await resolveImage(source, {platform: opts.platform})
  const results: ScanResult[] = []
  const bytes = byteProgress(images, opts.onBytes)
  await withRunCache(opts.cache, images, async (cache) => {
    for (const image of bytes.images) {
      const r = await scanLoadedImage(image, {...opts, cache, onLayer: (l, c) => {
        bytes.layerDone(l)
        opts.onLayer?.(l, c)
      }})
      const platform = indexPlatform(image)
      results.push(platform ? {...r, findings: r.findings.map((f) => withPlatform(f, platform))} : r)
    }
  })
  return {reference: source.name, index, results}
}

/**
 * Without a layer cache (--no-cache), platforms of one index still share their base layers: a cache private to this
 * run, removed after it, walks each shared layer once without reading or writing the user's cache.
 */
export async function withRunCache<T>(
  cache: LayerCache | null | undefined,
  images: readonly Image[],
  fn: (cache: LayerCache | null | undefined) => Promise<T>,
): Promise<T> {
  if (cache || images.length < 2) return fn(cache)
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-run-cache-'))
  try {
    return await fn(new LayerCache(dir))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

export async function scanLoadedImage(image: Image, opts: Omit<ScanOptions, 'platform'>): Promise<ScanResult> {
  const checks = opts.checks ?? FILE_CHECKS
  // The workers run the built-in checks only; a caller's own set runs in this thread.
  const own = opts.pool === undefined && checks === FILE_CHECKS && image.layers.some((l) => l.descriptor.size >= 1024 * 1024)
  const jobs = own ? defaultJobs() : 0
  const pool = jobs > 0 ? new LayerWorkerPool(jobs) : checks === FILE_CHECKS ? opts.pool : null
  try {
    const walk = await walkImage(image, {
      checks, cache: opts.cache, maxLayerBytes: opts.maxLayerBytes, maxTextBytes: opts.maxTextBytes, concurrency: opts.concurrency, pool, onLayer: opts.onLayer,
      skip: opts.skip,
    })
    // Cached layer results hold facts (a token's expiry); they are judged against today's clock here.
    const now = Date.now()
    return {image, walk, findings: [...configSecretFindings(image), ...walk.findings].map((f) => judgeTime(f, now))}
  } finally {
    if (jobs > 0) await pool?.close()
  }
}

export function scanReport(
  s: SourceScan,
  findings: Finding[] = s.results.flatMap((r) => r.findings),
  suppressed?: Finding[],
): Report {
  return {
    kind: 'scan',
    tool: {name: 'imgvet', version: VERSION},
    image: reportImage(s.reference, s.index, s.results.map((r) => r.image)),
    findings,
    suppressed,
    summary: summarise(findings),
    stats: sumStats(s.results.map((r) => reportStats(r.walk.stats))),
    ...(s.index
      ? {platforms: s.results.map((r) => platformEntry(r.image, findings)), skipped: skippedEntries(s.index)}
      : {}),
  }
}

/** What a report says it checked: the image, or the index with the platforms checked in it. */
export function reportImage(reference: string, index: IndexModel | undefined, images: readonly Image[]): Report['image'] {
  const labels = images.map((i) => formatPlatform(i.platform))
  const [one] = images
  if (!index) {
    const synthesised = one?.source.synthesisedManifest ? {digestSynthesised: true} : {}
    return {reference: one?.name ?? reference, digest: one?.digest ?? '', platform: labels[0] ?? 'unknown', ...synthesised}
  }
  return {reference, digest: index.digest, platform: labels.join(', '), platforms: labels}
}

export function platformEntry(image: Image, findings: readonly Finding[], judged?: Pick<PlatformEntry, 'verdict' | 'reasons'>): PlatformEntry {
  const platform = formatPlatform(image.platform)
  return {platform, digest: image.digest, ...judged, summary: summarise(findings.filter((f) => f.platform === platform))}
}

export function skippedEntries(index: IndexModel): NonNullable<Report['skipped']> {
  return index.skipped.map((x) => ({
    digest: x.descriptor.digest, platform: formatPlatform(x.descriptor.platform), why: x.why,
  }))
}

/** One figure per report over the platforms checked; a layer served from the cache counts as such. */
export function sumStats(list: ReadonlyArray<NonNullable<Report['stats']>>): Report['stats'] {
  const [first, ...rest] = list
  if (!first || rest.length === 0) return first
  type Figure = 'layers' | 'files' | 'bytes' | 'seconds' | 'layersFromCache' | 'partialTextFiles' | 'binaryFilesSkipped'
  const sum = (k: Figure) => list.reduce((n, s) => n + (s[k] ?? 0), 0)
  return {
    layers: sum('layers'),
    files: sum('files'),
    bytes: sum('bytes'),
    seconds: sum('seconds'),
    layersFromCache: sum('layersFromCache'),
    partialTextFiles: sum('partialTextFiles'),
    partialTextExamples: list.flatMap((s) => s.partialTextExamples ?? []).slice(0, MAX_PARTIAL_EXAMPLES),
    maxTextBytes: first.maxTextBytes,
    ...(first.skip ? {
      skip: first.skip,
      skippedPaths: list.reduce((n, s) => n + (s.skippedPaths ?? 0), 0),
      skippedExamples: list.flatMap((s) => s.skippedExamples ?? []).slice(0, MAX_PARTIAL_EXAMPLES),
    } : {}),
    binaryFilesSkipped: sum('binaryFilesSkipped'),
  }
}

/** The walk's figures a report shows, `scan` and `vet` alike; text files cut at the cap are never left unsaid. */
export function reportStats(s: WalkStats): NonNullable<Report['stats']> {
  return {
    layers: s.layers,
    files: s.files,
    bytes: s.bytes,
    seconds: s.seconds,
    layersFromCache: s.layersFromCache,
    partialTextFiles: s.partialTextFiles,
    partialTextExamples: s.partialTextExamples,
    maxTextBytes: s.maxTextBytes,
    ...(s.skip ? {skip: s.skip, skippedPaths: s.skippedPaths ?? 0, skippedExamples: s.skippedExamples ?? []} : {}),
    binaryFilesSkipped: s.binaryFilesSkipped,
  }
}
