import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {parseManifest} from '../image/manifest.js'
import {OciLayoutSource, refTag} from '../image/sources/oci-layout.js'
import type {Descriptor, ImageSource, RawManifest} from '../image/types.js'
import {cosignTag, type ReferrerStore} from '../registry/referrers.js'
import {parseTransport} from '../reference/transport.js'

// A layout is as hostile as a registry: a real one lists a handful of entries.
const MAX_ENTRIES = 10_000
const KIND = 'kind'
const COSIGN_IMAGES = new Set(['dev.cosignproject.cosign/image', 'dev.cosignproject.cosign/imageIndex'])
const COSIGN_SUFFIX: Record<string, string> = {sig: 'dev.cosignproject.cosign/sigs', att: 'dev.cosignproject.cosign/atts'}

/**
 * Signatures kept in an OCI layout, answered from its files as a registry would answer: a tag is an index.json
 * entry's ref name (skopeo writes `sha256-<hex>.sig`, cosign save `host/repo:sha256-<hex>.sig`, cosign save before
 * v2 only a `kind` annotation), and the referrers of a digest are the listed manifests whose `subject` names it (as
 * oras stores them), else the `sha256-<hex>` fallback tag. Every manifest is checked against its digest on read.
 */
class LayoutReferrerStore implements ReferrerStore {
  readonly local = true
  private listed?: Promise<Descriptor[]>
  private bySubject?: Promise<Map<string, Descriptor[]>>

  constructor(readonly registry: string, private readonly layout: OciLayoutSource) {}

  private entries(): Promise<Descriptor[]> {
    this.listed ??= this.layout.entries().then((e) => {
      if (e.length > MAX_ENTRIES) {
        throw new ImgvetError('too-large', `index.json lists more than ${MAX_ENTRIES} manifests`, this.registry)
      }
      return e
    })
    return this.listed
  }

  private async byTag(tag: string): Promise<Descriptor | undefined> {
    const entries = await this.entries()
    const named = entries.find((d) => refTag(d) === tag)
    if (named) return named
    // Old cosign save: one image and its signatures told apart by `kind` alone; the tag is derived from the image.
    const images = entries.filter((d) => COSIGN_IMAGES.has(d.annotations?.[KIND] ?? ''))
    const [image] = images
    if (!image || images.length > 1) return undefined
    const suffix = tag.slice(cosignTag(image.digest, '').length + 1)
    const kind = tag.startsWith(`${cosignTag(image.digest, '')}.`) ? COSIGN_SUFFIX[suffix] : undefined
    return kind ? entries.find((d) => d.annotations?.[KIND] === kind && refTag(d) === undefined) : undefined
  }

  async getManifest(_repository: string, reference: string): Promise<RawManifest> {
    const desc = reference.startsWith('sha256:') ? {digest: reference} : await this.byTag(reference)
    if (!desc) throw new ImgvetError('not-found', `no manifest tagged ${reference} in the layout`, this.registry)
    return this.layout.fetchManifest(desc)
  }

  async headManifest(repository: string, reference: string): Promise<Descriptor | null> {
    if (!reference.startsWith('sha256:')) return (await this.byTag(reference)) ?? null
    try {
      const raw = await this.getManifest(repository, reference)
      return {mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length}
    } catch (e) {
      if (e instanceof ImgvetError && e.code === 'not-found') return null
      throw e
    }
  }

  openBlob(_repository: string, desc: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    return this.layout.openBlob({mediaType: 'application/octet-stream', ...desc})
  }

  /** No API in a layout: the listed manifests that name `digest` as subject, or null to try the fallback tag. */
  async referrersApi(_repository: string, digest: string): Promise<Descriptor[] | null> {
    this.bySubject ??= this.subjects()
    return (await this.bySubject).get(digest) ?? null
  }

  private async subjects(): Promise<Map<string, Descriptor[]>> {
    const out = new Map<string, Descriptor[]>()
    for (const entry of await this.entries()) {
      const raw = await this.layout.fetchManifest(entry)
      let parsed
      try {
        parsed = parseManifest(raw, `${this.registry}@${raw.digest}`)
      } catch (e) {
        // Not a manifest we can read is not a referrer; verification never counts it.
        if (e instanceof ImgvetError && (e.code === 'bad-manifest' || e.code === 'unsupported')) continue
        throw e
      }
      const body = parsed.kind === 'index' ? parsed.index : parsed.manifest
      const subject = body.subject?.digest
      if (!subject) continue
      const artifactType = body.artifactType ?? (parsed.kind === 'image' ? parsed.manifest.config.mediaType : undefined)
      const desc: Descriptor = {mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length, artifactType,
        ...(body.annotations ? {annotations: body.annotations} : {})}
      out.set(subject, [...(out.get(subject) ?? []), desc])
    }
    return out
  }
}

/** A `docker save` archive has nowhere to keep a signature: every lookup finds nothing, and the report says where. */
class NoReferrerStore implements ReferrerStore {
  readonly local = true
  constructor(readonly registry: string) {}
  async getManifest(_repository: string, reference: string): Promise<RawManifest> {
    throw new ImgvetError('not-found', `a docker-archive holds no manifest ${reference}`, this.registry)
  }
  async headManifest(): Promise<Descriptor | null> {
    return null
  }
  async openBlob(_repository: string, desc: Pick<Descriptor, 'digest'>): Promise<Readable> {
    throw new ImgvetError('not-found', `a docker-archive holds no signature blob ${desc.digest}`, this.registry)
  }
  async referrersApi(): Promise<Descriptor[] | null> {
    return null
  }
}

/** Where a local source keeps its signatures: an OCI layout (or archive) in its files, a docker-archive nowhere. */
export function localReferrerStore(source: ImageSource, label: string): ReferrerStore {
  return source instanceof OciLayoutSource ? new LayoutReferrerStore(label, source) : new NoReferrerStore(label)
}

/** A local source as reports name where its signatures were looked for: the transport and path, without the tag. */
export function localSourceLabel(input: string): string {
  const t = parseTransport(input)
  return t.kind === 'registry' ? input : `${t.kind}:${t.path}`
}
