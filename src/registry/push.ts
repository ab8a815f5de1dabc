import {ImgvetError} from '../errors.js'
import {digestOf} from '../image/digest.js'
import {parseManifest} from '../image/manifest.js'
import {MAX_MANIFEST_BYTES, MediaType, type Descriptor, type RawManifest} from '../image/types.js'
import type {RegistryClient} from './client.js'
import {cosignTag} from './referrers.js'
import {registryError} from './upload.js'

export {pushBlob, blobExists, type BlobOutcome, type BlobUpload} from './upload.js'

interface PutResult {
  digest: string
  /** The OCI-Subject header: the registry indexed the subject itself, so no fallback tag is needed. */
  subject?: string
}

/** A manifest PUT the registry refused because something it names is missing (a HEAD that lied, a fake mount). */
export class MissingChild extends ImgvetError {
  constructor(message: string, where: string) {
    super('registry', message, where)
  }
}

/**
 * PUT manifest bytes as they are, by digest or by tag, under their own media type (the CNCF registry picks its
 * handler from Content-Type and rejects a body sent under another). The answer must name the digest we sent.
 */
export async function putManifest(client: RegistryClient, repository: string, ref: string,
  raw: RawManifest): Promise<PutResult> {
  const where = `${client.registry}/${repository}${ref.includes(':') ? '@' : ':'}${ref}`
  if (raw.bytes.length > MAX_MANIFEST_BYTES) {
    throw new ImgvetError('too-large',
      `manifest ${raw.digest} is ${raw.bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit registries accept`, where)
  }
  const res = await client.call(`/v2/${repository}/manifests/${ref}`, {
    method: 'PUT',
    scope: `repository:${repository}:pull,push`,
    headers: {'content-type': raw.mediaType, 'content-length': String(raw.bytes.length)},
    body: raw.bytes,
  })
  if (res.status !== 201 && res.status !== 200) {
    const err = await registryError(res)
    if (err.code === 'MANIFEST_BLOB_UNKNOWN' || err.code === 'BLOB_UNKNOWN') {
      throw new MissingChild(`manifest PUT refused: ${err.message}`, where)
    }
    if (res.status === 413) throw new ImgvetError('too-large', `manifest PUT refused as too large (413)`, where)
    const code = res.status === 401 || res.status === 403 ? 'unauthorized' : 'registry'
    throw new ImgvetError(code, `manifest PUT: HTTP ${res.status} ${err.message}`, where)
  }
  res.body?.resume()
  const said = res.headers.get('docker-content-digest')
  if (said && said !== raw.digest) throw new ImgvetError('integrity',
    `registry stored the manifest as ${said}, not ${raw.digest}`, where)
  return {digest: raw.digest, subject: res.headers.get('oci-subject') ?? undefined}
}

/** The descriptor a fallback index lists for a referrer: artifactType (else the config type) and all annotations. */
export function referrerDescriptor(raw: RawManifest): Descriptor {
  type Fields = {artifactType?: string; config?: {mediaType?: string}; annotations?: Record<string, string>}
  const m = JSON.parse(raw.bytes.toString('utf8')) as Fields
  const artifactType = m.artifactType ?? m.config?.mediaType
  return {
    mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length,
    ...(artifactType ? {artifactType} : {}), ...(m.annotations ? {annotations: m.annotations} : {}),
  }
}

interface FallbackUpdate {
  tag: string
  /** Entries the tag lists after the update, ours and those other writers put there. */
  entries: Descriptor[]
  /** How many PUTs it took (a racing writer makes us merge again). */
  puts: number
  /** All our entries were there when last read back. */
  complete: boolean
}

const MAX_MERGES = 3

/**
 * The referrers tag schema (`sha256-<hex>`) updated read-modify-write: read what is there, add the entries that
 * are missing, PUT, and read it back. The CNCF registry ignores If-Match, so a racing writer can replace our index
 * with its own; the read-back catches that and the merge runs again, keeping the other writer's entries too.
 * `first`, when given, is the exact index to write if the tag does not exist yet (a byte-identical copy).
 */
export async function updateFallbackIndex(
  client: RegistryClient, repository: string, subject: string, ours: readonly Descriptor[], first?: RawManifest,
): Promise<FallbackUpdate> {
  const tag = cosignTag(subject, '')
  let puts = 0
  for (let round = 0; ; round++) {
    const current = await readFallback(client, repository, tag)
    const have = new Map((current?.entries ?? []).map((d) => [d.digest, d]))
    const missing = ours.filter((d) => !have.has(d.digest))
    if (missing.length === 0) return {tag, entries: [...have.values()], puts, complete: true}
    if (round >= MAX_MERGES) return {tag, entries: [...have.values()], puts, complete: false}
    let raw: RawManifest
    if (!current && first && round === 0) raw = first
    else {
      const entries = [...have.values(), ...missing].sort((a, b) => a.digest.localeCompare(b.digest))
      const bytes = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries}))
      raw = {mediaType: MediaType.ociIndex, digest: digestOf(bytes), bytes}
    }
    await putManifest(client, repository, tag, raw)
    puts++
  }
}

/** The fallback tag's entries; null when absent. Anything but an image index there is refused, not overwritten. */
export async function readFallback(client: RegistryClient, repository: string,
  tag: string): Promise<{raw: RawManifest; entries: Descriptor[]} | null> {
  try {
    const raw = await client.getManifest(repository, tag)
    const parsed = parseManifest(raw, `${client.registry}/${repository}:${tag}`)
    if (parsed.kind !== 'index') {
      throw new ImgvetError('conflict',
        `the referrers tag ${tag} holds a ${raw.mediaType}, not an index; not overwritten`, `${client.registry}/${repository}`)
    }
    return {raw, entries: parsed.index.manifests}
  } catch (e) {
    if (e instanceof ImgvetError && e.code === 'not-found') return null
    throw e
  }
}
