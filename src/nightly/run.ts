import {randomBytes} from 'node:crypto'
import type {LayerCache} from '../cache/layer-cache.js'
import {mapLimit} from '../concurrency.js'
import {imageFromManifest} from '../image/image.js'
import {fetchChildManifest} from '../image/resolve.js'
import {scanLoadedImage} from '../pipeline/scan.js'
import {DEFAULT_MAX_TEXT_BYTES} from '../layers/walk.js'
import {LayerWorkerPool} from '../layers/worker-pool.js'
import type {Policy} from '../policy/types.js'
import type {Registries} from '../registry/client.js'
import {RegistrySource} from '../registry/source.js'
import type {RegistrySupplyChainStage} from '../signatures/stage.js'
import {computeChanges} from './diff.js'
import {enumerate, toScanError, type Inventory, type Occurrence} from './enumerate.js'
import {checksVersion, judge, occurrenceReference, policyHash, signersHash, supplyMaterial} from './evaluate.js'
import {InflightLayers} from './inflight.js'
import {StateLock} from './lock.js'
import {formatShard, type Selection} from './shard.js'
import {imageKey, Journal, readJournal, reuseKeyOf, sameReuseKey} from './state.js'
import type {JournalRecord, RecordedRun, ReuseKey} from './state.js'
import type {ImageResult, RunReport, ScanError} from './types.js'

export const DEFAULT_REUSE_DAYS = 7

export interface RegistryScanOptions {
  host: string
  registries: Registries
  policy: Policy
  selection: Selection
  /** The run journal; null keeps no state (no diff, no resume, no reuse). */
  statePath: string | null
  resume?: boolean
  /** Images scanned at once (each walks up to 2 layers at once). */
  concurrency?: number
  cache: LayerCache | null
  maxLayerBytes?: number
  /** How far into a text file the text rules read (--max-text-size). */
  maxTextBytes?: number
  /**
   * How long a recorded verdict for an unchanged digest is reused. Bounded because a few rules depend on the clock
   * (image age, allowlist expiry); a week keeps nightly runs cheap and those rules at most a week late.
   */
  reuseMaxAgeMs?: number
  now?: () => Date
  /** Aborting stops starting new images; finished ones are already recorded, so --resume picks up the rest. */
  signal?: AbortSignal
  onImage?: (r: ImageResult) => void
  /** Absent: signatures are not checked (--no-signatures), and a policy requiring them fails as not checked. */
  supplyChain?: RegistrySupplyChainStage
  pageSize?: number
}

interface Counters {
  layersScanned: number
  layersFromCache: number
  reused: number
}

export async function runRegistryScan(o: RegistryScanOptions): Promise<RunReport> {
  const lock = o.statePath ? StateLock.acquire(o.statePath, o.now) : null
  try {
    return await scanRegistry(o)
  } finally {
    lock?.release()
  }
}

async function scanRegistry(o: RegistryScanOptions): Promise<RunReport> {
  const clock = o.now ?? (() => new Date())
  const t0 = Date.now()
  const bytesBefore = o.registries.bytesDownloaded
  const ph = policyHash(o.policy)
  // A verdict recorded under another text cap saw more or less of each file: do not reuse it. The default adds
  // nothing, so journals written before the cap existed stay valid.
  const textCap = o.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES
  const cv = textCap === DEFAULT_MAX_TEXT_BYTES ? checksVersion() : `${checksVersion()}+text${textCap}`
  const key: ReuseKey = {policyHash: ph, checksVersion: cv, signers: await signersHash(o.policy, o.supplyChain)}
  const state = o.statePath ? readJournal(o.statePath) : {lastComplete: null, incomplete: null}
  const journal = o.statePath ? new Journal(o.statePath) : null
  const resumed = Boolean(o.resume && state.incomplete && state.incomplete.registry === o.host)
  const runRecord: Extract<JournalRecord, {t: 'run'}> = resumed && state.incomplete
    ? {t: 'run', id: state.incomplete.id, started: state.incomplete.started, registry: o.host, ...key}
    : {t: 'run', id: randomBytes(8).toString('hex'), started: clock().toISOString(), registry: o.host, ...key}
  if (!resumed) journal?.append(runRecord)

  const results: ImageResult[] = []
  const errors: ScanError[] = []
  const counters: Counters = {layersScanned: 0, layersFromCache: 0, reused: 0}
  const record = (r: ImageResult) => {
    journal?.append({t: 'image', run: runRecord.id, ...key, result: r})
    results.push(r)
    o.onImage?.(r)
  }
  let workers: LayerWorkerPool | undefined
  try {
    const client = o.registries.get(o.host)
    // Listing is small requests only: more in flight than scanning, which is bound by CPU.
    const inv = await enumerate(client, o.selection, {concurrency: Math.max(8, (o.concurrency ?? 2) * 4), signal: o.signal, pageSize: o.pageSize})
    errors.push(...inv.errors)
    const done = resumed ? state.incomplete : null
    const prior = [state.lastComplete, resumed ? null : state.incomplete].filter((r): r is RecordedRun => r !== null)
    const maxAge = o.reuseMaxAgeMs ?? DEFAULT_REUSE_DAYS * 86_400_000
    const work = new Map<string, Occurrence[]>()
    const rejudge = (digest: string, occ: Occurrence) => work.set(digest, [...(work.get(digest) ?? []), occ])
    const candidates: Array<{digest: string; occ: Occurrence; earlier: ImageResult}> = []
    for (const [digest, occurrences] of inv.byDigest) {
      for (const occ of occurrences) {
        const k = imageKey(occ.repository, digest)
        const finished = done?.images.get(k)
        if (finished && sameReuseKey(finished, key)) {
          // Recorded by the interrupted run itself: already in the journal under this run.
          results.push(finished.result)
          continue
        }
        const earlier = reusable(prior, k, key, clock().getTime() - maxAge)
        // A signature or attestation that appeared (or vanished) since changes the verdict: judge again.
        if (earlier && sameTags(earlier.supplyTags ?? [], occ.supplyTags)) candidates.push({digest, occ, earlier})
        else rejudge(digest, occ)
      }
    }
    // Referrers pushed through the API carry no tag: ask for them before trusting a recorded verdict. Anything that
    // cannot be asked is judged again, and the stage then reports what it finds.
    const reusedNow: ImageResult[] = []
    const unchanged = new Set<(typeof candidates)[number]>()
    await mapLimit(candidates, Math.max(4, (o.concurrency ?? 2) * 2), async (c) => {
      const now = await supplyMaterial(o.host, c.occ, c.digest, o.policy, o.supplyChain).catch(() => null)
      if (now && sameTags(c.earlier.supplyMaterial ?? [], now)) unchanged.add(c)
    }, o.signal)
    for (const c of candidates) {
      if (!unchanged.has(c)) {
        rejudge(c.digest, c.occ)
        continue
      }
      counters.reused++
      const {occ, digest, earlier} = c
      const reference = occurrenceReference(o.host, occ, digest)
      const index = occ.indexDigest ? {indexDigest: occ.indexDigest} : {}
      const r: ImageResult = {...earlier, tags: occ.tags, reference, reused: true, ...index}
      reusedNow.push(r)
      results.push(r)
      o.onImage?.(r)
    }
    // Reused verdicts are journalled in one write: losing them to a crash costs nothing, the baseline still has them.
    journal?.appendMany(reusedNow.map((result) => ({t: 'image', run: runRecord.id, ...key, result})))
    const inflight = new InflightLayers()
    // One set of scanning threads for the whole run, not one per image.
    workers = new LayerWorkerPool(Math.max(1, o.concurrency ?? 2))
    const threads = workers
    await mapLimit([...work], o.concurrency ?? 2, async ([digest, pending]) => {
      try {
        await scanOne(o, inv, digest, pending, inflight, counters, clock, record, threads)
      } catch (e) {
        for (const occ of pending) {
          errors.push(toScanError(e, {
            repository: occ.repository, ...(occ.tags[0] ? {tag: occ.tags[0]} : {}), digest, ...(occ.platform ? {platform: occ.platform} : {}),
          }))
        }
      }
    }, o.signal)
  } finally {
    journal?.close()
    await workers?.close()
  }
  const interrupted = Boolean(o.signal?.aborted)
  const finished = clock().toISOString()
  const baseline = state.lastComplete
  if (journal && !interrupted) finishJournal(journal, runRecord, results, errors, baseline, key, finished)
  results.sort((a, b) => a.repository.localeCompare(b.repository) || (a.tags[0] ?? '').localeCompare(b.tags[0] ?? '') || a.platform.localeCompare(b.platform) || a.digest.localeCompare(b.digest))
  errors.sort((a, b) => a.repository.localeCompare(b.repository) || (a.tag ?? '').localeCompare(b.tag ?? '') || (a.digest ?? '').localeCompare(b.digest ?? ''))
  const changes = computeChanges(
    baseline ? {started: baseline.started, images: [...baseline.images.values()].map((i) => i.result).filter((r) => o.selection.hasRepository(r.repository))} : null,
    results,
    errors,
  )
  return {
    run: {started: runRecord.started, finished, registry: o.host, policy: o.policy.name, shard: formatShard(o.selection.shard), resumed, interrupted, policyHash: ph},
    images: results,
    errors,
    changes,
    stats: {
      images: results.length,
      uniqueLayers: new Set(results.flatMap((r) => r.layers)).size,
      layersScanned: counters.layersScanned,
      layersFromCache: counters.layersFromCache,
      imagesReused: counters.reused,
      bytesDownloaded: o.registries.bytesDownloaded - bytesBefore,
      seconds: (Date.now() - t0) / 1000,
    },
  }
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((t, i) => t === [...b].sort()[i])
}

function reusable(prior: RecordedRun[], k: string, key: ReuseKey, notBefore: number): ImageResult | null {
  let best: ImageResult | null = null
  for (const run of prior) {
    const hit = run.images.get(k)
    if (!hit || !sameReuseKey(hit, key)) continue
    const at = Date.parse(hit.result.evaluatedAt)
    if (!(at >= notBefore)) continue
    if (!best || at > Date.parse(best.evaluatedAt)) best = hit.result
  }
  return best
}

/** Load one digest once (config, then layers through the cache), judge it for every repository it appears in. */
async function scanOne(
  o: RegistryScanOptions,
  inv: Inventory,
  digest: string,
  pending: Occurrence[],
  inflight: InflightLayers,
  counters: Counters,
  clock: () => Date,
  record: (r: ImageResult) => void,
  workers: LayerWorkerPool,
): Promise<void> {
  const first = pending[0]
  if (!first) return
  const client = o.registries.get(o.host)
  const source = new RegistrySource(client, {registry: o.host, repository: first.repository, digest})
  const {manifest, raw} = await fetchChildManifest(source, first.descriptor, inv.manifests.get(digest))
  const image = await imageFromManifest(source, manifest, raw)
  const claim = await inflight.claim(image.layers)
  let scan
  try {
    scan = await scanLoadedImage(image, {
      pool: workers,
      cache: o.cache,
      maxLayerBytes: o.maxLayerBytes,
      maxTextBytes: o.maxTextBytes,
      onLayer: (l) => claim.done(l),
    })
  } finally {
    claim.finish()
  }
  counters.layersScanned += scan.walk.stats.layersScanned
  counters.layersFromCache += scan.walk.stats.layersFromCache
  const now = clock()
  for (const occ of pending) {
    // Asked before judging: a referrer pushed in between makes the record stale, never a verdict that missed it fresh.
    const material = await supplyMaterial(o.host, occ, digest, o.policy, o.supplyChain)
    const r = await judge(o.host, image, scan, occ, {policy: o.policy, now, supplyChain: o.supplyChain})
    record(material.length ? {...r, supplyMaterial: material} : r)
  }
}

/**
 * Close the run and compact the journal to it. Repositories that failed this run keep their previous images, so a
 * transient registry error does not make every image in them "new" tomorrow.
 */
function finishJournal(journal: Journal, run: Extract<JournalRecord, {t: 'run'}>, results: ImageResult[],
  errors: ScanError[], baseline: RecordedRun | null, key: ReuseKey, finished: string): void {
  const failedRepos = new Set(errors.map((e) => e.repository))
  const have = new Set(results.map((r) => imageKey(r.repository, r.digest)))
  const carried = baseline
    ? [...baseline.images.entries()].filter(([key, i]) => failedRepos.has(i.result.repository) && !have.has(key)).map(([, i]) => i)
    : []
  journal.compact([
    run,
    ...results.map((result): JournalRecord => ({t: 'image', run: run.id, ...key, result})),
    ...carried.map((i): JournalRecord => ({t: 'image', run: run.id, ...reuseKeyOf(i), result: i.result})),
    {t: 'end', run: run.id, finished},
  ])
}
