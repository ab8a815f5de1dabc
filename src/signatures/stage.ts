import {formatPlatform} from '../image/manifest.js'
import type {Platform} from '../image/types.js'
import type {SupplyChainStage} from '../pipeline/vet.js'
import type {Registries} from '../registry/client.js'
import {checkSupplyChain, type SupplyChainOverrides} from './supply-chain.js'
import {loadTrustRoot, type TrustRoot} from './trust-root.js'

/**
 * The signature-and-provenance stage of `vet`, `rebuild` and `registry scan` for images in a registry: each image is
 * checked under the reference it is judged as, for the platform it was selected for. The trust root is loaded once.
 */
export function registrySupplyChainStage(registries: Registries, fallbackPlatform: Platform, overrides: SupplyChainOverrides = {}): SupplyChainStage {
  let trustRoot: Promise<TrustRoot> | undefined
  return async (image, requirements, ref) => {
    trustRoot ??= loadTrustRoot(overrides.trustedRoot)
    const platform = image.platform ?? fallbackPlatform
    // The digest that was scanned, when the image says it unambiguously; a reference pinned elsewhere (an index digest
    // the image was not loaded from) is resolved by that digest, which cannot move either.
    const resolved = image.index
      ? {imageDigest: image.digest, index: {digest: image.index.digest, index: image.index.index}}
      : !ref.digest || ref.digest === image.digest ? {imageDigest: image.digest} : undefined
    const r = await checkSupplyChain({reference: ref, registries, platform, requirements, overrides, trustRoot: await trustRoot, resolved})
    const notes = r.summary.verified ? [] : r.summary.reasons.map((x) => `supply chain (${formatPlatform(platform)}): ${x}`)
    return {findings: r.findings, checked: r.checked, notes}
  }
}
