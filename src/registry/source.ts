import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import type {Descriptor, ImageSource, RawManifest, SupplyChainLocation} from '../image/types.js'
import {formatReference, type Reference} from '../reference/reference.js'
import type {RegistryClient} from './client.js'
import {RegistryNotFound} from './not-found.js'

const TAGS_SHOWN = 5

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
      .catch(async (e: unknown) => { throw await this.noSuchImage(e) })
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

  /**
   * A 404 on the user's own reference is a typo (exit 2), named by what is missing. The distribution registry says
   * MANIFEST_UNKNOWN for a repository it never held too, so on that answer its tag list (one more request, on the
   * failure path only) tells a wrong repository from a wrong tag, and shows the tags there are.
   */
  private async noSuchImage(e: unknown): Promise<unknown> {
    if (!(e instanceof RegistryNotFound)) return e
    const missing = (what: string) => new ImgvetError('no-such-image', what, this.name)
    if (e.registryCode === 'NAME_UNKNOWN') return missing('no such repository')
    let tags: string[] | undefined
    try {
      tags = await this.client.tags(this.ref.repository)
    } catch (t) {
      if (t instanceof RegistryNotFound) return missing('no such repository')
    }
    if (this.ref.digest) return missing('no such manifest')
    if (!tags) return missing('no such tag')
    const shown = tags.slice(0, TAGS_SHOWN).join(', ')
    return missing(`no such tag (${tags.length === 0 ? 'the repository has no tags' : `tags: ${shown}${tags.length > TAGS_SHOWN ? ', ...' : ''}`})`)
  }
}
