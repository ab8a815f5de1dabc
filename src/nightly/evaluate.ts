import {createHash} from 'node:crypto'
import {canonicalJson, sha256Hex} from '../canonical.js'
import {FILE_CHECKS} from '../checks/index.js'
import {imageCheckVersions} from '../checks/config/index.js'
import {LAYER_RESULT_SCHEMA} from '../cache/layer-cache.js'
import type {Image} from '../image/image.js'
import {formatPlatform} from '../image/manifest.js'
import {requirementsFor} from '../policy/evaluate.js'
import type {Policy} from '../policy/types.js'
import type {ScanResult} from '../pipeline/scan.js'
import {VERSION} from '../pipeline/scan.js'
import {checkSupplyChain, judgeScanned, type SupplyChainStage} from '../pipeline/vet.js'
import type {Reference} from '../reference/reference.js'
import type {RegistrySupplyChainStage} from '../signatures/stage.js'
import type {Occurrence} from './enumerate.js'
import type {ImageResult} from './types.js'

/** Everything besides the image that decides a recorded result; a change invalidates every reuse. */
export function checksVersion(): string {
  const files = FILE_CHECKS.map((c) => `${c.id}@${c.version}`).sort().join(',')
  return createHash('sha256').update(`${VERSION}\0${LAYER_RESULT_SCHEMA}\0${files}\0${imageCheckVersions()}`).digest('hex').slice(0, 16)
}

/**
 * The policy's meaning: every scope, pattern, requirement and allowlist entry, in canonical form. Where it was read
 * from, line numbers, names and descriptions never change a verdict, so moving the file or adding a comment keeps
 * recorded verdicts. Key and trust-store paths are left out too: the supply-chain stage's fingerprint holds those
 * files by content (and nothing reads them when signatures are off).
 */
export function policyHash(policy: Policy): string {
  const scopes = policy.scopes.map(({line: _line, description: _d, ...scope}) => ({
    ...scope,
    allow: scope.allow?.map(({line: _l, ...entry}) => entry),
    signatures: scope.signatures && {
      ...scope.signatures,
      keys: undefined,
      notation: scope.signatures.notation && {...scope.signatures.notation, trustStore: undefined},
    },
  }))
  return sha256Hex(canonicalJson({scopes})).slice(0, 16)
}

/** What the signature stage adds to the reuse key; without a stage signatures are off, which is a verdict too. */
export async function signersHash(policy: Policy, stage: RegistrySupplyChainStage | undefined): Promise<string> {
  return stage ? stage.fingerprint(policy) : 'signatures-off'
}

export function occurrenceReference(host: string, o: Occurrence, digest: string): string {
  return `${host}/${o.repository}${o.tags[0] ? `:${o.tags[0]}` : ''}@${digest}`
}

function judgedAs(host: string, o: Occurrence): Reference {
  return {registry: host, repository: o.repository, ...(o.tags[0] ? {tag: o.tags[0]} : {}), digest: o.topDigest}
}

/** The stage's view of what signs this occurrence beyond its tag list (see RegistrySupplyChainStage.material). */
export async function supplyMaterial(
  host: string,
  o: Occurrence,
  digest: string,
  policy: Policy,
  stage: RegistrySupplyChainStage | undefined,
): Promise<string[]> {
  if (!stage) return []
  const ref = judgedAs(host, o)
  return stage.material(ref, requirementsFor(policy, ref), o.indexDigest ? [digest, o.indexDigest] : [digest])
}

/**
 * judgeScanned for an image already scanned once: scopes are chosen by repository name, so the same digest in two
 * repositories is judged twice but walked once.
 */
export async function judge(host: string, image: Image, scan: ScanResult, o: Occurrence, opts: {policy: Policy; now: Date; supplyChain?: SupplyChainStage}): Promise<ImageResult> {
  const ref = judgedAs(host, o)
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
