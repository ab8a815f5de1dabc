import {ImgvetError} from '../errors.js'
import {imageFromManifest, resolveTop, type Image, type Resolved} from './image.js'
import {formatPlatform, isAttestationManifest, parseManifest, platformMatches, printable} from './manifest.js'
import {
  IMAGE_MANIFEST_TYPES,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type ImageSource,
  type Platform,
  type RawManifest,
} from './types.js'

/** An index as resolved: the bytes its digest names, and which of its entries are images to run. */
export interface IndexModel {
  digest: string
  raw: RawManifest
  index: ImageIndex
  /** Runnable platform images, in index order. */
  platforms: Descriptor[]
  /** Entries that are not images to run (BuildKit attestation manifests, unknown/unknown, nested indexes). */
  skipped: Array<{descriptor: Descriptor; why: string}>
}

/** What the user asked for, in platform terms. */
export interface PlatformChoice {
  /**
   * The platform the user named (--platform). An index is narrowed to it; a single-platform image that is not it
   * is an error, since checking some other platform than the one asked about answers the wrong question.
   */
  platform?: Platform
  /** When nothing was named: take this one from an index (inspect, pull) instead of every platform (vet, scan). */
  fallback?: Platform
}

/** The manifests a choice selects, before any config is read: what the signature stage and `pull` need. */
interface PlatformSelection {
  top: Resolved
  index?: IndexModel
  /** One descriptor per image to check: the top manifest itself, or the chosen entries of the index. */
  chosen: Descriptor[]
}

interface ResolvedImage {
  index?: IndexModel
  /** One image, or one per selected platform of the index. */
  images: Image[]
}

function skipReason(d: Descriptor): string | null {
  if (isAttestationManifest(d)) return 'attestation manifest'
  if (!IMAGE_MANIFEST_TYPES.has(d.mediaType)) return `not an image manifest (${printable(d.mediaType)})`
  if (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown') return 'platform unknown/unknown'
  return null
}

/** The index model of a parsed index: which entries are platform images, and why the others are not. */
export function indexModel(raw: RawManifest, index: ImageIndex): IndexModel {
  const platforms: Descriptor[] = []
  const skipped: IndexModel['skipped'] = []
  for (const d of index.manifests) {
    const why = skipReason(d)
    if (why) skipped.push({descriptor: d, why})
    else platforms.push(d)
  }
  return {digest: raw.digest, raw, index, platforms, skipped}
}

/** The entry of `model` for `want`; an error naming what the index does offer otherwise. */
export function choosePlatform(model: IndexModel, want: Platform, where: string): Descriptor {
  const match = model.platforms.find((d) => d.platform && platformMatches(want, d.platform))
  if (match) return match
  const available = model.platforms.map((d) => formatPlatform(d.platform)).join(', ') || 'none'
  const message = `no image for platform ${formatPlatform(want)} in index (available: ${available})`
  throw new ImgvetError('not-found', message, where)
}

/** Resolve the top and pick manifests by platform; nothing but manifests is fetched. */
export async function selectPlatforms(
  source: ImageSource,
  choice: PlatformChoice,
  top?: Resolved,
): Promise<PlatformSelection> {
  const resolved = top ?? (await resolveTop(source))
  if (resolved.kind === 'image') return {top: resolved, chosen: [{...resolved.descriptor, digest: resolved.raw.digest}]}
  const where = `${source.name}@${resolved.raw.digest}`
  const model = indexModel(resolved.raw, resolved.index)
  const want = choice.platform ?? choice.fallback
  const chosen = want ? [choosePlatform(model, want, where)] : model.platforms
  if (chosen.length === 0) throw new ImgvetError('not-found', 'index holds no platform image', where)
  // Every chosen image costs a manifest GET: a registry's pull limit is checked for all of them before the first.
  source.requireManifestGets?.(chosen.length)
  return {top: resolved, index: model, chosen}
}

/**
 * The manifest an index entry names (or one already fetched for it), checked against the entry; it must be an image
 * manifest (nested indexes are not followed).
 */
export async function fetchChildManifest(
  source: ImageSource,
  entry: Descriptor,
  fetched?: RawManifest,
): Promise<{manifest: ImageManifest; raw: RawManifest}> {
  const raw = fetched ?? (await source.fetchManifest(entry))
  const where = `${source.name}@${entry.digest}`
  if (raw.digest !== entry.digest || raw.bytes.length !== entry.size) {
    const message = `index entry says ${entry.digest} (${entry.size} bytes), manifest is ${raw.digest} (${raw.bytes.length} bytes)`
    throw new ImgvetError('integrity', message, where)
  }
  const parsed = parseManifest(raw, where)
  if (parsed.kind !== 'image') {
    throw new ImgvetError('unsupported', 'index entry is itself an index; nested indexes are not supported', where)
  }
  return {manifest: parsed.manifest, raw}
}

/** One platform image of an index, by its entry. */
async function loadIndexChild(source: ImageSource, model: IndexModel, entry: Descriptor): Promise<Image> {
  const {manifest, raw} = await fetchChildManifest(source, entry)
  const from = {digest: model.digest, index: model.index, raw: model.raw}
  const image = await imageFromManifest(source, manifest, raw, from)
  // The index entry is what a runtime selects by, so it names the platform; the config may omit the variant.
  if (entry.platform) image.platform = entry.platform
  return image
}

/**
 * The one way every command goes from a source to the images it checks: resolve the top, and for an index select
 * platforms (every runnable one unless narrowed), then read each image's manifest and config. Layers stay lazy.
 */
export async function resolveImage(
  source: ImageSource,
  choice: PlatformChoice = {},
  top?: Resolved,
): Promise<ResolvedImage> {
  const sel = await selectPlatforms(source, choice, top)
  if (!sel.index) {
    if (sel.top.kind !== 'image') throw new Error('unreachable: a top without an index is an image')
    const image = await imageFromManifest(source, sel.top.manifest, sel.top.raw)
    // A config without os/architecture says nothing to contradict the request with.
    if (choice.platform && image.platform && !platformMatches(choice.platform, image.platform)) {
      const message = `--platform ${formatPlatform(choice.platform)} does not match the image, which is `
        + `${formatPlatform(image.platform)} (not an index)`
      throw new ImgvetError('usage', message, source.name)
    }
    return {images: [image]}
  }
  const model = sel.index
  const images: Image[] = []
  for (const entry of sel.chosen) images.push(await loadIndexChild(source, model, entry))
  return {index: model, images}
}

/** One image: `platform` picks from an index, a single-platform image is taken as it is (library callers, rebuild). */
export async function loadImage(source: ImageSource, platform: Platform, top?: Resolved): Promise<Image> {
  const {images} = await resolveImage(source, {fallback: platform}, top)
  const [image] = images
  if (!image) throw new Error('unreachable: a fallback platform selects one image')
  return image
}
