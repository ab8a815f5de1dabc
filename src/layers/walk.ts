import type {FileCheck} from '../checks/check.js'
import {layerCacheKey, type LayerCache} from '../cache/layer-cache.js'
import type {Image, Layer} from '../image/image.js'
import {isFilesystemLayer} from '../image/manifest.js'
import {mapLimit} from '../concurrency.js'
import {keyPairFindings} from '../checks/secrets/key-pairs.js'
import {TEXT_MAX_BYTES} from '../checks/secrets/index.js'
import {mergeLayers, type Merged} from './history.js'
import {withOrigins} from './origin.js'
import {MAX_PARTIAL_EXAMPLES, scanLayer, type LayerScan} from './scan-layer.js'
import type {LayerWorkerPool} from './worker-pool.js'
import type {PathSkip} from './skip.js'

/** Below this a layer is scanned in place: handing it to a thread costs more than it saves. */
const MIN_WORKER_LAYER_BYTES = 1024 * 1024

export const DEFAULT_MAX_LAYER_BYTES = 32 * 1024 ** 3
/** One text window: what the text rules have always read, so default results (and the benchmark) stay as they were. */
export const DEFAULT_MAX_TEXT_BYTES = TEXT_MAX_BYTES

interface WalkOptions {
  checks: readonly FileCheck[]
  maxLayerBytes?: number
  /** How far into a text file the text rules read (in overlapping windows, so memory stays one window). */
  maxTextBytes?: number
  /** Layers scanned at once; decompression runs on libuv's pool, so 2 keeps both cores busy. */
  concurrency?: number
  cache?: LayerCache | null
  /** Worker threads running the built-in checks; only the caller knows `checks` are those. */
  pool?: LayerWorkerPool | null
  onLayer?: (layer: Layer, fromCache: boolean) => void
  skip?: PathSkip
}

export interface WalkStats {
  layers: number
  files: number
  bytes: number
  seconds: number
  layersScanned: number
  layersFromCache: number
  /** Text files larger than maxTextBytes (so scanned only up to it), over all layers, and the first few. */
  partialTextFiles: number
  partialTextExamples: Array<{path: string; size: number; layer: number}>
  maxTextBytes: number
  /** Entries no check saw because of --skip-dirs/--skip-files, the first few of them, and the patterns. */
  skippedPaths?: number
  skippedExamples?: Array<{path: string; layer: number}>
  skip?: PathSkip
  /** Files the content checks left by their bytes (binary), over the layers scanned now and those from the cache. */
  binaryFilesSkipped: number
}

export interface WalkResult extends Merged {
  scans: LayerScan[]
  stats: WalkStats
}

function emptyScan(layer: Layer): LayerScan {
  return {
    digest: layer.descriptor.digest, diffId: layer.diffId,
    entries: [], whiteouts: [], findings: [], keySightings: [], kept: {}, files: 0, bytes: 0, partial: 0, partialFiles: [],
  }
}

/** Walk every layer of an image once (or take it from the cache), then merge into the final view. */
export async function walkImage(image: Image, opts: WalkOptions): Promise<WalkResult> {
  const started = Date.now()
  const maxLayerBytes = opts.maxLayerBytes ?? DEFAULT_MAX_LAYER_BYTES
  const maxTextBytes = opts.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES
  const skip = opts.skip && (opts.skip.dirs.length > 0 || opts.skip.files.length > 0) ? opts.skip : undefined
  const scans: LayerScan[] = new Array(image.layers.length)
  let scanned = 0
  let fromCache = 0
  await mapLimit(image.layers, opts.concurrency ?? 2, async (layer: Layer) => {
    if (!isFilesystemLayer(layer.descriptor)) {
      scans[layer.index] = emptyScan(layer)
      return
    }
    // The config's diffID is a claim; the key pairs it with the manifest's digest, and only a scan that checked both
    // writes an entry (see layerCacheKey). A diffID scanLayer cannot check (not sha256, absent) is never cached.
    const pair = layer.diffId?.startsWith('sha256:') ? {digest: layer.descriptor.digest, diffId: layer.diffId} : null
    const key = pair && opts.cache ? layerCacheKey(pair, opts.checks, {maxLayerBytes, maxTextBytes, ...(skip ? {skip} : {})}) : null
    const cached = key && opts.cache ? opts.cache.get(key) : null
    if (cached) {
      scans[layer.index] = cached
      fromCache++
      opts.onLayer?.(layer, true)
      return
    }
    // The walk applies the skip list before any content reaches a worker, so the pool takes it like the walk does.
    const scan = opts.pool && layer.descriptor.size >= MIN_WORKER_LAYER_BYTES
      ? await opts.pool.scan(layer, image.name, maxLayerBytes, maxTextBytes, skip)
      : await scanLayer(layer, {checks: opts.checks, maxLayerBytes, maxTextBytes, skip}, image.name)
    if (key && opts.cache) opts.cache.put(key, scan)
    scans[layer.index] = scan
    scanned++
    opts.onLayer?.(layer, false)
  })
  const merged = mergeLayers(scans)
  return {
    ...merged,
    // Image level: a certificate and its key can sit in different files and layers, so only the merge can pair them.
    findings: [...withOrigins(merged.findings, scans, image), ...withOrigins(keyPairFindings(merged.keySightings), scans, image, false)],
    scans,
    stats: {
      layers: image.layers.length,
      files: scans.reduce((n, s) => n + s.files, 0),
      bytes: scans.reduce((n, s) => n + s.bytes, 0),
      seconds: (Date.now() - started) / 1000,
      layersScanned: scanned,
      layersFromCache: fromCache,
      partialTextFiles: scans.reduce((n, s) => n + (s.partial ?? 0), 0),
      partialTextExamples: scans.flatMap((s, i) => (s.partialFiles ?? []).map((f) => ({...f, layer: i}))).slice(0, MAX_PARTIAL_EXAMPLES),
      maxTextBytes,
      ...(skip ? {
        skip,
        skippedPaths: scans.reduce((n, s) => n + (s.skipped ?? 0), 0),
        skippedExamples: scans.flatMap((s, i) => (s.skippedPaths ?? []).map((path) => ({path, layer: i}))).slice(0, MAX_PARTIAL_EXAMPLES),
      } : {}),
      binaryFilesSkipped: scans.reduce((n, s) => n + (s.binarySkipped ?? 0), 0),
    },
  }
}
