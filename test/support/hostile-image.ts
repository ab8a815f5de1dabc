import {createHash} from 'node:crypto'
import {existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync, createGzip} from 'node:zlib'
import {pack, type Header} from 'tar-stream'
import {testTmpRoot} from './tmp.js'

/** Hand-made images for the hostile registry: small, deterministic and independent of buildah. */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

export interface TestBlob {
  mediaType: string
  digest: string
  size: number
  data: Buffer
}

export interface TestImage {
  manifest: Buffer
  manifestDigest: string
  manifestMediaType: string
  config: TestBlob
  layers: TestBlob[]
  diffIds: string[]
  /** every blob by digest, config included */
  blobs: Map<string, Buffer>
}

export function blob(mediaType: string, data: Buffer): TestBlob {
  return {mediaType, digest: sha256(data), size: data.length, data}
}

/** A tar built with tar-stream, entries in the given order; a name ending in `/` is a directory. */
export async function makeTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  return makeTarItems(Object.entries(files).map(([name, content]) => ({name, content})))
}

/** One tar member; entries are written in array order so tests control ordering (whiteout before/after). */
export interface TarItem {
  name: string
  type?: Header['type']
  content?: string | Buffer
  linkname?: string
  mode?: number
}

export async function makeTarItems(items: readonly TarItem[]): Promise<Buffer> {
  const p = pack()
  const chunks: Buffer[] = []
  p.on('data', (d: unknown) => chunks.push(d as Buffer))
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve())
    p.on('error', reject)
  })
  for (const it of items) {
    const type = it.type ?? (it.name.endsWith('/') ? 'directory' : 'file')
    const header: Partial<Header> & {name: string} = {name: it.name, type, mode: it.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(0)}
    if (it.linkname !== undefined) header.linkname = it.linkname
    if (type === 'file') p.entry(header, typeof it.content === 'string' ? Buffer.from(it.content) : it.content ?? Buffer.alloc(0))
    else p.entry(header)
  }
  p.finalize()
  await done
  return Buffer.concat(chunks)
}

export function imageFromLayers(layers: {blob: TestBlob; diffId: string}[], opts: {config?: Record<string, unknown>; annotations?: Record<string, string>} = {}): TestImage {
  const configJson = {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: {User: '1000', Cmd: ['/bin/sh']},
    rootfs: {type: 'layers', diff_ids: layers.map((l) => l.diffId)},
    history: layers.map((_, i) => ({created: '2024-01-01T00:00:00Z', created_by: `hostile layer ${i}`})),
    ...opts.config,
  }
  const config = blob(OCI_CONFIG, Buffer.from(JSON.stringify(configJson)))
  const manifestJson = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {mediaType: config.mediaType, digest: config.digest, size: config.size},
    layers: layers.map((l) => ({mediaType: l.blob.mediaType, digest: l.blob.digest, size: l.blob.size})),
    ...(opts.annotations ? {annotations: opts.annotations} : {}),
  }
  const manifest = Buffer.from(JSON.stringify(manifestJson))
  const blobs = new Map<string, Buffer>([[config.digest, config.data]])
  for (const l of layers) blobs.set(l.blob.digest, l.blob.data)
  return {manifest, manifestDigest: sha256(manifest), manifestMediaType: OCI_MANIFEST, config, layers: layers.map((l) => l.blob), diffIds: layers.map((l) => l.diffId), blobs}
}

/** A valid one-layer OCI image (config + gzip tar layer). */
export async function buildValidImage(files: Record<string, string | Buffer> = {'etc/': '', 'etc/hostname': 'hostile\n', 'hello.txt': 'hello from the hostile registry\n'}, opts: {annotations?: Record<string, string>} = {}): Promise<TestImage> {
  const tar = await makeTar(files)
  const layer = blob(OCI_LAYER_GZIP, gzipSync(tar))
  return imageFromLayers([{blob: layer, diffId: sha256(tar)}], opts)
}

export interface GzipBomb {
  blob: TestBlob
  diffId: string
  /** bytes the layer expands to */
  uncompressedSize: number
}

const bombs = new Map<number, GzipBomb>()

/**
 * One tar entry `zeros.bin` of `size` zero bytes, gzipped: ~1000:1, so 2 GiB becomes ~2 MB. Its digest and diffID
 * are honest; only a client that bounds what it decompresses survives it. Costs a few seconds once, then cached in
 * memory and under the test temp root (shared by all test files of a run).
 */
export async function gzipBomb(size = 2 * 1024 ** 3): Promise<GzipBomb> {
  const hit = bombs.get(size)
  if (hit) return hit
  const base = join(testTmpRoot(), `imgvet-gzip-bomb-${size}`)
  if (existsSync(`${base}.gz`) && existsSync(`${base}.json`)) {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {diffId: string; uncompressedSize: number}
    const b = {blob: blob(OCI_LAYER_GZIP, readFileSync(`${base}.gz`)), ...meta}
    bombs.set(size, b)
    return b
  }
  const p = pack()
  const gz = createGzip({level: 9})
  const tarHash = createHash('sha256')
  let tarSize = 0
  const out: Buffer[] = []
  gz.on('data', (d: Buffer) => out.push(d))
  const gzDone = new Promise<void>((resolve, reject) => {
    gz.on('end', () => resolve())
    gz.on('error', reject)
  })
  p.on('data', (chunk: unknown) => {
    const d = chunk as Buffer
    tarHash.update(d)
    tarSize += d.length
    if (!gz.write(d)) p.pause()
  })
  gz.on('drain', () => p.resume())
  p.on('end', () => gz.end())
  let entryDone: (err?: Error | null) => void = () => undefined
  const written = new Promise<void>((resolve, reject) => {
    entryDone = (err) => (err ? reject(err) : resolve())
  })
  const entry = p.entry({name: 'zeros.bin', size, mode: 0o644, mtime: new Date(0)}, (err) => entryDone(err))
  const zeros = Buffer.alloc(4 * 1024 * 1024)
  for (let left = size; left > 0; left -= zeros.length) {
    const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left)
    if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()))
  }
  entry.end(Buffer.alloc(0))
  await written
  p.finalize()
  await gzDone
  const data = Buffer.concat(out)
  const b: GzipBomb = {blob: blob(OCI_LAYER_GZIP, data), diffId: `sha256:${tarHash.digest('hex')}`, uncompressedSize: tarSize}
  writeFileSync(`${base}.gz.tmp`, data)
  renameSync(`${base}.gz.tmp`, `${base}.gz`)
  writeFileSync(`${base}.json`, JSON.stringify({diffId: b.diffId, uncompressedSize: b.uncompressedSize}))
  bombs.set(size, b)
  return b
}

export async function buildBombImage(size?: number): Promise<{image: TestImage; bomb: GzipBomb}> {
  const bomb = await gzipBomb(size)
  return {image: imageFromLayers([{blob: bomb.blob, diffId: bomb.diffId}]), bomb}
}

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json'

/** A manifest the hostile registry holds besides its images: an OCI 1.1 artifact that refers to a subject. */
export interface TestArtifact {
  manifest: Buffer
  manifestDigest: string
  manifestMediaType: string
  artifactType: string
  /** digest of the manifest it refers to */
  subject: string
  /** every blob by digest, the empty config included */
  blobs: Map<string, Buffer>
}

/**
 * What cosign v3, notation or oras push as a referrer: an image manifest with an empty config, `artifactType`, the
 * given layers and `subject` pointing at the image it signs or describes.
 */
export function artifactManifest(o: {artifactType: string; subject: Pick<TestImage, 'manifestDigest' | 'manifestMediaType' | 'manifest'>; layers: TestBlob[]; annotations?: Record<string, string>}): TestArtifact {
  const config = blob(OCI_EMPTY, Buffer.from('{}'))
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: o.artifactType,
    config: {mediaType: config.mediaType, digest: config.digest, size: config.size},
    layers: o.layers.map((l) => ({mediaType: l.mediaType, digest: l.digest, size: l.size})),
    subject: {mediaType: o.subject.manifestMediaType, digest: o.subject.manifestDigest, size: o.subject.manifest.length},
    ...(o.annotations ? {annotations: o.annotations} : {}),
  }
  const manifest = Buffer.from(JSON.stringify(json))
  const blobs = new Map<string, Buffer>([[config.digest, config.data]])
  for (const l of o.layers) blobs.set(l.digest, l.data)
  return {manifest, manifestDigest: sha256(manifest), manifestMediaType: OCI_MANIFEST, artifactType: o.artifactType, subject: o.subject.manifestDigest, blobs}
}
