import {mapLimit} from '../concurrency.js'
import {asImgvetError} from '../errors.js'
import {formatPlatform, parseManifest, type ParsedManifest} from '../image/manifest.js'
import {indexModel} from '../image/resolve.js'
import type {Descriptor, RawManifest} from '../image/types.js'
import type {RegistryClient} from '../registry/client.js'
import {cosignTag} from '../registry/referrers.js'
import type {Selection} from './shard.js'
import type {ScanError} from './types.js'

/** One platform image as it appears in one repository. */
export interface Occurrence {
  repository: string
  tags: string[]
  /** What the tags point at: an index or the image manifest itself. */
  topDigest: string
  /** The platform image manifest. */
  descriptor: Descriptor
  indexDigest?: string
  /** From the index entry; null for a plain manifest until its config is read. */
  platform: string | null
  /**
   * The repository's cosign/referrer tags naming this image or its index (`sha256-<hex>.sig` ...): free to know from
   * the tag list, and a change means signatures or attestations came or went, so a recorded verdict is stale.
   */
  supplyTags: string[]
}

export interface Inventory {
  /** Keyed by image manifest digest: one scan per digest however many tags and repositories share it. */
  byDigest: Map<string, Occurrence[]>
  repositories: string[]
  /** Manifests fetched while enumerating, by digest, so scanning does not fetch them again. */
  manifests: Map<string, RawManifest>
  errors: ScanError[]
}

export function toScanError(e: unknown, at: Omit<ScanError, 'reason' | 'code'>): ScanError {
  const err = asImgvetError(e, 'registry')
  return {...at, reason: err.oneLine(), code: err.code}
}

/**
 * cosign's `sha256-<hex>.sig/.att/.sbom` tags and the OCI referrers fallback `sha256-<hex>` hold signatures and
 * attestations of other manifests, not images to run: they are checked with the image they name, never as images.
 */
function isSupplyChainTag(tag: string): boolean {
  return /^sha(256|512)-[a-f0-9]{64,128}(\.(sig|att|sbom))?$/.test(tag)
}

/** Manifest requests in flight per repository; repositories themselves run `concurrency` at a time. */
const TAGS_IN_FLIGHT = 4

/** cosign's `sha256-<hex>[.sig|.att|.sbom]` tags, and the referrers fallback tag, of one digest. */
function supplyTagOf(tag: string, digest: string): boolean {
  return tag.startsWith(cosignTag(digest, ''))
}

/**
 * The manifest digest behind each signature/attestation tag of a listed image. A re-signed image keeps its tag
 * names, so only the digest tells the next run that the verdict it recorded may no longer hold. One HEAD per tag; a
 * tag that cannot be read is left without a digest, which never matches a recorded one (judged again).
 */
async function signatureDigests(
  client: RegistryClient,
  repository: string,
  supply: string[],
  tagsByTop: Map<string, string[]>,
  parsed: Map<string, ParsedManifest>,
): Promise<Map<string, string>> {
  const digests = new Set<string>()
  for (const top of tagsByTop.keys()) {
    digests.add(top)
    const p = parsed.get(top)
    if (p?.kind === 'index') for (const d of p.index.manifests) digests.add(d.digest)
  }
  const wanted = supply.filter((t) => [...digests].some((d) => supplyTagOf(t, d)))
  const out = new Map<string, string>()
  await mapLimit(wanted, TAGS_IN_FLIGHT, async (tag) => {
    try {
      const d = await client.headManifest(repository, tag)
      if (d) out.set(tag, d.digest)
    } catch {
      // Left without a digest: the image is judged again, and the supply-chain stage reports what it finds.
    }
  })
  return out
}

/**
 * Catalog → tags → manifests. Each tag costs one manifest GET; an index's platform manifests are known from the
 * index itself, so an unchanged image is recognised without fetching anything else. Failures are recorded per
 * repository or tag and never stop the rest.
 */
export async function enumerate(client: RegistryClient, selection: Selection, opts: {concurrency: number; signal?: AbortSignal; pageSize?: number}): Promise<Inventory> {
  const inv: Inventory = {byDigest: new Map(), repositories: [], manifests: new Map(), errors: []}
  for await (const repo of client.catalog(opts.pageSize)) {
    if (selection.hasRepository(repo)) inv.repositories.push(repo)
  }
  inv.repositories.sort()
  const parsed = new Map<string, ParsedManifest>()
  await mapLimit(inv.repositories, opts.concurrency, async (repository) => {
    let tags: string[]
    let supply: string[]
    try {
      const all = await client.tags(repository)
      tags = all.filter((t) => selection.hasTag(t) && !isSupplyChainTag(t))
      supply = all.filter(isSupplyChainTag)
    } catch (e) {
      inv.errors.push(toScanError(e, {repository}))
      return
    }
    // Tags of one repository are fetched a few at a time (a repository can hold thousands of tags); they are grouped
    // in tag-list order afterwards, so the inventory does not depend on which answer came first.
    const fetched: Array<RawManifest | undefined> = new Array(tags.length)
    await mapLimit(tags.map((tag, i) => [tag, i] as const), TAGS_IN_FLIGHT, async ([tag, i]) => {
      try {
        const raw = await client.getManifest(repository, tag)
        if (!parsed.has(raw.digest)) parsed.set(raw.digest, parseManifest(raw, `${client.registry}/${repository}:${tag}`))
        fetched[i] = raw
      } catch (e) {
        inv.errors.push(toScanError(e, {repository, tag}))
      }
    }, opts.signal)
    if (opts.signal?.aborted) return
    const tagsByTop = new Map<string, string[]>()
    tags.forEach((tag, i) => {
      const raw = fetched[i]
      if (!raw) return
      inv.manifests.set(raw.digest, raw)
      const list = tagsByTop.get(raw.digest) ?? []
      list.push(tag)
      tagsByTop.set(raw.digest, list)
    })
    const supplyDigests = await signatureDigests(client, repository, supply, tagsByTop, parsed)
    for (const [topDigest, topTags] of tagsByTop) {
      const p = parsed.get(topDigest)
      const raw = inv.manifests.get(topDigest)
      if (!p || !raw) continue
      const add = (o: Occurrence) => {
        const list = inv.byDigest.get(o.descriptor.digest) ?? []
        list.push(o)
        inv.byDigest.set(o.descriptor.digest, list)
      }
      const supplyFor = (...digests: string[]) => supply
        .filter((t) => digests.some((d) => supplyTagOf(t, d)))
        .map((t) => supplyDigests.has(t) ? `${t}@${supplyDigests.get(t)}` : t)
      if (p.kind === 'image') {
        add({
          repository, tags: topTags, topDigest,
          descriptor: {mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length},
          platform: null, supplyTags: supplyFor(raw.digest),
        })
        continue
      }
      // Every platform of the index, as vet selects them: attestation manifests (unknown/unknown) are not images.
      for (const d of indexModel(raw, p.index).platforms) {
        add({
          repository, tags: topTags, topDigest, descriptor: d, indexDigest: topDigest,
          platform: d.platform ? formatPlatform(d.platform) : null, supplyTags: supplyFor(d.digest, topDigest),
        })
      }
    }
  }, opts.signal)
  return inv
}
