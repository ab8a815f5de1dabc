import {ImgvetError} from '../errors.js'
import {parseManifest, isAttestationManifest} from '../image/manifest.js'
import type {Readable} from 'node:stream'
import type {Descriptor, ImageIndex, RawManifest} from '../image/types.js'

/**
 * What discovering and reading signatures needs from where they are kept: a registry client has it, and so does an
 * OCI layout that holds them (`verify --offline`), which answers from its own files.
 */
export interface ReferrerStore {
  /** The registry host, or the layout's name; locations in reports start with it. */
  readonly registry: string
  /** A layout has one repository: locations leave the repository out. */
  readonly local?: boolean
  getManifest(repository: string, reference: string): Promise<RawManifest>
  headManifest(repository: string, reference: string): Promise<Descriptor | null>
  openBlob(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable>
  referrersApi(repository: string, digest: string): Promise<Descriptor[] | null>
}

export interface SupplyChain {
  /** cosign legacy signature manifest (`sha256-<hex>.sig`). */
  cosignSignatures: Descriptor | null
  /** cosign legacy attestation manifest (`sha256-<hex>.att`). */
  cosignAttestations: Descriptor | null
  /** OCI 1.1 referrers of the digest (Sigstore bundles, Notation signatures, SBOMs...). */
  referrers: Descriptor[]
  /** How referrers were found: the API, the `sha256-<hex>` tag fallback, or not at all. */
  referrersVia: 'api' | 'tag-fallback' | 'none'
  /** BuildKit attestation manifests in the image's index that point at this digest. */
  buildkitAttestations: Descriptor[]
  /** The repository the cosign tags were looked up in (COSIGN_REPOSITORY may move them). */
  signatureRepository: string
}

export function cosignTag(digest: string, suffix: 'sig' | 'att' | ''): string {
  const tag = digest.replace(':', '-')
  return suffix ? `${tag}.${suffix}` : tag
}

/**
 * Find what supply-chain material exists for an image digest without verifying any of it: cosign's legacy tags,
 * OCI referrers (API first, then the tag schema, as go-containerregistry does), and BuildKit attestations.
 */
export async function discoverSupplyChain(
  client: ReferrerStore,
  repository: string,
  digest: string,
  opts: {index?: ImageIndex; signatureRepository?: string} = {},
): Promise<SupplyChain> {
  const sigRepo = opts.signatureRepository ?? repository
  const [sig, att] = await Promise.all([
    client.headManifest(sigRepo, cosignTag(digest, 'sig')),
    client.headManifest(sigRepo, cosignTag(digest, 'att')),
  ])
  let referrers: Descriptor[] = []
  let via: SupplyChain['referrersVia'] = 'none'
  const api = await client.referrersApi(repository, digest)
  if (api) {
    referrers = api
    via = 'api'
  } else {
    try {
      const raw = await client.getManifest(repository, cosignTag(digest, ''))
      const parsed = parseManifest(raw, `${client.registry}/${repository}:${cosignTag(digest, '')}`)
      if (parsed.kind === 'index') {
        referrers = parsed.index.manifests
        via = 'tag-fallback'
      }
    } catch (e) {
      if (!(e instanceof ImgvetError && e.code === 'not-found')) throw e
    }
  }
  const buildkitAttestations = (opts.index?.manifests ?? []).filter(
    (d) => isAttestationManifest(d) && d.annotations?.['vnd.docker.reference.digest'] === digest,
  )
  return {cosignSignatures: sig, cosignAttestations: att, referrers, referrersVia: via, buildkitAttestations, signatureRepository: sigRepo}
}
