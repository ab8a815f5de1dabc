import {formatPlatform} from '../image/manifest.js'
import type {Platform} from '../image/types.js'
import type {SupplyChainStage} from '../pipeline/vet.js'
import type {Policy, ScopeRequirements} from '../policy/types.js'
import type {Reference} from '../reference/reference.js'
import type {Registries} from '../registry/client.js'
import type {ImageSource} from '../image/types.js'
import {cosignTag} from '../registry/referrers.js'
import {localReferrerStore} from './layout-store.js'
import {signerFingerprint} from './fingerprint.js'
import {checkSupplyChain, type SupplyChainInput, type SupplyChainOverrides} from './supply-chain.js'
import {loadTrustRoot, type TrustRoot} from './trust-root.js'

/** The stage plus what a reuse key needs from it (`registry scan` keeps verdicts between runs). */
export type RegistrySupplyChainStage = SupplyChainStage & {
  /** Hash of the effective signer configuration under `policy`; see signerFingerprint. */
  fingerprint(policy: Policy): Promise<string>
  /**
   * Supply-chain material of `subjects` that the repository's tag list does not show: referrers listed by the OCI
   * referrers API, and cosign tags in a signature repository elsewhere. Sorted; a change means signatures came,
   * went or were replaced, so a verdict recorded with other material is stale.
   */
  material(ref: Reference, requirements: ScopeRequirements, subjects: readonly string[]): Promise<string[]>
}

/**
 * The signature-and-provenance stage of `vet`, `rebuild` and `registry scan` for images in a registry: each image is
 * checked under the reference it is judged as, for the platform it was selected for. The trust root is loaded once.
 */
export function registrySupplyChainStage(
  registries: Registries,
  fallbackPlatform: Platform,
  overrides: SupplyChainOverrides = {},
): RegistrySupplyChainStage {
  let trustRoot: Promise<TrustRoot> | undefined
  const root = () => (trustRoot ??= loadTrustRoot(overrides.trustedRoot))
  const stage = checkingStage(registries, fallbackPlatform, overrides, root)
  // A registry without the referrers API answers 404 for every digest (the distribution spec forbids a 404 from one
  // that has it), so one answer per registry and run is enough; its referrers are behind a fallback tag instead.
  const noReferrersApi = new Set<string>()
  const referrers = async (ref: Reference, repository: string, subject: string): Promise<string[]> => {
    if (noReferrersApi.has(ref.registry)) return []
    const listed = await registries.get(ref.registry).referrersApi(repository, subject)
    if (listed === null) noReferrersApi.add(ref.registry)
    return (listed ?? []).map((d) => `referrer ${repository} ${subject} ${d.digest}`)
  }
  const material = async (ref: Reference, requirements: ScopeRequirements, subjects: readonly string[]) => {
    const client = registries.get(ref.registry)
    const sigRepo = overrides.signatureRepository ?? requirements.signatures?.repository ?? ref.repository
    const out: string[] = []
    for (const subject of subjects) {
      out.push(...(await referrers(ref, ref.repository, subject)))
      if (sigRepo === ref.repository) continue
      out.push(...(await referrers(ref, sigRepo, subject)))
      for (const tag of [cosignTag(subject, 'sig'), cosignTag(subject, 'att'), cosignTag(subject, '')]) {
        out.push(`tag ${sigRepo}:${tag}@${(await client.headManifest(sigRepo, tag))?.digest ?? 'none'}`)
      }
    }
    return out.sort()
  }
  return Object.assign(stage, {
    fingerprint: async (policy: Policy) => signerFingerprint(policy, overrides, await root()),
    material,
  })
}

/**
 * The same stage for a local image (oci:, oci-archive:, docker-archive:): signatures and attestations are read from
 * the image's own files (what skopeo copy, cosign save and oras store in a layout), never from a registry, so
 * `vet oci:DIR` verifies what `verify oci:DIR` verifies. An archive stores none: a signature it requires fails.
 */
export function localSupplyChainStage(
  source: ImageSource,
  label: string,
  registries: Registries,
  fallbackPlatform: Platform,
  overrides: SupplyChainOverrides = {},
): SupplyChainStage {
  let trustRoot: Promise<TrustRoot> | undefined
  const root = () => (trustRoot ??= loadTrustRoot(overrides.trustedRoot))
  return checkingStage(registries, fallbackPlatform, overrides, root, {source, store: localReferrerStore(source, label)})
}

/**
 * Each image checked under the reference it is judged as, for the platform it was selected for; `local`: its
 * signatures are read from the local image's own files.
 */
function checkingStage(
  registries: Registries,
  fallbackPlatform: Platform,
  overrides: SupplyChainOverrides,
  root: () => Promise<TrustRoot>,
  local?: SupplyChainInput['local'],
): SupplyChainStage {
  return async (image, requirements, ref) => {
    const platform = image.platform ?? fallbackPlatform
    // The digest that was scanned, when the image says it unambiguously; a reference pinned elsewhere (an index digest
    // the image was not loaded from) is resolved by that digest, which cannot move either. A local image has only
    // what was scanned.
    const resolved = image.index
      ? {imageDigest: image.digest, index: {digest: image.index.digest, index: image.index.index}}
      : local || !ref.digest || ref.digest === image.digest ? {imageDigest: image.digest} : undefined
    const trustRoot = await root()
    const r = await checkSupplyChain({reference: ref, registries, platform, requirements, overrides, trustRoot, resolved, local})
    const notes = r.summary.verified ? [] : r.summary.reasons.map((x) => `supply chain (${formatPlatform(platform)}): ${x}`)
    return {findings: r.findings, checked: r.checked, notes}
  }
}
