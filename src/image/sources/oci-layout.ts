import type {Readable} from 'node:stream'
import {ImgvetError} from '../../errors.js'
import {parseDigest, verifyBytes, VerifyingStream} from '../digest.js'
import {parseDescriptor} from '../manifest.js'
import {MAX_MANIFEST_BYTES, type Descriptor, type ImageSource, type RawManifest} from '../types.js'
import type {Reference} from '../../reference/reference.js'
import {localScopeReference, type FileTree} from './files.js'

const REF_NAME = 'org.opencontainers.image.ref.name'
const COSIGN_KIND = 'kind'
const COSIGN_MATERIAL = new Set(['dev.cosignproject.cosign/sigs', 'dev.cosignproject.cosign/atts',
  'dev.cosignproject.cosign/sboms'])

/** An entry's tag: skopeo stores the bare tag, cosign save the whole reference (`host/repo:tag`). */
export function refTag(d: Descriptor): string | undefined {
  const name = d.annotations?.[REF_NAME]
  if (name === undefined) return undefined
  const slash = name.lastIndexOf('/')
  const colon = name.lastIndexOf(':')
  return colon > slash && slash >= 0 ? name.slice(colon + 1) : name
}

function isSupplyChainEntry(d: Descriptor): boolean {
  if (COSIGN_MATERIAL.has(d.annotations?.[COSIGN_KIND] ?? '')) return true
  if (d.artifactType) return true
  return /^sha256-[0-9a-f]{64}(\.[a-z]+)?$/.test(refTag(d) ?? '')
}

/** An OCI image layout (a directory for `oci:`, an uncompressed tar for `oci-archive:`). */
export class OciLayoutSource implements ImageSource {
  readonly name: string
  readonly scopeReference: Reference

  constructor(private readonly tree: FileTree, private readonly tag: string | undefined) {
    this.name = `${tree.name}${tag ? `:${tag}` : ''}`
    this.scopeReference = localScopeReference('oci', tree.name, tag)
  }

  /** The descriptors index.json lists (images, indexes, and whatever else a tool stored there: signatures, referrers). */
  async entries(): Promise<Descriptor[]> {
    const layout = await this.tree.read('oci-layout', 64 * 1024).catch(() => {
      throw new ImgvetError('bad-input', 'not an OCI image layout (no oci-layout file)', this.tree.name)
    })
    try {
      const v = (JSON.parse(layout.toString('utf8')) as {imageLayoutVersion?: unknown}).imageLayoutVersion
      if (typeof v !== 'string' || !v.startsWith('1.')) throw new Error(`imageLayoutVersion ${String(v)}`)
    } catch (e) {
      throw new ImgvetError('bad-input', `unsupported oci-layout file: ${(e as Error).message}`, this.tree.name)
    }
    const raw = await this.tree.read('index.json', MAX_MANIFEST_BYTES)
    let json: unknown
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch (e) {
      throw new ImgvetError('bad-manifest', `index.json is not JSON: ${(e as Error).message}`, this.tree.name)
    }
    const manifests = (json as {manifests?: unknown}).manifests
    if (!Array.isArray(manifests)) throw new ImgvetError('bad-manifest', 'index.json has no manifests', this.tree.name)
    return manifests.map((m, i) => parseDescriptor(m, `index.json manifests[${i}]`, this.tree.name))
  }

  async resolve(): Promise<Descriptor> {
    const descs = await this.entries()
    if (this.tag) {
      const hit = descs.find((d) => d.annotations?.[REF_NAME] === this.tag)
        ?? descs.find((d) => refTag(d) === this.tag)
      if (!hit) {
        const tags = descs.map((d) => d.annotations?.[REF_NAME]).filter(Boolean).join(', ') || 'none'
        throw new ImgvetError('no-such-image', `no image tagged "${this.tag}" in layout (tags: ${tags})`, this.tree.name)
      }
      return hit
    }
    // Signatures and referrers stored beside the image (skopeo, cosign save, oras) are not images to choose from.
    const images = descs.filter((d) => !isSupplyChainEntry(d))
    const choices = images.length > 0 ? images : descs
    const [only, ...rest] = choices
    if (!only) throw new ImgvetError('not-found', 'layout holds no image', this.tree.name)
    if (rest.length > 0) {
      const tags = choices.map((d) => d.annotations?.[REF_NAME] ?? d.digest.slice(0, 19)).join(', ')
      throw new ImgvetError('usage', `layout holds ${choices.length} images; name one with oci:DIR:TAG (${tags})`, this.tree.name)
    }
    return only
  }

  private blobPath(digest: string): string {
    const {algorithm, hex} = parseDigest(digest, this.tree.name)
    return `blobs/${algorithm}/${hex}`
  }

  async fetchManifest(desc: Pick<Descriptor, 'digest'> & Partial<Descriptor>): Promise<RawManifest> {
    const where = `${this.tree.name}@${desc.digest}`
    const bytes = await this.tree.read(this.blobPath(desc.digest), MAX_MANIFEST_BYTES)
    verifyBytes(bytes, {digest: desc.digest, size: desc.size}, where)
    let mediaType = desc.mediaType
    if (!mediaType) {
      try {
        mediaType = (JSON.parse(bytes.toString('utf8')) as {mediaType?: string}).mediaType
      } catch {
        // parseManifest reports it
      }
    }
    return {mediaType: mediaType ?? 'application/vnd.oci.image.manifest.v1+json', digest: desc.digest, bytes}
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const where = `${this.tree.name}@${desc.digest}`
    const path = this.blobPath(desc.digest)
    const size = await this.tree.size(path)
    if (size === null) throw new ImgvetError('not-found', 'blob missing from layout', where)
    if (size !== desc.size) throw new ImgvetError('integrity', `size mismatch: descriptor says ${desc.size} bytes, file has ${size}`, where)
    const verify = new VerifyingStream({digest: desc.digest, size: desc.size}, where)
    const file = this.tree.open(path)
    file.on('error', (e) => verify.destroy(new ImgvetError('bad-input', `reading blob failed: ${e.message}`, where)))
    return file.pipe(verify)
  }
}
