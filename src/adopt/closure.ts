import {ImgvetError} from '../errors.js'
import {formatPlatform, isAttestationManifest, parseManifest} from '../image/manifest.js'
import type {Descriptor, RawManifest} from '../image/types.js'
import type {RegistryClient} from '../registry/client.js'
import {readFallback} from '../registry/push.js'
import {cosignTag} from '../registry/referrers.js'

type ManifestRole = 'index' | 'image' | 'attestation' | 'signature' | 'referrer'

export interface ManifestNode {
  digest: string
  role: ManifestRole
  raw: RawManifest
  platform?: string
  artifactType?: string
  /** Manifests this one lists (an index's children): they must be at the destination before it. */
  contains: string[]
  /** Config and layers (blobs). */
  blobs: Descriptor[]
  /** For a referrer: the manifest it refers to. */
  subject?: string
}

interface BlobNode {
  desc: Descriptor
  role: 'config' | 'layer'
}

/** A cosign legacy tag (`sha256-<hex>.sig|.att|.sbom`, or any `sha256-<hex>.*` with --digest-tags) and its manifest. */
interface LegacyTag {
  tag: string
  digest: string
  subject: string
  /** Found in the tag list (--digest-tags), not by cosign's own names. */
  listed?: true
}

/** A subject's referrers as the `sha256-<hex>` fallback tag lists them, only the entries that proved to refer to it. */
interface FallbackTag {
  subject: string
  tag: string
  raw: RawManifest
  entries: Descriptor[]
  /** Every entry of the source's index validated: its bytes can be copied as they are. */
  verbatim: boolean
}

export interface Closure {
  root: ManifestNode
  /** In discovery order: a subject always comes before its referrers. */
  manifests: ManifestNode[]
  blobs: BlobNode[]
  legacyTags: LegacyTag[]
  fallbacks: FallbackTag[]
  /** Layers served from `urls` elsewhere: left out of the copy unless --include-foreign. */
  foreign: Descriptor[]
  referrersVia: 'api' | 'tag' | 'none'
  warnings: string[]
}

const LEGACY_SUFFIXES = ['sig', 'att', 'sbom'] as const
// A hostile source could make the graph as large as it likes; a real image's closure is a few dozen nodes.
const MAX_NODES = 10_000

interface ClosureOptions {
  /** Also every `sha256-<hex>.*` tag of each manifest's digest, found by listing the repository's tags. */
  digestTags?: boolean
  /** Copy layers that name `urls` (foreign, non-distributable) as any other blob. */
  includeForeign?: boolean
}

interface Pending {
  desc: Descriptor
  role: ManifestRole
  subject?: string
}

/**
 * Everything that makes the image at `digest` what it is, and every piece of proof about it: all manifests of an
 * index (every platform and attestation manifest), their configs and layers, and for every manifest found its
 * cosign legacy tags and its referrers (API, else the fallback tag, whose entries count only if their `subject`
 * says so), recursively. Every manifest is fetched once, by digest, and checked against it.
 */
export async function discoverClosure(client: RegistryClient, repository: string,
  rootDesc: Descriptor, opts: ClosureOptions = {}): Promise<Closure> {
  const where = (d: string) => `${client.registry}/${repository}@${d}`
  const warnings: string[] = []
  const manifests: ManifestNode[] = []
  const blobs = new Map<string, BlobNode>()
  const legacyTags: LegacyTag[] = []
  const fallbacks: FallbackTag[] = []
  const foreign = new Map<string, Descriptor>()
  // One listing for the whole closure: every manifest's digest tags are among the repository's tags.
  const listedTags = opts.digestTags ? await client.tags(repository) : []
  const seen = new Set<string>([rootDesc.digest])
  const queue: Pending[] = [{desc: rootDesc, role: 'index'}]
  let api: boolean | undefined
  let via: Closure['referrersVia'] = 'none'
  const enqueue = (p: Pending) => {
    if (seen.has(p.desc.digest)) return
    if (seen.size >= MAX_NODES) throw new ImgvetError('too-large', `closure has more than ${MAX_NODES} manifests`,
      where(rootDesc.digest))
    seen.add(p.desc.digest)
    queue.push(p)
  }
  for (let p = queue.shift(); p; p = queue.shift()) {
    const raw = await client.getManifest(repository, p.desc.digest)
    if (raw.bytes.length !== p.desc.size) {
      throw new ImgvetError('integrity',
        `size mismatch: descriptor says ${p.desc.size} bytes, manifest has ${raw.bytes.length}`, where(raw.digest))
    }
    const parsed = parseManifest(raw, where(raw.digest))
    const body = parsed.kind === 'index' ? parsed.index : parsed.manifest
    if (p.subject && body.subject?.digest !== p.subject) {
      warnings.push(`dropped ${raw.digest} from the referrers tag of ${p.subject}: its subject is ${body.subject?.digest ?? 'absent'}`)
      continue
    }
    const role: ManifestRole = manifests.length === 0 ? (parsed.kind === 'index' ? 'index' : 'image') : p.role
    const node: ManifestNode = {digest: raw.digest, role, raw, contains: [], blobs: [], subject: p.subject,
      artifactType: body.artifactType, platform: p.desc.platform ? formatPlatform(p.desc.platform) : undefined}
    manifests.push(node)
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        node.contains.push(child.digest)
        const inherited = role === 'index' || role === 'image' ? 'image' : role
        const childRole = isAttestationManifest(child) ? 'attestation' : inherited
        enqueue({desc: child, role: childRole})
      }
    } else {
      for (const [i, d] of [parsed.manifest.config, ...parsed.manifest.layers].entries()) {
        if (d.urls?.length && !opts.includeForeign) {
          if (!foreign.has(d.digest)) {
            warnings.push(`foreign layer ${d.digest} (served from ${d.urls.length} URL(s)) is not copied; `
              + '--include-foreign copies it')
          }
          foreign.set(d.digest, d)
          continue
        }
        node.blobs.push(d)
        if (!blobs.has(d.digest)) blobs.set(d.digest, {desc: d, role: i === 0 ? 'config' : 'layer'})
      }
    }
    for (const suffix of LEGACY_SUFFIXES) {
      const tag = `${cosignTag(raw.digest, '')}.${suffix}`
      const head = await client.headManifest(repository, tag)
      if (!head) continue
      legacyTags.push({tag, digest: head.digest, subject: raw.digest})
      enqueue({desc: head, role: 'signature'})
    }
    const prefix = `${cosignTag(raw.digest, '')}.`
    for (const tag of listedTags) {
      if (!tag.startsWith(prefix) || legacyTags.some((t) => t.tag === tag)) continue
      const head = await client.headManifest(repository, tag)
      if (!head) continue
      legacyTags.push({tag, digest: head.digest, subject: raw.digest, listed: true})
      enqueue({desc: head, role: 'signature'})
    }
    if (api !== false) {
      const listed = await client.referrersApi(repository, raw.digest)
      api = listed !== null
      if (listed) {
        if (listed.length) via = 'api'
        for (const d of listed) enqueue({desc: d, role: 'referrer', subject: raw.digest})
      }
    }
    if (api === false) {
      const tag = cosignTag(raw.digest, '')
      // HEAD first: it is free on Docker Hub, and most manifests have no referrers tag.
      if (!(await client.headManifest(repository, tag))) continue
      const found = await readFallback(client, repository, tag).catch((e: unknown) => {
        if (e instanceof ImgvetError && e.code === 'conflict') {
          warnings.push(`the referrers tag ${tag} is not an index; ignored`)
          return null
        }
        throw e
      })
      if (!found) continue
      if (found.raw.digest === raw.digest || found.entries.some((d) => d.digest === raw.digest)) {
        // Some registries (GitLab) answer a digest-shaped tag with the image itself: that lists no referrers.
        warnings.push(`the referrers tag ${tag} names the image itself; ignored`)
        continue
      }
      via = 'tag'
      fallbacks.push({subject: raw.digest, tag, raw: found.raw, entries: found.entries, verbatim: true})
      for (const d of found.entries) enqueue({desc: d, role: 'referrer', subject: raw.digest})
    }
  }
  // Entries whose manifest did not name the subject were dropped above; the tag lists only what survived.
  const kept = new Set(manifests.map((m) => m.digest))
  for (const f of fallbacks) {
    const entries = f.entries.filter((d) => kept.has(d.digest))
    f.verbatim = entries.length === f.entries.length
    f.entries = entries
  }
  const [root] = manifests
  if (!root) throw new Error('unreachable: the root manifest is always fetched')
  return {root, manifests, blobs: [...blobs.values()], legacyTags, foreign: [...foreign.values()],
    fallbacks: fallbacks.filter((f) => f.entries.length > 0), referrersVia: via, warnings}
}
