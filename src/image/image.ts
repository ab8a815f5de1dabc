import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {readBounded} from './bounded.js'
import {isFilesystemLayer, parseConfig, parseManifest} from './manifest.js'
import type {Descriptor, ImageConfig, ImageIndex, ImageManifest, ImageSource, Platform, RawManifest} from './types.js'

const MAX_CONFIG_BYTES = 16 * 1024 * 1024

export interface Layer {
  index: number
  descriptor: Descriptor
  /** sha256 of the uncompressed tar, from config.rootfs.diff_ids; null for non-filesystem blobs. */
  diffId: string | null
  /** A fresh verified stream of the stored (compressed) bytes. */
  open(): Promise<Readable>
}

export interface Image {
  /** What the user asked for, as they wrote it (normalised). */
  name: string
  source: ImageSource
  /** Digest of the image manifest (not the index). */
  digest: string
  manifest: ImageManifest
  rawManifest: RawManifest
  config: ImageConfig
  rawConfig: Buffer
  layers: Layer[]
  platform?: Platform
  /** The index the image was selected from, if any. */
  index?: {digest: string; index: ImageIndex; raw: RawManifest}
}

export type Resolved = {kind: 'index'; descriptor: Descriptor; raw: RawManifest; index: ImageIndex} | {kind: 'image'; descriptor: Descriptor; raw: RawManifest; manifest: ImageManifest}

/** Resolve the source's reference to its top-level manifest or index, parsed. */
export async function resolveTop(source: ImageSource, beforeFetch?: (d: Descriptor) => void): Promise<Resolved> {
  const descriptor = await source.resolve()
  beforeFetch?.(descriptor)
  const raw = await source.fetchManifest(descriptor)
  const parsed = parseManifest(raw, `${source.name}@${raw.digest}`)
  return parsed.kind === 'index'
    ? {kind: 'index', descriptor, raw, index: parsed.index}
    : {kind: 'image', descriptor, raw, manifest: parsed.manifest}
}

async function readBlob(source: ImageSource, desc: Descriptor, limit: number): Promise<Buffer> {
  if (desc.size > limit) throw new ImgvetError('too-large', `blob of ${desc.size} bytes exceeds ${limit}`, `${source.name}@${desc.digest}`)
  return readBounded(await source.openBlob(desc), limit, `${source.name}@${desc.digest}`)
}

export async function imageFromManifest(source: ImageSource, manifest: ImageManifest, rawManifest: RawManifest, index?: Image['index']): Promise<Image> {
  const where = `${source.name}@${rawManifest.digest}`
  const rawConfig = await readBlob(source, manifest.config, MAX_CONFIG_BYTES)
  const config = parseConfig(rawConfig, `${where} config`)
  const fsLayers = manifest.layers.filter(isFilesystemLayer)
  const diffIds = config.rootfs?.diff_ids ?? []
  if (config.rootfs && diffIds.length !== fsLayers.length) {
    throw new ImgvetError('bad-manifest', `config lists ${diffIds.length} diff_ids for ${fsLayers.length} layers`, where)
  }
  let fsIndex = 0
  const layers: Layer[] = manifest.layers.map((descriptor, i) => ({
    index: i,
    descriptor,
    diffId: isFilesystemLayer(descriptor) ? (diffIds[fsIndex++] ?? null) : null,
    open: () => source.openBlob(descriptor),
  }))
  const platform = config.os && config.architecture ? {os: config.os, architecture: config.architecture, ...(config.variant ? {variant: config.variant} : {})} : undefined
  return {name: source.name, source, digest: rawManifest.digest, manifest, rawManifest, config, rawConfig, layers, platform, index}
}
