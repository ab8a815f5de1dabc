import {basename} from 'node:path'
import {runImageChecks} from '../checks/index.js'
import type {LayerCache} from '../cache/layer-cache.js'
import type {Finding} from '../findings/finding.js'
import type {Image} from '../image/image.js'
import {loadImage} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import type {ImageSource, Platform} from '../image/types.js'
import {evaluate, requirementsFor, type Checked} from '../policy/evaluate.js'
import {scopeName} from '../policy/match.js'
import type {Policy, ScopeRequirements, Verdict} from '../policy/types.js'
import {parseReference, withDigest, type Reference} from '../reference/reference.js'
import type {Transport} from '../reference/transport.js'
import {summarise, type Report} from '../report/types.js'
import {reportStats, scanLoadedImage, VERSION, type ScanResult} from './scan.js'

/** What the signature/provenance stage gives back; plugged in by the caller so vet works without a registry. */
export interface SupplyChainOutcome {
  findings: Finding[]
  checked: Checked
  notes?: string[]
}
/** Checks one image's signatures and provenance, judged as `ref` (the name its policy scope was chosen by). */
export type SupplyChainStage = (image: Image, requirements: ScopeRequirements, ref: Reference) => Promise<SupplyChainOutcome>

export interface VetOptions {
  policy: Policy
  platform: Platform
  cache?: LayerCache | null
  maxLayerBytes?: number
  maxTextBytes?: number
  supplyChain?: SupplyChainStage
  now?: Date
  /** Called as each layer is done (scanned or from the cache), for a progress display. */
  onLayer?: (done: number, total: number) => void
}

export interface VetResult {
  image: Image
  verdict: Verdict
  report: Report
}

/**
 * The name policy scopes are matched against. Registry images use their reference; a local layout or archive is
 * `oci/<name>` unless the caller says what it stands for (`--as`), e.g. the registry it is about to be pushed to.
 */
export function policyReference(t: Transport, as?: string): Reference {
  if (as) return parseReference(as)
  if (t.kind === 'registry') return t.ref
  const name = basename(t.path).toLowerCase().replace(/\.(tar|oci)$/, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'image'
  return {registry: t.kind === 'docker-archive' ? 'docker-archive' : 'oci', repository: name, tag: t.tag ?? 'latest'}
}

/** pull (streamed) → supply chain → walk → config checks → policy. Nothing is written to disk but the cache. */
export async function vetSource(source: ImageSource, ref: Reference, opts: VetOptions): Promise<VetResult> {
  const image = await loadImage(source, opts.platform)
  const now = opts.now ?? new Date()
  const supply = await checkSupplyChain(image, ref, opts.policy, opts.supplyChain)
  let done = 0
  const scan = await scanLoadedImage(image, {cache: opts.cache, maxLayerBytes: opts.maxLayerBytes, maxTextBytes: opts.maxTextBytes, onLayer: () => opts.onLayer?.(++done, image.layers.length)})
  return {image, ...judgeScanned(image, scan, ref, {policy: opts.policy, supply, now})}
}

/** Signatures and provenance as the policy's scope for `ref` asks; without a stage (a local source) none are checked. */
export async function checkSupplyChain(image: Image, ref: Reference, policy: Policy, stage: SupplyChainStage | undefined): Promise<SupplyChainOutcome> {
  const requirements = requirementsFor(policy, ref)
  return stage ? stage(image, requirements, ref) : {findings: [], checked: {}, notes: ['signatures and provenance not checked (local source)']}
}

export interface JudgeOptions {
  policy: Policy
  /** What checkSupplyChain found for this image and reference. */
  supply: SupplyChainOutcome
  now: Date
}

/**
 * The policy half of vet for an image already scanned: config checks and the verdict for `ref`. Scopes are chosen
 * by name, so one scan can be judged under several references (the nightly run's repositories sharing a digest).
 */
export function judgeScanned(image: Image, scan: ScanResult, ref: Reference, opts: JudgeOptions): {verdict: Verdict; report: Report} {
  const {supply, now} = opts
  const requirements = requirementsFor(opts.policy, ref)
  const configFindings = runImageChecks({config: image.config, view: scan.walk.view, requirements, now, annotations: image.manifest.annotations})
  const verdict = evaluate({
    policy: opts.policy,
    // Scope is chosen by name; the digest tells a gate the reference was pinned.
    reference: ref,
    findings: [...supply.findings, ...scan.findings, ...configFindings],
    checked: supply.checked,
    now,
  })
  const report: Report = {
    kind: 'vet',
    tool: {name: 'imgvet', version: VERSION},
    image: {reference: image.name, digest: image.digest, platform: formatPlatform(image.platform)},
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
