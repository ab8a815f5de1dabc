import {createHash} from 'node:crypto'
import type {Readable} from 'node:stream'
import {ImgvetError} from '../../errors.js'
import {digestOf, verifyBytes, VerifyingStream} from '../digest.js'
import {parseConfig} from '../manifest.js'
import {MediaType, type Descriptor, type ImageSource, type RawManifest} from '../types.js'
import type {Reference} from '../../reference/reference.js'
import {localScopeReference, type FileTree} from './files.js'
import {formatReference, parseReference} from '../../reference/reference.js'

const MAX_CONFIG = 16 * 1024 * 1024

/** RepoTags are written as docker shows them (`imgvet/base:latest`); compare in normalised form. */
function normalisedTag(t: string): string {
  try {
    return formatReference(parseReference(t))
  } catch {
    return t
  }
}

interface SaveEntry {
  Config?: unknown
  RepoTags?: unknown
  Layers?: unknown
}

/**
 * A `docker save` tarball. It carries no registry manifest, so one is synthesised (Docker schema2) from its
 * manifest.json: the config as saved and each layer file as stored, with its digest hashed from the file.
 */
export class DockerArchiveSource implements ImageSource {
  readonly name: string
  readonly scopeReference: Reference
  readonly synthesisedManifest = true
  private blobs = new Map<string, {path: string; size: number}>()
  private manifest?: RawManifest

  constructor(private readonly tree: FileTree, private readonly tag: string | undefined) {
    this.name = `${tree.name}${tag ? `:${tag}` : ''}`
    this.scopeReference = localScopeReference('docker-archive', tree.name, tag)
  }

  private async build(): Promise<RawManifest> {
    if (this.manifest) return this.manifest
    const raw = await this.tree.read('manifest.json', MAX_CONFIG).catch(() => {
      throw new ImgvetError('bad-input', 'not a docker-save archive (no manifest.json)', this.tree.name)
    })
    let entries: SaveEntry[]
    try {
      const parsed = JSON.parse(raw.toString('utf8')) as unknown
      if (!Array.isArray(parsed)) throw new Error('not a list')
      entries = parsed as SaveEntry[]
    } catch (e) {
      throw new ImgvetError('bad-manifest', `manifest.json: ${(e as Error).message}`, this.tree.name)
    }
    const wanted = this.tag ? normalisedTag(this.tag) : undefined
    const entry = wanted
      ? entries.find((e) => Array.isArray(e.RepoTags) && e.RepoTags.some((t) => typeof t === 'string' && normalisedTag(t) === wanted))
      : entries.length === 1 ? entries[0] : undefined
    if (!entry) {
      throw new ImgvetError(this.tag ? 'no-such-image' : 'usage', this.tag ? `no image tagged "${this.tag}" in archive` : `archive holds ${entries.length} images; name one with docker-archive:FILE:TAG`, this.tree.name)
    }
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) {
      throw new ImgvetError('bad-manifest', 'manifest.json entry lacks Config or Layers', this.tree.name)
    }
    const configBytes = await this.tree.read(entry.Config, MAX_CONFIG)
    const config = parseConfig(configBytes, `${this.tree.name} ${entry.Config}`)
    const configDigest = digestOf(configBytes)
    this.blobs.set(configDigest, {path: entry.Config, size: configBytes.length})
    const diffIds = config.rootfs?.diff_ids ?? []
    const layers: Descriptor[] = []
    for (const [i, p] of entry.Layers.entries()) {
      if (typeof p !== 'string') throw new ImgvetError('bad-manifest', `manifest.json Layers[${i}] is not a path`, this.tree.name)
      const size = await this.tree.size(p)
      if (size === null) throw new ImgvetError('bad-input', `layer file ${p} missing from archive`, this.tree.name)
      const head = await this.peek(p)
      const gz = head[0] === 0x1f && head[1] === 0x8b
      // An uncompressed layer's digest is its diffID; a compressed one must be hashed once.
      const digest = !gz && diffIds[i] ? diffIds[i] : await this.hash(p)
      this.blobs.set(digest, {path: p, size})
      layers.push({mediaType: gz ? MediaType.dockerLayerGzip : 'application/vnd.docker.image.rootfs.diff.tar', digest, size})
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: {mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length},
      layers,
    }
    const bytes = Buffer.from(JSON.stringify(manifest))
    this.manifest = {mediaType: MediaType.dockerManifest, digest: digestOf(bytes), bytes}
    return this.manifest
  }

  private async peek(path: string): Promise<Buffer> {
    const s = this.tree.open(path)
    for await (const chunk of s) {
      s.destroy()
      return chunk as Buffer
    }
    return Buffer.alloc(0)
  }

  private async hash(path: string): Promise<string> {
    const h = createHash('sha256')
    for await (const chunk of this.tree.open(path)) h.update(chunk as Buffer)
    return `sha256:${h.digest('hex')}`
  }

  async resolve(): Promise<Descriptor> {
    const m = await this.build()
    return {mediaType: m.mediaType, digest: m.digest, size: m.bytes.length}
  }

  async fetchManifest(desc: Pick<Descriptor, 'digest'>): Promise<RawManifest> {
    const m = await this.build()
    if (desc.digest !== m.digest) throw new ImgvetError('not-found', `archive has no manifest ${desc.digest}`, this.tree.name)
    verifyBytes(m.bytes, {digest: desc.digest}, this.tree.name)
    return m
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    await this.build()
    const where = `${this.tree.name}@${desc.digest}`
    const blob = this.blobs.get(desc.digest)
    if (!blob) throw new ImgvetError('not-found', 'blob not in archive', where)
    const verify = new VerifyingStream({digest: desc.digest, size: desc.size}, where)
    const file = this.tree.open(blob.path)
    file.on('error', (e) => verify.destroy(new ImgvetError('bad-input', `reading blob failed: ${e.message}`, where)))
    return file.pipe(verify)
  }
}
