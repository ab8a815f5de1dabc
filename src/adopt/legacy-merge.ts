import {ImgvetError} from '../errors.js'
import {readBounded} from '../image/bounded.js'
import {digestOf} from '../image/digest.js'
import {parseManifest} from '../image/manifest.js'
import type {Descriptor, RawManifest} from '../image/types.js'
import type {RegistryClient} from '../registry/client.js'

/** What `--on-legacy-conflict merge` does with one cosign tag the destination already holds for another manifest. */
export interface LegacyMerge {
  tag: string
  /** The digest the tag names at the destination after this run (the merged manifest, or what is there already). */
  digest: string
  /** The destination's manifest before the merge. */
  previous: string
  /** The manifest to PUT and the config blob it names; absent when the destination already holds every layer. */
  write?: {raw: RawManifest; config: {desc: Descriptor; bytes: Buffer}}
  kept: number
  added: number
}

// A cosign signature image's config is a few hundred bytes; a hostile destination cannot make us read more.
const MAX_CONFIG_BYTES = 1024 * 1024
const MERGEABLE = /\.(sig|att)$/

type Json = Record<string, unknown>

const layerKey = (l: Descriptor) => JSON.stringify([l.digest, Object.entries(l.annotations ?? {}).sort()])

function imageJson(raw: RawManifest, where: string): Json & {config: Descriptor; layers: Descriptor[]} {
  if (parseManifest(raw, where).kind !== 'image') {
    throw new ImgvetError('conflict', `${raw.digest} is not a signature image; not merged`, where)
  }
  return JSON.parse(raw.bytes.toString('utf8')) as Json & {config: Descriptor; layers: Descriptor[]}
}

/**
 * The destination's signature image with the source's layers appended, as cosign appends a signature to an existing
 * `.sig` (or an attestation to `.att`): the destination's layers first, then each source layer it lacks (same digest
 * and annotations), and the config's rootfs listing them all (cosign's layers are uncompressed: diff_id = digest). The
 * source's layers are blobs of the closure, so the copy puts them there before the merged manifest.
 */
export async function planLegacyMerge(client: RegistryClient, repository: string, tag: string, source: RawManifest,
  at: string): Promise<LegacyMerge> {
  const where = `${client.registry}/${repository}:${tag}`
  if (!MERGEABLE.test(tag)) throw new ImgvetError('conflict', 'only cosign .sig and .att tags are merged', where)
  const ours = imageJson(source, where)
  const theirsRaw = await client.getManifest(repository, at)
  const theirs = imageJson(theirsRaw, where)
  // A cosign signature layer is its payload, which names only the image: two signers' layers share a digest and
  // differ in their annotations (the signature, the certificate). The digest alone would drop our signature.
  const have = new Set(theirs.layers.map(layerKey))
  const added = ours.layers.filter((l) => !have.has(layerKey(l)))
  const base = {tag, previous: at, kept: theirs.layers.length, added: added.length}
  if (added.length === 0) return {...base, digest: at}
  const stream = await client.openBlob(repository, theirs.config)
  const config = JSON.parse((await readBounded(stream, MAX_CONFIG_BYTES, where)).toString('utf8')) as unknown
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ImgvetError('conflict', `the config of ${at} is not a JSON object; not merged`, where)
  }
  const layers = [...theirs.layers, ...added]
  const configBytes = Buffer.from(JSON.stringify({...config,
    rootfs: {type: 'layers', diff_ids: layers.map((l) => l.digest)}}))
  const configDesc: Descriptor = {mediaType: theirs.config.mediaType, digest: digestOf(configBytes),
    size: configBytes.length}
  const bytes = Buffer.from(JSON.stringify({...theirs, config: configDesc, layers}))
  const raw: RawManifest = {mediaType: theirsRaw.mediaType, digest: digestOf(bytes), bytes}
  return {...base, digest: raw.digest, write: {raw, config: {desc: configDesc, bytes: configBytes}}}
}
