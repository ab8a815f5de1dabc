import {ImgvetError} from '../errors.js'
import {isObject} from '../json.js'
import {parseDigest} from './digest.js'
import {
  INDEX_TYPES,
  IMAGE_MANIFEST_TYPES,
  MediaType,
  SCHEMA1_TYPES,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
  type RawManifest,
} from './types.js'

export type ParsedManifest = {kind: 'index'; index: ImageIndex} | {kind: 'image'; manifest: ImageManifest}

function bad(message: string, where: string): never {
  throw new ImgvetError('bad-manifest', message, where)
}

function stringMap(v: unknown, field: string, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) bad(`${field} must be an object`, where)
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') bad(`${field}.${k} must be a string`, where)
    out[k] = val
  }
  return out
}

export function parseDescriptor(v: unknown, field: string, where: string): Descriptor {
  if (!isObject(v)) bad(`${field} is not an object`, where)
  const {mediaType, digest, size} = v
  if (typeof mediaType !== 'string' || !mediaType) bad(`${field}.mediaType missing`, where)
  if (typeof digest !== 'string') bad(`${field}.digest missing`, where)
  parseDigest(digest, `${where} ${field}`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad(`${field}.size must be a non-negative integer`, where)
  const desc: Descriptor = {mediaType, digest, size}
  const annotations = stringMap(v.annotations, `${field}.annotations`, where)
  if (annotations) desc.annotations = annotations
  if (typeof v.artifactType === 'string') desc.artifactType = v.artifactType
  if (Array.isArray(v.urls)) desc.urls = v.urls.filter((u): u is string => typeof u === 'string')
  if (v.platform !== undefined) {
    const p = v.platform
    if (!isObject(p) || typeof p.os !== 'string' || typeof p.architecture !== 'string') bad(`${field}.platform needs os and architecture`, where)
    desc.platform = {os: p.os, architecture: p.architecture}
    if (typeof p.variant === 'string') desc.platform.variant = p.variant
    if (typeof p['os.version'] === 'string') desc.platform['os.version'] = p['os.version']
  }
  return desc
}

/** Validate a manifest or index structurally; the media type from the registry and the body must agree. */
export function parseManifest(raw: RawManifest, where: string): ParsedManifest {
  if (SCHEMA1_TYPES.has(raw.mediaType)) {
    throw new ImgvetError('unsupported', 'Docker schema1 manifests are deprecated and not supported', where)
  }
  let json: unknown
  try {
    json = JSON.parse(raw.bytes.toString('utf8'))
  } catch (e) {
    bad(`manifest is not JSON: ${(e as Error).message}`, where)
  }
  if (!isObject(json)) bad('manifest is not a JSON object', where)
  if (json.schemaVersion === 1) throw new ImgvetError('unsupported', 'Docker schema1 manifests are deprecated and not supported', where)
  if (json.schemaVersion !== 2) bad(`unsupported schemaVersion ${String(json.schemaVersion)}`, where)
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined
  const type = bodyType ?? raw.mediaType
  if (bodyType && raw.mediaType && bodyType !== raw.mediaType && raw.mediaType !== 'application/octet-stream') {
    bad(`media type mismatch: served as ${raw.mediaType}, body says ${bodyType}`, where)
  }
  const annotations = stringMap(json.annotations, 'annotations', where)
  const subject = json.subject !== undefined ? parseDescriptor(json.subject, 'subject', where) : undefined
  const artifactType = typeof json.artifactType === 'string' ? json.artifactType : undefined
  if (INDEX_TYPES.has(type) || (!bodyType && Array.isArray(json.manifests))) {
    if (!Array.isArray(json.manifests)) bad('index without manifests', where)
    const manifests = json.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`, where))
    return {kind: 'index', index: {schemaVersion: 2, mediaType: type, manifests, annotations, subject, artifactType}}
  }
  if (IMAGE_MANIFEST_TYPES.has(type) || !bodyType) {
    const config = parseDescriptor(json.config, 'config', where)
    if (!Array.isArray(json.layers)) bad('manifest without layers', where)
    const layers = json.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`, where))
    return {kind: 'image', manifest: {schemaVersion: 2, mediaType: type, config, layers, annotations, subject, artifactType}}
  }
  throw new ImgvetError('unsupported', `not an image manifest or index: ${type}`, where)
}

export function parseConfig(bytes: Buffer, where: string): ImageConfig {
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch (e) {
    throw new ImgvetError('bad-manifest', `image config is not JSON: ${(e as Error).message}`, where)
  }
  if (!isObject(json)) throw new ImgvetError('bad-manifest', 'image config is not a JSON object', where)
  const cfg = json as ImageConfig
  if (cfg.rootfs !== undefined) {
    if (!isObject(cfg.rootfs) || !Array.isArray(cfg.rootfs.diff_ids) || !cfg.rootfs.diff_ids.every((d) => typeof d === 'string')) {
      throw new ImgvetError('bad-manifest', 'image config rootfs.diff_ids is malformed', where)
    }
  }
  if (cfg.config !== undefined && cfg.config !== null && !isObject(cfg.config)) {
    throw new ImgvetError('bad-manifest', 'image config "config" is not an object', where)
  }
  if (cfg.history !== undefined && !Array.isArray(cfg.history)) throw new ImgvetError('bad-manifest', 'image config history is not a list', where)
  return cfg
}

export function parsePlatform(s: string): Platform {
  const parts = s.split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p || !/^[\w.-]+$/.test(p))) {
    throw new ImgvetError('usage', `invalid platform "${s}": expected os/arch[/variant]`)
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined]
  return variant ? {os, architecture, variant} : {os, architecture}
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown'
  return printable(`${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`)
}

/** A short name from the image (platform, media type) for terminals and file names: no control characters or spaces. */
export function printable(s: string): string {
  return s.replace(/[^\x21-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

// containerd's normalisation: arm64 is v8 unless said otherwise; amd64 has no meaningful variant here.
function variantMatches(want: Platform, have: Platform): boolean {
  if (!want.variant) return true
  const hv = have.variant ?? (have.architecture === 'arm64' ? 'v8' : undefined)
  return hv === want.variant
}

/** Does an image of platform `have` answer a request for `want` (os, architecture, and the variant if asked)? */
export function platformMatches(want: Platform, have: Platform): boolean {
  return have.os === want.os && have.architecture === want.architecture && variantMatches(want, have)
}

export function isAttestationManifest(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
}

const COMPRESSIBLE_LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.dockerLayerGzip,
  MediaType.dockerForeignLayer,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
])

/** Is this descriptor a filesystem layer we can walk? Unknown types are opaque blobs, never an error. */
export function isFilesystemLayer(d: Descriptor): boolean {
  return COMPRESSIBLE_LAYER_TYPES.has(d.mediaType)
}
