import {createHash} from 'node:crypto'
import {FILE_CHECKS} from '../checks/index.js'
import {imageCheckVersions} from '../checks/config/index.js'
import {LAYER_RESULT_SCHEMA} from '../cache/layer-cache.js'
import type {Image} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import type {Policy} from '../policy/types.js'
import type {ScanResult} from '../pipeline/scan.js'
import {VERSION} from '../pipeline/scan.js'
import {checkSupplyChain, judgeScanned, type SupplyChainStage} from '../pipeline/vet.js'
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
 * judgeScanned for an image already scanned once: scopes are chosen by repository name, so the same digest in two
 * repositories is judged twice but walked once.
 */
export async function judge(host: string, image: Image, scan: ScanResult, o: Occurrence, opts: {policy: Policy; now: Date; supplyChain?: SupplyChainStage}): Promise<ImageResult> {
  const ref: Reference = {registry: host, repository: o.repository, ...(o.tags[0] ? {tag: o.tags[0]} : {}), digest: o.topDigest}
  const supply = await checkSupplyChain(image, ref, opts.policy, opts.supplyChain)
  // An index child's findings carry its platform (and fingerprint) as in `vet` of the index.
  const platform = o.indexDigest ? (o.platform ?? formatPlatform(image.platform)) : undefined
  const {verdict} = judgeScanned(image, scan, ref, {policy: opts.policy, supply, now: opts.now, platform})
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
  if (o.supplyTags.length) result.supplyTags = o.supplyTags
  return result
}
