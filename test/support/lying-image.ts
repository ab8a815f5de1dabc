import {createHash, generateKeyPairSync} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Buildah, skopeoCopy} from './builder.js'

/**
 * The cache-poisoning image of issue 11: a clean image and a secret-bearing sibling built by buildah on a clean
 * base (imported by skopeo) and pushed into one OCI layout, then the sibling's config edited so it claims the clean layer's
 * diffID for its secret layer. Only the config (and the manifest and index that point at it) is rewritten by hand,
 * so the manifest still verifies; the layer blobs are what buildah wrote. (umoci 0.4.7's `insert` writes a tar with
 * no padding or end marker, so it cannot make the layers.)
 */
export interface LyingImages {
  layout: string
  /** OCI layout tags: base + clean /etc/app.conf, base + a private key there, and that image with the lie. */
  tags: {clean: string; dirty: string; lying: string}
  cleanDiffId: string
  dirtyDiffId: string
}

interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

function blobPath(layout: string, digest: string): string {
  return join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))
}

function writeBlob(layout: string, data: Buffer): {digest: string; size: number} {
  const digest = sha256(data)
  writeFileSync(blobPath(layout, digest), data)
  return {digest, size: data.length}
}

function readIndex(layout: string): {manifests: Descriptor[]} & Record<string, unknown> {
  return JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {manifests: Descriptor[]}
}

type Manifest = {config: Descriptor; layers: Descriptor[]} & Record<string, unknown>
type Config = {rootfs: {diff_ids: string[]}}

function manifestOf(layout: string, tag: string): {desc: Descriptor; manifest: Manifest} {
  const desc = readIndex(layout).manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)
  if (!desc) throw new Error(`no tag ${tag} in ${layout}`)
  return {desc, manifest: JSON.parse(readFileSync(blobPath(layout, desc.digest), 'utf8'))}
}

function diffIds(layout: string, tag: string): string[] {
  const {manifest} = manifestOf(layout, tag)
  const config = JSON.parse(readFileSync(blobPath(layout, manifest.config.digest), 'utf8')) as Config
  return config.rootfs.diff_ids
}

/** Copy `from` to `to` with the config's diff_ids[layer] replaced by `claim`; config and manifest re-hashed. */
export function claimDiffId(layout: string, from: string, to: string, layer: number, claim: string): void {
  const {desc, manifest} = manifestOf(layout, from)
  const config = JSON.parse(readFileSync(blobPath(layout, manifest.config.digest), 'utf8')) as Config
  config.rootfs.diff_ids[layer] = claim
  const cfg = writeBlob(layout, Buffer.from(JSON.stringify(config)))
  const m = writeBlob(layout, Buffer.from(JSON.stringify({...manifest, config: {...manifest.config, ...cfg}})))
  const index = readIndex(layout)
  index.manifests.push({...desc, ...m, annotations: {'org.opencontainers.image.ref.name': to}})
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
}

/** Build the three images from `base` (a skopeo source such as docker://host/imgvet/base:oci) into `dir`. */
export async function buildLyingImages(base: string, dir: string): Promise<LyingImages> {
  const layout = join(dir, 'layout')
  await skopeoCopy(base, `oci:${layout}:base`, {}, dir)
  const clean = join(dir, 'app.conf')
  const key = join(dir, 'server.key')
  writeFileSync(clean, 'log_level=info\n')
  writeFileSync(key, generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}))
  const tags = {clean: 'clean', dirty: 'dirty', lying: 'lying'}
  const b = new Buildah(join(dir, 'buildah'))
  await skopeoCopy(`oci:${layout}:base`, b.storageRef('lie-base'), {}, dir)
  for (const [tag, file] of [[tags.clean, clean], [tags.dirty, key]] as const) {
    const ctr = await b.from('lie-base')
    await b.copy(ctr, file, '/etc/app.conf', {chmod: '0644'})
    await b.commit(ctr, `lie-${tag}`)
    await b.push(`lie-${tag}`, `oci:${layout}:${tag}`)
  }
  const cleanIds = diffIds(layout, tags.clean)
  const dirtyIds = diffIds(layout, tags.dirty)
  const top = cleanIds.length - 1
  const cleanDiffId = cleanIds[top]
  const dirtyDiffId = dirtyIds[top]
  if (!cleanDiffId || !dirtyDiffId || cleanDiffId === dirtyDiffId) throw new Error('buildah did not add distinct top layers')
  claimDiffId(layout, tags.dirty, tags.lying, top, cleanDiffId)
  return {layout, tags, cleanDiffId, dirtyDiffId}
}
