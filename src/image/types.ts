import type {Readable} from 'node:stream'
import type {Reference} from '../reference/reference.js'
import type {RegistryClient} from '../registry/client.js'

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const

export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList])
export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.ociManifest, MediaType.dockerManifest])
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MediaType.dockerSchema1, MediaType.dockerSchema1Signed])

/** What we send as Accept: every manifest kind, or the distribution registry hides OCI ones (and schema1 so we can refuse it by name). */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
].join(', ')

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

export interface Platform {
  os: string
  architecture: string
  variant?: string
  'os.version'?: string
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  platform?: Platform
  artifactType?: string
  urls?: string[]
}

export interface ImageManifest {
  schemaVersion: 2
  mediaType?: string
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  artifactType?: string
  manifests: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

export interface HistoryEntry {
  created?: string
  created_by?: string
  author?: string
  comment?: string
  empty_layer?: boolean
}

export interface ContainerConfig {
  User?: string
  ExposedPorts?: Record<string, object>
  Env?: string[]
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  Volumes?: Record<string, object>
  WorkingDir?: string
  Labels?: Record<string, string> | null
  StopSignal?: string
  Healthcheck?: {Test?: string[]; Interval?: number; Timeout?: number; Retries?: number}
}

export interface ImageConfig {
  architecture?: string
  os?: string
  variant?: string
  created?: string
  author?: string
  config?: ContainerConfig
  rootfs?: {type: string; diff_ids: string[]}
  history?: HistoryEntry[]
}

/** A manifest as fetched: the parsed form plus the raw bytes whose sha256 is its digest. */
export interface RawManifest {
  mediaType: string
  digest: string
  bytes: Buffer
}

/**
 * What every source (registry, OCI layout, docker-save tarball, OCI archive) implements. Everything above this
 * interface is source-agnostic.
 */
export interface ImageSource {
  /** Human-readable name of where images come from, for messages. */
  readonly name: string
  /** Resolve the source's reference (tag or digest) to the top-level manifest descriptor. */
  resolve(): Promise<Descriptor>
  /** Fetch a manifest or index by digest; bytes are verified against the digest. */
  fetchManifest(desc: Pick<Descriptor, 'digest'> & Partial<Descriptor>): Promise<RawManifest>
  /** Open a blob as a stream that fails with an integrity error if its size or digest is not `desc`'s. */
  openBlob(desc: Descriptor): Promise<Readable>
  /** Release sockets and file handles. */
  close?(): Promise<void>
  /** Throws before `n` more manifest fetches would overrun a registry's pull limit (Docker Hub); others need none. */
  requireManifestGets?(n: number): void
  /**
   * Where this source's images keep signatures and attestations (cosign tags, referrers), if they have any: only a
   * registry does. Callers ask this instead of guessing from the kind of source.
   */
  readonly supplyChain?: SupplyChainLocation
  /**
   * True when the source has no manifest of its own (a `docker save` archive): the manifest, and so the digest,
   * is one imgvet wrote. No registry knows that digest, so reports say so rather than let it pass for one.
   */
  readonly synthesisedManifest?: boolean
  /** The name policy scopes match a local image by (`oci/<dir>:<tag>`); a registry's is its reference. */
  readonly scopeReference?: Reference
}

export interface SupplyChainLocation {
  client: RegistryClient
  reference: Reference
}
