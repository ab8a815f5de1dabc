import {mapLimit} from '../concurrency.js'
import {LayoutWriter} from './layout-writer.js'
import {resolveTop} from './image.js'
import {fetchChildManifest, indexModel, resolveImage} from './resolve.js'
import {dockerIndexToOci, dockerManifestToOci, needsOciConversion} from './convert.js'
import {INDEX_TYPES, type Descriptor, type ImageSource, type Platform} from './types.js'

export interface PullResult {
  reference: string
  /** Digest written to index.json: the image manifest, or the index with --all-platforms. */
  digest: string
  /** The digest at the source when the layout got an OCI conversion of a Docker manifest. */
  sourceDigest: string
  mediaType: string
  blobs: number
  blobsSkipped: number
  bytes: number
  seconds: number
}

interface PullOptions {
  /** Which image of an index (ignored with allPlatforms). */
  platform: Platform
  /** The user named the platform: a single-platform image must then match it. */
  platformNamed?: boolean
  allPlatforms?: boolean
  tag?: string
  concurrency?: number
  onProgress?: (done: number, total: number) => void
  /** Aborting drops the partial data at once (synchronously, so a signal handler may exit right after). */
  signal?: AbortSignal
}

/** Copy an image (or a whole index) into an OCI layout, every blob verified before it is kept. */
export async function pullToLayout(source: ImageSource, dir: string, opts: PullOptions): Promise<PullResult> {
  const writer = new LayoutWriter(dir)
  await writer.init()
  const discard = () => writer.discardSync()
  opts.signal?.addEventListener('abort', discard, {once: true})
  try {
    return await copyInto(source, writer, opts)
  } finally {
    opts.signal?.removeEventListener('abort', discard)
    writer.discardSync()
  }
}

async function copyInto(source: ImageSource, writer: LayoutWriter, opts: PullOptions): Promise<PullResult> {
  const started = Date.now()
  const manifests: Array<{digest: string; bytes: Buffer}> = []
  const blobs = new Map<string, Descriptor>()
  const fromMemory = {blobs: 0, skipped: 0, bytes: 0}
  let rootDesc: Descriptor
  let sourceDigest: string
  // skopeo (containers/image) only reads OCI media types from a layout: Docker manifests are converted as it does.
  // The pull budget is checked before each round of manifest GETs: an index costs itself and at least one image.
  const top = await resolveTop(source, (d) => source.requireManifestGets?.(INDEX_TYPES.has(d.mediaType) ? 2 : 1))
  if (top.kind === 'index') source.requireManifestGets?.(opts.allPlatforms ? top.index.manifests.length : 1)
  if (top.kind === 'index' && opts.allPlatforms) {
    const model = indexModel(top.raw, top.index)
    const replaced = new Map<string, Descriptor>()
    // Every entry is copied, attestation manifests included: the layout keeps the index's digest and meaning.
    for (const d of model.index.manifests) {
      const {manifest, raw} = await fetchChildManifest(source, d)
      if (needsOciConversion(raw.mediaType)) {
        const conv = dockerManifestToOci(manifest)
        manifests.push(conv)
        replaced.set(d.digest, {...d, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: conv.digest, size: conv.bytes.length})
      } else manifests.push({digest: raw.digest, bytes: raw.bytes})
      for (const b of [manifest.config, ...manifest.layers]) blobs.set(b.digest, b)
    }
    const root = needsOciConversion(model.raw.mediaType)
      ? dockerIndexToOci(model.index, replaced)
      : {digest: model.digest, bytes: model.raw.bytes}
    manifests.push(root)
    sourceDigest = model.digest
    rootDesc = {mediaType: 'application/vnd.oci.image.index.v1+json', digest: root.digest, size: root.bytes.length}
  } else {
    const choice = opts.platformNamed ? {platform: opts.platform} : {fallback: opts.platform}
    const [image] = (await resolveImage(source, choice, top)).images
    if (!image) throw new Error('unreachable: a platform choice for pull selects one image')
    const written = needsOciConversion(image.rawManifest.mediaType) ? dockerManifestToOci(image.manifest) : {digest: image.digest, bytes: image.rawManifest.bytes}
    manifests.push(written)
    // The config was read (and verified) to check the platform: written from memory, not fetched twice.
    const config = image.manifest.config
    if (writer.has(config)) fromMemory.skipped++
    else await writer.writeBytes(config.digest, image.rawConfig)
    fromMemory.blobs++
    fromMemory.bytes += config.size
    for (const b of image.manifest.layers) blobs.set(b.digest, b)
    sourceDigest = image.digest
    rootDesc = {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: written.digest, size: written.bytes.length}
    if (image.platform) rootDesc.platform = image.platform
  }
  const list = [...blobs.values()].filter((b) => !b.urls?.length)
  const total = list.reduce((n, b) => n + b.size, fromMemory.bytes)
  let done = fromMemory.bytes
  let skipped = fromMemory.skipped
  await mapLimit(list, opts.concurrency ?? 4, async (b) => {
    const wrote = await writer.copyBlob(source, b, (n) => {
      done += n
      opts.onProgress?.(done, total)
    })
    if (!wrote) {
      skipped++
      done += b.size
      opts.onProgress?.(done, total)
    }
  })
  // Manifests last: a layout never points at blobs it does not have.
  for (const m of manifests) await writer.writeBytes(m.digest, m.bytes)
  await writer.addToIndex(rootDesc, opts.tag)
  return {
    reference: source.name,
    digest: rootDesc.digest,
    sourceDigest,
    mediaType: rootDesc.mediaType,
    blobs: list.length + fromMemory.blobs,
    blobsSkipped: skipped,
    bytes: total,
    seconds: (Date.now() - started) / 1000,
  }
}
