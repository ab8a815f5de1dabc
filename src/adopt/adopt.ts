import type {LayerCache} from '../cache/layer-cache.js'
import {EXIT, ImgvetError} from '../errors.js'
import {policyReference, vetSource} from '../pipeline/vet.js'
import type {Policy} from '../policy/types.js'
import type {Registries, RegistryClient} from '../registry/client.js'
import {putManifest} from '../registry/push.js'
import {RegistrySource} from '../registry/source.js'
import {formatReference, withDigest, type Reference} from '../reference/reference.js'
import {parseTransport} from '../reference/transport.js'
import {registrySupplyChainStage} from '../signatures/stage.js'
import type {SupplyChainOverrides} from '../signatures/supply-chain.js'
import {loadTrustRoot} from '../signatures/trust-root.js'
import {checkPush} from './check-push.js'
import {discoverClosure} from './closure.js'
import {copyClosure, type CopyResult} from './copy.js'
import type {LegacyMerge} from './legacy-merge.js'
import {planAdoption, type Plan} from './plan.js'
import {BlobProofs, proveAtDestination, type Proof} from './prove.js'

interface AdoptInput {
  source: string
  destination: string
  policy: Policy
  registries: Registries
  overrides: SupplyChainOverrides
  dryRun: boolean
  force: boolean
  /** The digest SRC must resolve to (a tag may have moved since it was reviewed). */
  expectDigest?: string
  jobs: number
  chunkSize?: number
  verifyBlobs: 'full' | 'head'
  cache: LayerCache | null
  maxLayerBytes?: number
  maxTextBytes?: number
  /** Copy every `sha256-<hex>.*` tag of the closure's digests (found by tag list), not only cosign's .sig/.att/.sbom. */
  digestTags?: boolean
  /** Copy foreign (`urls`) layers too; otherwise they are planned as skipped. */
  includeForeign?: boolean
  /** Probe at plan time that DST takes a push: open an upload session and delete it. */
  checkPush?: boolean
  /** A cosign legacy tag at DST naming another manifest: refuse (exit 2), or append SRC's layers to it. */
  onLegacyConflict?: 'fail' | 'merge'
  /** How referrers are found at SRC and at DST: the API, else the fallback tag (auto), or only one of them. */
  srcReferrers?: ReferrersMode
  dstReferrers?: ReferrersMode
  /** Manifest pulls a run leaves untouched in a registry's announced budget (`ratelimit-remaining`). */
  minRateRemaining?: number
  /** --wait-rate-limit: wait out the registry's window instead of stopping, telling this callback how long. */
  onRateWait?: (line: string) => void
  /** A phase starts (for a progress line on a terminal). */
  onPhase?: (phase: string) => void
}

export type ReferrersMode = RegistryClient['referrers']['mode']

type AdoptOutcome = 'adopted' | 'already-adopted' | 'planned' | 'vet-failed' | 'not-proven'

export interface AdoptResult {
  schema: 'imgvet.adopt/v1'
  source: {reference: string; digest: string; mediaType: string; referrersVia: string}
  destination: {reference: string; referrersApi: boolean | null}
  vet: {verdict: 'pass' | 'fail'; policy: string; reasons: Array<{id: string; message: string}>}
  plan: Plan | null
  result: AdoptOutcome
  copy: CopyResult | null
  verification: Proof | null
  tag: {name: string; moved: boolean; previous: string | null}
  warnings: string[]
  exitCode: number
}

function registryRef(input: string, what: string): Reference {
  const t = parseTransport(input)
  if (t.kind !== 'registry') throw new ImgvetError('usage', `${what} must be an image in a registry, not ${t.kind}:`,
    input)
  return t.ref
}

/** DST[:TAG]: a digest is the source's to give; without a tag the source's tag is kept. */
function destinationRef(input: string, src: Reference): Reference {
  const ref = registryRef(input, 'the destination')
  if (ref.digest) throw new ImgvetError('usage',
    'the destination takes a tag, not a digest (the digest is the source\'s)', input)
  const bare = input.replace(/^docker:\/\//, '')
  const tagged = bare.lastIndexOf(':') > bare.lastIndexOf('/')
  return {...ref, tag: tagged ? ref.tag : src.tag ?? 'latest'}
}

/**
 * resolve → discover the closure → vet → plan (read-only at the destination) → copy bytes → prove at the
 * destination → move the tag. Nothing is written to the destination before vet passed and the plan has no
 * conflict, and the tag moves only once the destination served back everything and its signatures verified.
 */
export async function adopt(input: AdoptInput): Promise<AdoptResult> {
  const srcRef = registryRef(input.source, 'the source')
  const dstRef = destinationRef(input.destination, srcRef)
  const src = input.registries.get(srcRef.registry)
  const dst = input.registries.get(dstRef.registry)
  const tag = dstRef.tag ?? 'latest'
  const [srcMode, dstMode] = [input.srcReferrers ?? 'auto', input.dstReferrers ?? 'auto']
  // One client per host: a registry that is both ends can be asked only one way.
  if (src === dst && srcMode !== dstMode) throw new ImgvetError('usage',
    `--src-referrers ${srcMode} and --dst-referrers ${dstMode} name the same registry`, src.registry)
  if (dst !== src || dstMode !== 'auto') dst.referrers = {mode: dstMode, flag: '--dst-referrers'}
  if (dst !== src || srcMode !== 'auto') src.referrers = {mode: srcMode, flag: '--src-referrers'}
  const wait = input.onRateWait ? {notify: input.onRateWait} : undefined
  for (const c of new Set([src, dst])) c.budget.configure({reserve: input.minRateRemaining ?? 0, wait})
  input.onPhase?.('resolving')
  const head = await src.headManifest(srcRef.repository, srcRef.digest ?? srcRef.tag ?? 'latest')
  if (!head) throw new ImgvetError('no-such-image', 'no such manifest', formatReference(srcRef))
  if (srcRef.digest && head.digest !== srcRef.digest) throw new ImgvetError('integrity', `resolved to ${head.digest}`,
    formatReference(srcRef))
  if (input.expectDigest && head.digest !== input.expectDigest) {
    throw new ImgvetError('bad-input', `resolves to ${head.digest}, not the expected ${input.expectDigest}`,
      formatReference(srcRef))
  }
  const pinned = withDigest(srcRef, head.digest)
  input.onPhase?.('discovering')
  const closure = await discoverClosure(src, srcRef.repository, head,
    {digestTags: input.digestTags, includeForeign: input.includeForeign})
  const result: AdoptResult = {
    schema: 'imgvet.adopt/v1',
    source: {reference: formatReference(srcRef), digest: head.digest, mediaType: closure.root.raw.mediaType,
      referrersVia: closure.referrersVia},
    destination: {reference: formatReference(dstRef), referrersApi: null},
    vet: {verdict: 'fail', policy: input.policy.name, reasons: []},
    plan: null, result: 'vet-failed', copy: null, verification: null,
    tag: {name: `${formatReference({...dstRef, tag})}`, moved: false, previous: null},
    warnings: closure.warnings,
    exitCode: EXIT.policyFailed,
  }
  const beforeVet = src.manifestGets
  input.onPhase?.('vetting')
  const source = new RegistrySource(src, pinned)
  const stage = registrySupplyChainStage(input.registries, {os: 'linux', architecture: 'amd64'}, input.overrides)
  const vet = await vetSource(source, policyReference(source), {
    policy: input.policy, supplyChain: stage, cache: input.cache, maxLayerBytes: input.maxLayerBytes,
      maxTextBytes: input.maxTextBytes,
  })
  result.vet = {verdict: vet.verdict.pass ? 'pass' : 'fail', policy: input.policy.name,
    reasons: vet.report.reasons ?? []}
  // A failing vet ends the run before the destination hears from us at all.
  if (!vet.verdict.pass) return result
  input.onPhase?.('planning')
  // The proof verifies signatures at the source again, asking at most what vet asked: that much budget must be
  // there now, before the first write, not found missing after the copy.
  await src.budget.ready(src.manifestGets - beforeVet, formatReference(srcRef))
  const target = {client: dst, repository: dstRef.repository, tag}
  const merges = new Map<string, LegacyMerge>()
  const plan = await planAdoption(closure, {registry: srcRef.registry, repository: srcRef.repository}, target,
    {force: input.force, onLegacyConflict: input.onLegacyConflict ?? 'fail', merges})
  result.plan = plan
  result.destination.referrersApi = plan.referrersApi
  result.tag.previous = plan.tagState.previous
  // Only now, with vet passed: the probe is a write, however short-lived.
  if (input.checkPush) plan.pushCheck = await checkPush(dst, dstRef.repository)
  const conflicts = plan.items.filter((i) => i.action === 'conflict')
  if (input.dryRun) {
    result.result = 'planned'
    result.exitCode = conflicts.length ? EXIT.badInput : EXIT.ok
    return result
  }
  if (conflicts.length) {
    const what = conflicts.map((c) => `${c.tag ?? c.digest}${c.reason ? ` (${c.reason})` : ''}`).join(', ')
    const legacy = conflicts.some((c) => c.kind === 'legacy-tag') ? ' (--on-legacy-conflict merge appends to a .sig/.att)' : ''
    throw new ImgvetError('conflict', `the destination already has ${what}; --force moves the tag${legacy}`,
      formatReference(dstRef))
  }
  const nothingToDo = plan.totals.toWrite === 0
  // Parsed while the copy waits on the network; a failure surfaces where the proof needs it, not unhandled.
  const trustRoot = loadTrustRoot(input.overrides.trustedRoot)
  trustRoot.catch(() => {})
  const early = new BlobProofs(target, input.verifyBlobs)
  if (!nothingToDo) {
    input.onPhase?.('copying')
    result.copy = await copyClosure(closure, plan, {client: src, repository: srcRef.repository}, target,
      {jobs: input.jobs, chunkSize: input.chunkSize, proofs: early, merges,
        onProgress: (done, total) => input.onPhase?.(`copying (${done}/${total} blobs)`)})
  }
  input.onPhase?.('proving')
  result.verification = await proveAtDestination({
    closure, dst: target, srcRef, dstRef, registries: input.registries, images: vet.platforms.map((p) => p.image),
      policy: input.policy,
    overrides: input.overrides, trustRoot: await trustRoot,
      verifyBlobs: input.verifyBlobs,
    jobs: input.jobs, lostReferrers: result.copy?.lostReferrers ?? [], early, referrersApi: plan.referrersApi, merges,
  })
  if (result.verification.failures.length) {
    result.result = 'not-proven'
    result.exitCode = EXIT.notProven
    return result
  }
  const tagItem = plan.items.find((i) => i.kind === 'tag')
  if (tagItem?.action === 'move') {
    await putManifest(dst, dstRef.repository, tag, closure.root.raw)
    const now = await dst.headManifest(dstRef.repository, tag)
    if (now?.digest !== closure.root.digest) {
      result.result = 'not-proven'
      result.exitCode = EXIT.notProven
      result.verification.failures.push(`tag ${tag} resolves to ${now?.digest ?? 'nothing'} after the PUT`)
      return result
    }
    result.tag.moved = true
  }
  result.result = nothingToDo ? 'already-adopted' : 'adopted'
  result.exitCode = EXIT.ok
  return result
}
