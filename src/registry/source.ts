import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import type {Descriptor, ImageSource, RawManifest, SupplyChainLocation} from '../image/types.js'
import {formatReference, type Reference} from '../reference/reference.js'
import {RegistryNotFound, type RegistryClient} from './client.js'

/** A repository in a registry, as an ImageSource. Manifests fetched while resolving are kept, not fetched twice. */
export class RegistrySource implements ImageSource {
  readonly name: string
  readonly supplyChain: SupplyChainLocation
  private readonly seen = new Map<string, RawManifest>()

  constructor(readonly client: RegistryClient, readonly ref: Reference) {
    this.name = formatReference(ref)
    this.supplyChain = {client, reference: ref}
  }

  async resolve(): Promise<Descriptor> {
    const raw = await this.client.getManifest(this.ref.repository, this.ref.digest ?? this.ref.tag ?? 'latest')
      .catch((e: unknown) => { throw noSuchImage(e, this.name) })
    this.seen.set(raw.digest, raw)
    return {mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length}
  }

  async fetchManifest(desc: Pick<Descriptor, 'digest'> & Partial<Descriptor>): Promise<RawManifest> {
    const cached = this.seen.get(desc.digest)
    const raw = cached ?? (await this.client.getManifest(this.ref.repository, desc.digest))
    if (desc.size !== undefined && raw.bytes.length !== desc.size) {
      throw new ImgvetError('integrity', `size mismatch: descriptor says ${desc.size} bytes, manifest has ${raw.bytes.length}`, `${this.name}@${desc.digest}`)
    }
    this.seen.set(raw.digest, raw)
    return raw
  }

  openBlob(desc: Descriptor): Promise<Readable> {
    return this.client.openBlob(this.ref.repository, desc)
  }
}

/** A 404 on the user's own reference is a typo (exit 2), named by what the registry says is missing. */
function noSuchImage(e: unknown, name: string): unknown {
  if (!(e instanceof RegistryNotFound)) return e
  if (e.registryCode === 'NAME_UNKNOWN') return new ImgvetError('no-such-image', 'no such repository', name)
  return new ImgvetError('no-such-image', name.includes('@') ? 'no such manifest' : 'no such tag', name)
}
