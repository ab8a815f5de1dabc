import {discoverSupplyChain, type SupplyChain} from '../registry/referrers.js'
import type {Image} from './image.js'
import {formatPlatform, isAttestationManifest} from './manifest.js'
import {resolveImage, type PlatformChoice} from './resolve.js'
import type {Descriptor, ImageSource} from './types.js'

export interface InspectResult {
  reference: string
  digest: string
  /** A docker-archive has no manifest: imgvet wrote the one `digest` hashes, so no registry knows it. */
  digestSynthesised?: boolean
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
export async function inspectImage(source: ImageSource, choice: PlatformChoice): Promise<InspectResult> {
  const {index, images} = await resolveImage(source, choice)
  const image = images[0]
  if (!image) throw new Error('unreachable: inspect selects one image')
  let supplyChain: SupplyChain | null = null
  const at = source.supplyChain
  if (at) {
    supplyChain = await discoverSupplyChain(at.client, at.reference.repository, image.digest, {index: index?.index})
    if (index) {
      // cosign signs what the user referenced: for a multi-arch image that is usually the index.
      const forIndex = await discoverSupplyChain(at.client, at.reference.repository, index.digest)
      supplyChain.cosignSignatures ??= forIndex.cosignSignatures
      supplyChain.cosignAttestations ??= forIndex.cosignAttestations
      supplyChain.referrers.push(...forIndex.referrers)
    }
  }
  const top = index ? index.raw : image.rawManifest
  const platforms = index
    ? index.index.manifests.map((d: Descriptor) => ({
      platform: formatPlatform(d.platform), digest: d.digest, mediaType: d.mediaType, attestation: isAttestationManifest(d),
    }))
    : undefined
  return {
    reference: source.name,
    digest: top.digest,
    ...(source.synthesisedManifest ? {digestSynthesised: true} : {}),
    mediaType: top.mediaType,
    index: platforms ? {platforms} : undefined,
    image: summarise(image),
    supplyChain,
  }
}
