import type {FileCheck} from '../checks/check.js'
import {detectConfigSecrets} from '../checks/config-secrets.js'
import {FILE_CHECKS} from '../checks/index.js'
import {judgeTime} from '../findings/time.js'
import type {LayerCache} from '../cache/layer-cache.js'
import {fingerprint, redact, type Finding} from '../findings/finding.js'
import {loadImage, type Image} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import type {ImageSource, Platform} from '../image/types.js'
import {walkImage, type WalkResult, type WalkStats} from '../layers/walk.js'
import {LayerWorkerPool} from '../layers/worker-pool.js'
import {availableParallelism} from 'node:os'
import type {Layer} from '../image/image.js'
import {summarise, type Report} from '../report/types.js'

export const VERSION = '0.1.0'

export interface ScanOptions {
  platform: Platform
  checks?: readonly FileCheck[]
  cache?: LayerCache | null
  maxLayerBytes?: number
  /** How far into a text file the text rules read (--max-text-size); default one 1 MiB window. */
  maxTextBytes?: number
  concurrency?: number
  /** Share one pool across images (registry scan); otherwise each scan starts and stops its own. */
  pool?: LayerWorkerPool | null
  onLayer?: (layer: Layer, fromCache: boolean) => void
}

export interface ScanResult {
  image: Image
  walk: WalkResult
  /** File findings from the walk plus secrets in the config (ENV, labels, history). */
  findings: Finding[]
}

/** Findings about what anyone who can pull the image sees in its config, without opening a layer. */
export function configSecretFindings(image: Image): Finding[] {
  return detectConfigSecrets(image.config).map((d) => {
    const f: Finding = {
      id: d.id,
      severity: d.severity,
      category: d.category,
      title: `${d.title} (${d.where})`,
      rule: d.rule,
      path: null,
      layer: null,
      removedIn: null,
      evidence: d.evidence ?? redact(d.secret),
      fingerprint: fingerprint(d.id, d.where, d.secret),
    }
    if (d.note) f.note = d.note
    if (d.expires) f.expires = d.expires
    return f
  })
}

/** Load the image, walk every layer once, add config secrets. */
export async function scanSource(source: ImageSource, opts: ScanOptions): Promise<ScanResult> {
  const image = await loadImage(source, opts.platform)
  return scanLoadedImage(image, opts)
}

export async function scanLoadedImage(image: Image, opts: Omit<ScanOptions, 'platform'>): Promise<ScanResult> {
  const checks = opts.checks ?? FILE_CHECKS
  // The workers run the built-in checks only; a caller's own set runs in this thread.
  const own = opts.pool === undefined && checks === FILE_CHECKS && image.layers.some((l) => l.descriptor.size >= 1024 * 1024)
  const pool = own ? new LayerWorkerPool(Math.max(1, Math.min(opts.concurrency ?? 2, availableParallelism()))) : checks === FILE_CHECKS ? opts.pool : null
  try {
    const walk = await walkImage(image, {checks, cache: opts.cache, maxLayerBytes: opts.maxLayerBytes, maxTextBytes: opts.maxTextBytes, concurrency: opts.concurrency, pool, onLayer: opts.onLayer})
    // Cached layer results hold facts (a token's expiry); they are judged against today's clock here.
    const now = Date.now()
    return {image, walk, findings: [...configSecretFindings(image), ...walk.findings].map((f) => judgeTime(f, now))}
  } finally {
    if (own) await pool?.close()
  }
}

export function scanReport(r: ScanResult, findings: Finding[] = r.findings, suppressed?: Finding[]): Report {
  return {
    kind: 'scan',
    tool: {name: 'imgvet', version: VERSION},
    image: {reference: r.image.name, digest: r.image.digest, platform: formatPlatform(r.image.platform)},
    findings,
    suppressed,
    summary: summarise(findings),
    stats: reportStats(r.walk.stats),
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
  }
}
