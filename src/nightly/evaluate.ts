import {createHash} from 'node:crypto'
import {FILE_CHECKS} from '../checks/index.js'
import {imageCheckVersions, runImageChecks} from '../checks/config/index.js'
import {LAYER_RESULT_SCHEMA} from '../cache/layer-cache.js'
import type {Image} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import {evaluate, requirementsFor} from '../policy/evaluate.js'
import type {Policy} from '../policy/types.js'
import type {ScanResult} from '../pipeline/scan.js'
import {VERSION} from '../pipeline/scan.js'
import type {SupplyChainStage} from '../pipeline/vet.js'
import type {Reference} from '../reference/reference.js'
import type {Occurrence} from './enumerate.js'
import type {ImageResult} from './types.js'

/** Everything besides the image that decides a recorded result; a change invalidates every reuse. */
export function checksVersion(): string {
  const files = FILE_CHECKS.map((c) => `${c.id}@${c.version}`).sort().join(',')
  return createHash('sha256').update(`${VERSION}\0${LAYER_RESULT_SCHEMA}\0${files}\0${imageCheckVersions()}`).digest('hex').slice(0, 16)
}

export function policyHash(policy: Policy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 16)
}

export function occurrenceReference(host: string, o: Occurrence, digest: string): string {
  return `${host}/${o.repository}${o.tags[0] ? `:${o.tags[0]}` : ''}@${digest}`
}

/**
 * The policy half of vetSource for an image already scanned once: scopes are chosen by repository name, so the
 * same digest in two repositories is judged twice but walked once.
 */
export async function judge(host: string, image: Image, scan: ScanResult, o: Occurrence, opts: {policy: Policy; now: Date; supplyChain?: SupplyChainStage}): Promise<ImageResult> {
  const ref: Reference = {registry: host, repository: o.repository, ...(o.tags[0] ? {tag: o.tags[0]} : {}), digest: o.topDigest}
  const requirements = requirementsFor(opts.policy, ref)
  const supply = opts.supplyChain ? await opts.supplyChain(image, requirements) : {findings: [], checked: {}}
  const configFindings = runImageChecks({config: image.config, view: scan.walk.view, requirements, now: opts.now, annotations: image.manifest.annotations})
  const verdict = evaluate({policy: opts.policy, reference: ref, findings: [...supply.findings, ...scan.findings, ...configFindings], checked: supply.checked, now: opts.now})
  const result: ImageResult = {
    reference: occurrenceReference(host, o, image.digest),
    repository: o.repository,
    tags: o.tags,
    digest: image.digest,
    platform: o.platform ?? formatPlatform(image.platform),
    verdict: verdict.pass ? 'pass' : 'fail',
    reasons: verdict.reasons.map((r) => ({id: r.id, message: r.message})),
    findings: verdict.findings,
    suppressedCount: verdict.suppressed.length,
    layers: image.layers.map((l) => l.diffId).filter((d): d is string => Boolean(d)),
    evaluatedAt: opts.now.toISOString(),
  }
  if (o.indexDigest) result.indexDigest = o.indexDigest
  return result
}
