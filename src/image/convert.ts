import {digestOf} from './digest.js'
import {MediaType, type Descriptor, type ImageIndex, type ImageManifest} from './types.js'

const DOCKER_TO_OCI: Record<string, string> = {
  [MediaType.dockerManifest]: MediaType.ociManifest,
  [MediaType.dockerManifestList]: MediaType.ociIndex,
  [MediaType.dockerConfig]: MediaType.ociConfig,
  [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip,
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.ociLayer,
  [MediaType.dockerForeignLayer]: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
}

function mapDesc(d: Descriptor): Descriptor {
  return {...d, mediaType: DOCKER_TO_OCI[d.mediaType] ?? d.mediaType}
}

export function needsOciConversion(mediaType: string): boolean {
  return mediaType === MediaType.dockerManifest || mediaType === MediaType.dockerManifestList
}

/**
 * Docker schema2 → OCI, as skopeo does when it writes an OCI layout: media types change, blobs do not. The
 * manifest digest therefore changes; callers report both.
 */
export function dockerManifestToOci(m: ImageManifest): {bytes: Buffer; digest: string} {
  const out: Record<string, unknown> = {schemaVersion: 2, mediaType: MediaType.ociManifest, config: mapDesc(m.config), layers: m.layers.map(mapDesc)}
  if (m.annotations) out.annotations = m.annotations
  const bytes = Buffer.from(JSON.stringify(out))
  return {bytes, digest: digestOf(bytes)}
}

export function dockerIndexToOci(index: ImageIndex, replaced: Map<string, Descriptor>): {bytes: Buffer; digest: string} {
  const out: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: index.manifests.map((d) => replaced.get(d.digest) ?? mapDesc(d)),
  }
  if (index.annotations) out.annotations = index.annotations
  const bytes = Buffer.from(JSON.stringify(out))
  return {bytes, digest: digestOf(bytes)}
}
