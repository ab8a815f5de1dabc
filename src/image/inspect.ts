import type {RegistryClient} from '../registry/client.js'
import {discoverSupplyChain, type SupplyChain} from '../registry/referrers.js'
import {RegistrySource} from '../registry/source.js'
import {loadImage, resolveTop, type Image} from './image.js'
import {formatPlatform, isAttestationManifest} from './manifest.js'
import type {Descriptor, ImageSource, Platform} from './types.js'

export interface InspectResult {
  reference: string
  digest: string
  mediaType: string
  /** Set when the reference names an index. */
  index?: {platforms: Array<{platform: string; digest: string; mediaType: string; attestation: boolean}>}
  image: {
    digest: string
    mediaType: string
    platform: string
    created?: string
    user: string
    exposedPorts: string[]
    envNames: string[]
    entrypoint: string[] | null
    cmd: string[] | null
    labels: Record<string, string>
    history: Array<{created?: string; createdBy?: string; emptyLayer: boolean}>
    layers: Array<{digest: string; size: number; mediaType: string; diffId: string | null}>
    totalSize: number
  }
  supplyChain: SupplyChain | null
}

function summarise(image: Image): InspectResult['image'] {
  const c = image.config.config ?? {}
  return {
    digest: image.digest,
    mediaType: image.rawManifest.mediaType,
    platform: formatPlatform(image.platform),
    created: image.config.created,
    user: c.User ?? '',
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
    // Names only: values may be secrets, and inspect is not the place to judge them.
    envNames: (c.Env ?? []).map((e) => e.split('=')[0] ?? '').filter(Boolean),
    entrypoint: c.Entrypoint ?? null,
    cmd: c.Cmd ?? null,
    labels: c.Labels ?? {},
    history: (image.config.history ?? []).map((h) => ({created: h.created, createdBy: h.created_by, emptyLayer: Boolean(h.empty_layer)})),
    layers: image.layers.map((l) => ({digest: l.descriptor.digest, size: l.descriptor.size, mediaType: l.descriptor.mediaType, diffId: l.diffId})),
    totalSize: image.layers.reduce((n, l) => n + l.descriptor.size, 0),
  }
}

/** Everything `inspect` shows: no layer is downloaded, only manifests, the config and supply-chain lookups. */
export async function inspectImage(source: ImageSource, platform: Platform): Promise<InspectResult> {
  const top = await resolveTop(source)
  const image = await loadImage(source, platform, top)
  let supplyChain: SupplyChain | null = null
  if (source instanceof RegistrySource) {
    const client: RegistryClient = source.client
    const indexDigest = top.kind === 'index' ? top.raw.digest : undefined
    supplyChain = await discoverSupplyChain(client, source.ref.repository, image.digest, {index: top.kind === 'index' ? top.index : undefined})
    if (indexDigest) {
      // cosign signs what the user referenced: for a multi-arch image that is usually the index.
      const forIndex = await discoverSupplyChain(client, source.ref.repository, indexDigest)
      supplyChain.cosignSignatures ??= forIndex.cosignSignatures
      supplyChain.cosignAttestations ??= forIndex.cosignAttestations
      supplyChain.referrers.push(...forIndex.referrers)
    }
  }
  const platforms = top.kind === 'index'
    ? top.index.manifests.map((d: Descriptor) => ({platform: formatPlatform(d.platform), digest: d.digest, mediaType: d.mediaType, attestation: isAttestationManifest(d)}))
    : undefined
  return {
    reference: source.name,
    digest: top.raw.digest,
    mediaType: top.raw.mediaType,
    index: platforms ? {platforms} : undefined,
    image: summarise(image),
    supplyChain,
  }
}
