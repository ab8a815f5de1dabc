import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {IMAGE_MANIFEST_TYPES, INDEX_TYPES, type Descriptor, type ImageSource, type RawManifest, type SupplyChainLocation} from '../image/types.js'
import {formatReference, type Reference} from '../reference/reference.js'
import type {RegistryClient} from './client.js'
import {RegistryNotFound} from './not-found.js'

const TAGS_SHOWN = 5
const MANIFEST_TYPES = new Set([...INDEX_TYPES, ...IMAGE_MANIFEST_TYPES])
/** HEAD failures a GET would only repeat (after the same retries). */
const FINAL: ReadonlySet<string> = new Set(['rate-limited', 'registry', 'timeout', 'network'])

/** A repository in a registry, as an ImageSource. Manifests fetched while resolving are kept, not fetched twice. */
export class RegistrySource implements ImageSource {
  readonly name: string
  readonly supplyChain: SupplyChainLocation
  private readonly seen = new Map<string, RawManifest>()

  constructor(readonly client: RegistryClient, readonly ref: Reference) {
    this.name = formatReference(ref)
    this.supplyChain = {client, reference: ref}
  }

  /**
   * A tag is resolved by HEAD: free on Docker Hub (a GET counts against its pull limit) and it carries the budget
   * headers, so a run can check what it will spend before spending it; the GET by digest follows when the manifest
   * is read. A HEAD refused for a reason a GET's error body explains better (404, 401, odd answers) falls back to it.
   */
  async resolve(): Promise<Descriptor> {
    const ref = this.ref.digest ?? this.ref.tag ?? 'latest'
    if (!this.ref.digest) {
      const head = await this.client.headManifest(this.ref.repository, ref).catch((e: unknown) => {
        if (e instanceof ImgvetError && FINAL.has(e.code)) throw e
        return null
      })
      if (head && MANIFEST_TYPES.has(head.mediaType)) return head
    }
    const raw = await this.client.getManifest(this.ref.repository, ref)
      .catch(async (e: unknown) => { throw await this.noSuchImage(e) })
    this.seen.set(raw.digest, raw)
    return {mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length}
  }

  /** Stop now if the registry's pull budget cannot cover `n` more manifest GETs. */
  requireManifestGets(n: number): void {
    this.client.budget.require(n, this.name)
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
