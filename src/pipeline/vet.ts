import {runImageChecks} from '../checks/index.js'
import type {LayerCache} from '../cache/layer-cache.js'
import {withPlatform, type Finding} from '../findings/finding.js'
import type {Image} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import {resolveImage, type IndexModel} from '../image/resolve.js'
import type {ImageSource, Platform} from '../image/types.js'
import {evaluate, requirementsFor, type Checked} from '../policy/evaluate.js'
import {scopeName} from '../policy/match.js'
import type {Policy, ScopeRequirements, Verdict} from '../policy/types.js'
import {parseReference, withDigest, type Reference} from '../reference/reference.js'
import {summarise, type Report} from '../report/types.js'
import {byteProgress} from './progress.js'
import type {PathSkip} from '../layers/skip.js'
import {
  indexPlatform, platformEntry, reportImage, reportStats, scanLoadedImage, skippedEntries, sumStats, VERSION, withRunCache,
  type ScanResult,
} from './scan.js'

/** What the signature/provenance stage gives back; plugged in by the caller so vet works without a registry. */
interface SupplyChainOutcome {
  findings: Finding[]
  checked: Checked
  notes?: string[]
}
/** Checks one image's signatures and provenance, judged as `ref` (the name its policy scope was chosen by). */
export type SupplyChainStage = (image: Image, requirements: ScopeRequirements, ref: Reference) => Promise<SupplyChainOutcome>

interface VetOptions {
  policy: Policy
  /** Narrow an index to this platform (a single-platform image must match it); absent: every platform. */
  platform?: Platform
  cache?: LayerCache | null
  maxLayerBytes?: number
  maxTextBytes?: number
  skip?: PathSkip
  supplyChain?: SupplyChainStage
  now?: Date
  /** Compressed layer bytes read (or served from the cache) of all there are, for a progress bar. */
  onBytes?: (done: number, total: number) => void
}

export interface VetResult {
  /** The image checked; for an index, its first platform (each one is in `platforms`). */
  image: Image
  /** The overall verdict: for an index it passes only if every platform checked passes. */
  verdict: Verdict
  report: Report
  index?: IndexModel
  platforms: Array<{image: Image; verdict: Verdict; report: Report}>
}

/**
 * The name policy scopes are matched against. Registry images use their reference; a local layout or archive is
 * `oci/<name>` unless the caller says what it stands for (`--as`), e.g. the registry it is about to be pushed to.
 */
export function policyReference(source: ImageSource, as?: string): Reference {
  if (as) return parseReference(as)
  return source.supplyChain?.reference ?? source.scopeReference ?? {registry: 'oci', repository: 'image', tag: 'latest'}
}

/**
 * pull (streamed) → supply chain → walk → config checks → policy, for every platform the source selects (one
 * after another, so layers they share come from the cache). Nothing is written to disk but the cache.
 */
export async function vetSource(source: ImageSource, ref: Reference, opts: VetOptions): Promise<VetResult> {
  const {index, images} = await resolveImage(source, {platform: opts.platform})
  const now = opts.now ?? new Date()
  const platforms: VetResult['platforms'] = []
  const bytes = byteProgress(images, opts.onBytes)
  await withRunCache(opts.cache, images, async (cache) => {
    for (const image of bytes.images) {
      const supply = await checkSupplyChain(image, ref, opts.policy, opts.supplyChain)
      const scan = await scanLoadedImage(image, {
        cache, maxLayerBytes: opts.maxLayerBytes, maxTextBytes: opts.maxTextBytes, skip: opts.skip,
        onLayer: (l) => bytes.layerDone(l),
      })
      const judged = judgeScanned(image, scan, ref, {policy: opts.policy, supply, now, platform: indexPlatform(image)})
      platforms.push({image, ...judged})
    }
  })
  const [first] = platforms
  if (!first) throw new Error('unreachable: resolveImage selects at least one image')
  if (!index) return {...first, platforms}
  const verdict = mergeVerdicts(platforms.map((p) => p.verdict), platforms.map((p) => formatPlatform(p.image.platform)))
  return {image: first.image, verdict, report: indexReport(source.name, index, platforms, verdict), index, platforms}
}

/** An index's verdict: every platform's findings and reasons (each reason names its platform); fails if any fails. */
function mergeVerdicts(list: readonly Verdict[], labels: readonly string[]): Verdict {
  const [first] = list
  if (!first) throw new Error('unreachable: no verdicts to merge')
  const findings = list.flatMap((v) => v.findings)
  return {
    policy: first.policy,
    reference: first.reference,
    pass: list.every((v) => v.pass),
    findings,
    suppressed: list.flatMap((v) => v.suppressed),
    summary: {...summarise(findings), failing: list.reduce((n, v) => n + v.summary.failing, 0)},
    reasons: list.flatMap((v, i) => v.reasons.map((r) => ({...r, message: `${labels[i]}: ${r.message}`}))),
  }
}

function indexReport(reference: string, index: IndexModel, platforms: VetResult['platforms'], verdict: Verdict): Report {
  const labels = platforms.map((p) => formatPlatform(p.image.platform))
  const skipped = skippedEntries(index)
  const n = labels.length
  const checked = `checked ${n} platform${n === 1 ? '' : 's'} of index ${index.digest}: ${labels.join(', ')}`
  const skippedNote = skipped.length ? `; skipped ${skipped.map((x) => `${x.platform} (${x.why})`).join(', ')}` : ''
  const notes = [...new Set(platforms.flatMap((p) => p.report.notes ?? []))]
  return {
    kind: 'vet',
    tool: {name: 'imgvet', version: VERSION},
    image: reportImage(reference, index, platforms.map((p) => p.image)),
    policy: first(platforms).report.policy,
    verdict: verdict.pass ? 'pass' : 'fail',
    reasons: platforms.flatMap((p, i) => (p.report.reasons ?? []).map((r) => ({...r, platform: labels[i]}))),
    findings: verdict.findings,
    suppressed: verdict.suppressed,
    notes: [`${checked}${skippedNote}`, ...notes],
    summary: summarise(verdict.findings),
    stats: sumStats(platforms.flatMap((p) => (p.report.stats ? [p.report.stats] : []))),
    platforms: platforms.map((p) => platformEntry(p.image, verdict.findings, {
      verdict: p.verdict.pass ? 'pass' : 'fail', reasons: p.report.reasons ?? [],
    })),
    skipped,
  }
}

function first<T>(list: readonly T[]): T {
  const [x] = list
  if (x === undefined) throw new Error('unreachable: empty list')
  return x
}

/** Signatures and provenance as the policy's scope for `ref` asks; without a stage (a local source) none are checked. */
export async function checkSupplyChain(image: Image, ref: Reference, policy: Policy, stage: SupplyChainStage | undefined): Promise<SupplyChainOutcome> {
  const requirements = requirementsFor(policy, ref)
  return stage ? stage(image, requirements, ref) : {findings: [], checked: {}, notes: ['signatures and provenance not checked (local source)']}
}

interface JudgeOptions {
  policy: Policy
  /** What checkSupplyChain found for this image and reference. */
  supply: SupplyChainOutcome
  now: Date
  /** The platform label when the image was selected from an index: every finding carries it. */
  platform?: string
}

/**
 * The policy half of vet for an image already scanned: config checks and the verdict for `ref`. Scopes are chosen
 * by name, so one scan can be judged under several references (the nightly run's repositories sharing a digest).
 */
export function judgeScanned(image: Image, scan: ScanResult, ref: Reference, opts: JudgeOptions): {verdict: Verdict; report: Report} {
  const {supply, now} = opts
  const requirements = requirementsFor(opts.policy, ref)
  const configFindings = runImageChecks({config: image.config, view: scan.walk.view, requirements, now, annotations: image.manifest.annotations})
  const all = [...supply.findings, ...scan.findings, ...configFindings]
  const platform = opts.platform
  const verdict = evaluate({
    policy: opts.policy,
    // Scope is chosen by name; the digest tells a gate the reference was pinned.
    reference: ref,
    // Tagged before the allowlist: the fingerprint a report shows is the one an allow entry must name.
    findings: platform ? all.map((f) => withPlatform(f, platform)) : all,
    checked: supply.checked,
    now,
  })
  const report: Report = {
    kind: 'vet',
    tool: {name: 'imgvet', version: VERSION},
    image: reportImage(image.name, undefined, [image]),
    policy: {name: verdict.policy.name, scope: verdict.policy.scope ? verdict.policy.scope.match.join(', ') : null},
    verdict: verdict.pass ? 'pass' : 'fail',
    reasons: verdict.reasons.map((r) => ({id: r.id, message: r.message})),
    findings: verdict.findings,
    suppressed: verdict.suppressed,
    notes: [...(supply.notes ?? []), `policy scope matched on ${scopeName(ref)}`],
    summary: summarise(verdict.findings),
    stats: reportStats(scan.walk.stats),
  }
  return {verdict, report}
}

export {withDigest}
