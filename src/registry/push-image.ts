import {mapLimit} from '../concurrency.js'
import {parseManifest} from '../image/manifest.js'
import type {Descriptor, ImageSource, RawManifest} from '../image/types.js'
import type {RegistryClient} from './client.js'
import {pushBlob, putManifest, type BlobOutcome} from './push.js'

interface PushedImage {
  digest: string
  mediaType: string
  blobs: Record<BlobOutcome, number>
  bytesSent: number
}

/**
 * Push what a source holds (an OCI layout, an archive, another registry) to `repository:tag`, bytes as they are:
 * blobs first, each manifest by digest after the ones it lists, the tag last, so the tag never names a manifest
 * the registry could not serve.
 */
export async function pushImage(source: ImageSource, client: RegistryClient, repository: string, tag: string,
  jobs = 4): Promise<PushedImage> {
  const top = await source.resolve()
  const out: PushedImage = {digest: top.digest, mediaType: top.mediaType, blobs: {present: 0, mounted: 0, uploaded: 0},
    bytesSent: 0}
  const order: RawManifest[] = []
  const blobs = new Map<string, Descriptor>()
  const visit = async (desc: Descriptor): Promise<RawManifest> => {
    const raw = await source.fetchManifest(desc)
    const parsed = parseManifest(raw, `${source.name}@${raw.digest}`)
    if (parsed.kind === 'index') for (const child of parsed.index.manifests) await visit(child)
    else {
      for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) if (!d.urls?.length) blobs.set(d.digest, d)
    }
    if (!order.some((m) => m.digest === raw.digest)) order.push(raw)
    return raw
  }
  const root = await visit(top)
  await mapLimit([...blobs.values()], jobs, async (d) => {
    const outcome = await pushBlob(client, repository, d, {open: () => source.openBlob(d)})
    out.blobs[outcome]++
    if (outcome === 'uploaded') out.bytesSent += d.size
  })
  for (const m of order) await putManifest(client, repository, m.digest, m)
  await putManifest(client, repository, tag, root)
  return out
}
