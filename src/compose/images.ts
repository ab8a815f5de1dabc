import type {LayerCache} from '../cache/layer-cache.js'
import {openSource} from '../image/open.js'
import type {Platform} from '../image/types.js'
import {vetSource, type VetResult} from '../pipeline/vet.js'
import type {Policy} from '../policy/types.js'
import {parseReference} from '../reference/reference.js'
import type {Registries} from '../registry/client.js'
import {registrySupplyChainStage} from '../signatures/stage.js'
import type {SupplyChainOverrides} from '../signatures/supply-chain.js'

interface ImageVetOptions {
  policy: Policy
  /** Unset: every platform of an index, as `vet` checks them. */
  platform?: Platform
  signers?: SupplyChainOverrides
  cache?: LayerCache | null
  maxLayerBytes?: number
  maxTextBytes?: number
}

/**
 * `vet` for a compose `image:`: always a registry name (compose has no oci: or archive transports), judged by the
 * policy under that name, signatures checked as `vet` checks them. One layer cache serves every service.
 */
export function registryVetter(registries: Registries, opts: ImageVetOptions): (ref: string) => Promise<VetResult> {
  const supplyChain = registrySupplyChainStage(registries, opts.platform ?? {os: 'linux', architecture: 'amd64'}, opts.signers ?? {})
  return async (name) => {
    const ref = parseReference(name)
    const source = await openSource({kind: 'registry', ref}, registries)
    return vetSource(source, ref, {
      policy: opts.policy,
      platform: opts.platform,
      supplyChain,
      cache: opts.cache,
      maxLayerBytes: opts.maxLayerBytes,
      maxTextBytes: opts.maxTextBytes,
    })
  }
}
